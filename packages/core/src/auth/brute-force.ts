import { BoundedLru } from '../cache/bounded-lru';

/** Brute-force protection settings. */
export interface BruteForceSettings {
  /** Failures within the window that trigger a lockout. */
  readonly maxFailures: number;
  /** Length of the counting window, ms. */
  readonly windowMs: number;
  /** How long a locked key stays locked, ms. */
  readonly lockoutMs: number;
  /** Most keys tracked; the least recently seen are forgotten first. */
  readonly maxKeys: number;
}

interface Counter {
  windowStart: number;
  failures: number;
  lockedUntil: number;
}

/**
 * Counts failed logins per key (a username's keyed hash, a client address) in fixed windows, and locks
 * a key out for a cooling-off period once it reaches the limit. Memory is bounded by `maxKeys`.
 */
export class BruteForceTracker {
  readonly #settings: BruteForceSettings;
  readonly #counters: BoundedLru<string, Counter>;

  /** @param settings - limits and bounds */
  constructor(settings: BruteForceSettings) {
    this.#settings = settings;
    this.#counters = new BoundedLru(settings.maxKeys);
  }

  /**
   * Milliseconds until every given key is unlocked; 0 when none is locked.
   * @param keys - the keys of one attempt
   * @param now - current time, ms
   */
  lockedFor(keys: readonly string[], now: number): number {
    let wait = 0;
    for (const key of keys) {
      const counter = this.#counters.get(key, now);
      if (counter !== undefined && counter.lockedUntil > now) wait = Math.max(wait, counter.lockedUntil - now);
    }
    return wait;
  }

  /**
   * Counts a failure against every key; a key reaching the limit is locked.
   * @param keys - the keys of the failed attempt
   * @param now - current time, ms
   */
  recordFailure(keys: readonly string[], now: number): void {
    const { maxFailures, windowMs, lockoutMs } = this.#settings;
    for (const key of keys) {
      let counter = this.#counters.get(key, now);
      if (counter === undefined || now - counter.windowStart >= windowMs) {
        counter = { windowStart: now, failures: 0, lockedUntil: counter?.lockedUntil ?? 0 };
      }
      counter.failures++;
      if (counter.failures >= maxFailures) {
        counter.lockedUntil = now + lockoutMs;
        counter.failures = 0;
        counter.windowStart = now;
      }
      this.#counters.set(key, counter, Math.max(counter.lockedUntil, counter.windowStart + windowMs));
    }
  }

  /**
   * Settles an attempt that was counted in advance and then succeeded: the username's count is
   * cleared, and the attempt is taken back from the address's count (a lockout already in force stays).
   * @param userKey - the username's key
   * @param addressKey - the client address's key
   * @param now - current time, ms
   */
  recordSuccess(userKey: string, addressKey: string, now: number): void {
    this.#counters.delete(userKey);
    const counter = this.#counters.get(addressKey, now);
    if (counter !== undefined && counter.failures > 0) counter.failures--;
  }
}
