import type { Logger } from '../../telemetry/logger';

/** Health of one endpoint as {@link SidebandClient.status} reports it. */
export interface SidebandEndpointStatus {
  /** The endpoint's base URL. */
  readonly url: string;
  /** `false` after a transport failure (or failed health check) until a later call or check succeeds. */
  readonly healthy: boolean;
  /** Failures since the last success. */
  readonly consecutiveFailures: number;
}

/** A snapshot of the client's endpoint bookkeeping. */
export interface SidebandStatus {
  /** Base URL of the endpoint that calls go to first. */
  readonly active: string;
  /** Every endpoint, in configured order (primary first). */
  readonly endpoints: readonly SidebandEndpointStatus[];
}

/** Options of {@link EndpointHealth}. */
export interface EndpointHealthOptions {
  /** How long after its last failure a more preferred endpoint is tried again; `undefined` turns passive recovery off. */
  recoveryCooldownMs: number | undefined;
  /** Where endpoint state changes are logged. */
  logger: Logger;
}

interface EndpointState {
  healthy: boolean;
  consecutiveFailures: number;
  /** When the endpoint last failed, or when a recovery trial was handed out (ms, `-Infinity` if never). */
  failedAt: number;
}

/**
 * The only state shared between calls: which endpoint is active and how healthy each one is. Endpoints
 * are ordered by preference (primary first). Times are passed in so the rules can be tested without clocks.
 */
export class EndpointHealth {
  readonly #urls: readonly string[];
  readonly #states: EndpointState[];
  readonly #cooldownMs: number | undefined;
  readonly #logger: Logger;
  #active = 0;

  /**
   * @param urls - endpoint base URLs, primary first (at least one)
   * @param options - recovery cooldown and logger
   */
  constructor(urls: readonly string[], options: EndpointHealthOptions) {
    if (urls.length === 0) throw new Error('Sideband: at least one endpoint is required');
    this.#urls = urls;
    this.#states = urls.map(() => ({ healthy: true, consecutiveFailures: 0, failedAt: Number.NEGATIVE_INFINITY }));
    this.#cooldownMs = options.recoveryCooldownMs;
    this.#logger = options.logger;
  }

  /** Index of the active endpoint. */
  get active(): number {
    return this.#active;
  }

  /**
   * Chooses the endpoint of a call's first attempt: the active one, unless a more preferred endpoint failed
   * at least a cooldown ago. That endpoint is then handed to this call only — its cooldown restarts now, so
   * concurrent calls keep using the active endpoint while the trial runs.
   * @param now - current time in ms
   */
  first(now: number): number {
    const cooldown = this.#cooldownMs;
    if (cooldown !== undefined) {
      for (let index = 0; index < this.#active; index++) {
        const state = this.#state(index);
        if (!state.healthy && now - state.failedAt >= cooldown) {
          state.failedAt = now;
          return index;
        }
      }
    }
    return this.#active;
  }

  /**
   * The endpoint for a retry after `failed` failed (call {@link markFailure} first): the active endpoint if
   * it is another one, else none.
   * @param failed - index of the endpoint that just failed
   */
  retryTarget(failed: number): number | undefined {
    return this.#active === failed ? undefined : this.#active;
  }

  /**
   * Records a transport failure: the endpoint becomes unhealthy and, if it was active, the next healthy
   * endpoint in order (wrapping; the next one at all when none is healthy) becomes active.
   * @param index - the endpoint
   * @param now - current time in ms
   * @param reason - short cause for the log (an error code, never request data)
   */
  markFailure(index: number, now: number, reason: string): void {
    const state = this.#state(index);
    const wasHealthy = state.healthy;
    state.healthy = false;
    state.consecutiveFailures++;
    state.failedAt = now;
    if (this.#active === index) this.#active = this.#nextAfter(index);
    if (wasHealthy) {
      this.#logger.warn(
        { component: 'sideband', endpoint: this.#urls[index], reason, active: this.#urls[this.#active] },
        'Sideband endpoint failed; later calls use the active endpoint',
      );
    }
  }

  /**
   * Records a success. One that began before the endpoint's latest failure is stale and ignored, so calls
   * in flight during an outage cannot flip the state back. A healthy endpoint more preferred than the
   * active one (or any healthy one when the active one is not) becomes active.
   * @param index - the endpoint
   * @param startedAt - when the successful attempt or check began, in ms
   */
  markSuccess(index: number, startedAt: number): void {
    const state = this.#state(index);
    if (startedAt < state.failedAt) return;
    const wasHealthy = state.healthy;
    state.healthy = true;
    state.consecutiveFailures = 0;
    if (index !== this.#active && (index < this.#active || !this.#state(this.#active).healthy)) {
      this.#active = index;
      this.#logger.info({ component: 'sideband', endpoint: this.#urls[index] }, 'Sideband endpoint active again');
    } else if (!wasHealthy) {
      this.#logger.info({ component: 'sideband', endpoint: this.#urls[index] }, 'Sideband endpoint healthy again');
    }
  }

  /** A snapshot for status reporting. */
  snapshot(): SidebandStatus {
    return {
      active: this.#url(this.#active),
      endpoints: this.#states.map((state, index) => ({
        url: this.#url(index),
        healthy: state.healthy,
        consecutiveFailures: state.consecutiveFailures,
      })),
    };
  }

  #nextAfter(index: number): number {
    const count = this.#states.length;
    for (let step = 1; step < count; step++) {
      const candidate = (index + step) % count;
      if (this.#state(candidate).healthy) return candidate;
    }
    return (index + 1) % count;
  }

  #state(index: number): EndpointState {
    const state = this.#states[index];
    if (state === undefined) throw new RangeError(`Sideband: no endpoint ${index}`);
    return state;
  }

  #url(index: number): string {
    return this.#urls[index] ?? '';
  }
}
