/**
 * One counter a hit must fit in: the org allowance, a profile's limit, or a consumer's limit.
 * Counters are identified by `key`; windows are derived from `periodMs` by the store.
 */
export interface RateLimitCounter {
  /** Stable identifier, e.g. `org`, `profile:production/finance`, `consumer:<hash>`. No secrets, no raw IPs. */
  readonly key: string;
  /** Most units admitted per window. */
  readonly limit: number;
  /** Window length in milliseconds (60,000 by default). */
  readonly periodMs: number;
  /**
   * One of a set fixed by the config (the org allowance, a profile's limit): a bounded store must
   * never evict it to make room for per-consumer counters, or a flood of consumers would reset it.
   */
  readonly pinned?: boolean;
}

/** How windows are counted. */
export type RateLimitAlgorithm =
  /** Windows aligned to multiples of the period (whole minutes by default), as the seed describes. */
  | 'fixed'
  /** Sliding-window counter: the previous window's count weighted by how much of it still overlaps. */
  | 'sliding';

/** One decision request: admit `cost` units only if every counter has room, and then consume from all. */
export interface RateLimitCheck {
  readonly counters: readonly RateLimitCounter[];
  /** Units this hit costs (1 by default). */
  readonly cost: number;
  readonly algorithm: RateLimitAlgorithm;
  /** Current time, ms since the epoch (stores with their own clock, like Redis, may use that instead). */
  readonly now: number;
}

/** A counter's state after the decision, in the order of {@link RateLimitCheck.counters}. */
export interface CounterState {
  /** Units counted in the window after this decision (including this hit when admitted). */
  readonly used: number;
  /** Milliseconds until the current window ends. */
  readonly resetMs: number;
}

/** What the store decided. */
export interface RateLimitOutcome {
  readonly admitted: boolean;
  readonly counters: readonly CounterState[];
}

/**
 * Where rate-limit counters live. `consume` is atomic: either every counter has room and all are
 * charged `cost`, or none is charged. A rejected hit consumes nothing.
 */
export interface RateLimitStore {
  /** For logs and metrics, e.g. `memory`, `redis`. */
  readonly kind: string;
  /**
   * Checks and consumes in one step.
   * @param check - counters, cost, algorithm, time
   * @throws when the store cannot answer, which it must decide within its own time bound (the limiter
   *   then applies the configured failure mode)
   */
  consume(check: RateLimitCheck): Promise<RateLimitOutcome>;
}
