import type { Logger } from '../telemetry/logger';
import { MemoryStore } from './memory-store';
import type { RateLimitCheck, RateLimitOutcome, RateLimitStore } from './store';

/** What to do when the store cannot answer in time. */
export type StoreFailureMode =
  /** Admit the hit without counting it. */
  | 'open'
  /** Refuse the hit (503). */
  | 'closed'
  /** Count in a bounded in-memory store on this gateway until the shared store is back. */
  | 'memory';

/** How the limiter treats its store. */
export interface RateLimiterSettings {
  readonly onStoreError: StoreFailureMode;
  /** After a failure, how long to skip the store before trying it again, ms. */
  readonly retryMs: number;
}

/** The limiter's answer for one hit. */
export type LimitVerdict =
  | { readonly kind: 'decided'; readonly outcome: RateLimitOutcome }
  /** Store down, failing open: let the hit through uncounted. */
  | { readonly kind: 'skipped' }
  /** Store down, failing closed. */
  | { readonly kind: 'unavailable' };

/**
 * Puts a store behind a failure mode. An outage is logged once when it starts and
 * once when it ends; while it lasts the store is not asked again until `retryMs` has passed, so
 * requests do not each wait for the timeout.
 */
export class RateLimiter {
  readonly store: RateLimitStore;
  readonly #fallback: MemoryStore | undefined;
  readonly #settings: RateLimiterSettings;
  readonly #logger: Logger;
  #degradedSince: number | undefined;
  #retryAt = 0;

  /**
   * @param store - the configured store
   * @param fallback - the in-memory store used when `onStoreError` is `memory`
   * @param settings - time limit and failure mode
   * @param logger - where outages are reported
   */
  constructor(store: RateLimitStore, fallback: MemoryStore | undefined, settings: RateLimiterSettings, logger: Logger) {
    this.store = store;
    this.#fallback = fallback;
    this.#settings = settings;
    this.#logger = logger;
  }

  /** Whether the store is failing and the failure mode is in force. */
  get degraded(): boolean {
    return this.#degradedSince !== undefined;
  }

  /**
   * Decides one hit. The memory store decides synchronously (no promise on the hot path); a shared
   * store answers with a promise that never rejects.
   * @param check - counters, cost, algorithm, time
   */
  consume(check: RateLimitCheck): LimitVerdict | Promise<LimitVerdict> {
    // An in-process store answers synchronously and cannot be down: no timer, no failure mode.
    if (this.store instanceof MemoryStore) return { kind: 'decided', outcome: this.store.consumeNow(check) };
    return this.#consumeShared(check);
  }

  async #consumeShared(check: RateLimitCheck): Promise<LimitVerdict> {
    if (this.#degradedSince !== undefined && check.now < this.#retryAt) return this.#failMode(check);
    try {
      // The store bounds its own time (the Redis store's timeoutMs); no second timer here.
      const outcome = await this.store.consume(check);
      if (this.#degradedSince !== undefined) {
        this.#logger.info(
          { store: this.store.kind, outageMs: check.now - this.#degradedSince },
          'Rate-limit store is back; counting there again',
        );
        this.#degradedSince = undefined;
      }
      return { kind: 'decided', outcome };
    } catch (error) {
      if (this.#degradedSince === undefined) {
        this.#degradedSince = check.now;
        this.#logger.error(
          {
            store: this.store.kind,
            mode: this.#settings.onStoreError,
            err: error instanceof Error ? error.message : String(error),
          },
          `Rate-limit store unavailable; failing ${this.#settings.onStoreError} until it answers again`,
        );
      }
      this.#retryAt = check.now + this.#settings.retryMs;
      return this.#failMode(check);
    }
  }

  #failMode(check: RateLimitCheck): LimitVerdict {
    if (this.#settings.onStoreError === 'open') return { kind: 'skipped' };
    if (this.#settings.onStoreError === 'closed' || this.#fallback === undefined) return { kind: 'unavailable' };
    return { kind: 'decided', outcome: this.#fallback.consumeNow(check) };
  }
}
