import type { RateLimitCounter as Counter, RateLimitCheck, RateLimitOutcome, RateLimitStore } from './store';

interface Window {
  /** Index of the window the count belongs to (`floor(time / period)`). */
  index: number;
  count: number;
  /** Count of the window before `index`, for the sliding algorithm. */
  previous: number;
  periodMs: number;
}

/** How many expired entries one new counter may reclaim; keeps the cost per decision constant. */
const sweepPerInsert = 2;

/**
 * Counters in process memory: the default store, and the fallback when a shared store is down.
 * Bounded by `maxKeys`; a counter moves to the back of the eviction order when a new window starts
 * for it, so the front holds the counters idle longest. Expired windows are reclaimed a few at a time
 * whenever a new counter is added, never with a timer per key. Decisions are synchronous, hence atomic.
 */
export class MemoryStore implements RateLimitStore {
  readonly kind = 'memory';
  readonly #maxKeys: number;
  readonly #windows = new Map<string, Window>();
  // Org and profile counters: as many as the config names, so never evicted (see RateLimitCounter.pinned).
  readonly #pinned = new Map<string, Window>();

  /** @param maxKeys - most counters kept */
  constructor(maxKeys = 100_000) {
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError('MemoryStore needs a positive integer maxKeys');
    this.#maxKeys = maxKeys;
  }

  /** Number of counters held. */
  get size(): number {
    return this.#windows.size + this.#pinned.size;
  }

  consume(check: RateLimitCheck): Promise<RateLimitOutcome> {
    return Promise.resolve(this.consumeNow(check));
  }

  /**
   * The synchronous decision behind {@link consume}.
   * @param check - counters, cost, algorithm, time
   */
  consumeNow(check: RateLimitCheck): RateLimitOutcome {
    const { now, cost, algorithm, counters } = check;
    const n = counters.length;
    const states = new Array<{ used: number; resetMs: number }>(n);
    const found = new Array<Window | undefined>(n);
    let admitted = true;
    for (let i = 0; i < n; i++) {
      const counter = counters[i] as Counter;
      const index = Math.floor(now / counter.periodMs);
      const stored = (counter.pinned === true ? this.#pinned : this.#windows).get(counter.key);
      found[i] = stored;
      let count = 0;
      let previous = 0;
      if (stored !== undefined && stored.periodMs === counter.periodMs) {
        if (stored.index === index) {
          count = stored.count;
          previous = stored.previous;
        } else if (stored.index === index - 1) previous = stored.count;
      }
      const windowStart = index * counter.periodMs;
      // Sliding: the previous window counts in proportion to how much of it the sliding window still covers.
      const carried = algorithm === 'sliding' ? previous * (1 - (now - windowStart) / counter.periodMs) : 0;
      if (carried + count + cost > counter.limit) admitted = false;
      states[i] = { used: Math.ceil(carried) + count, resetMs: windowStart + counter.periodMs - now };
    }
    if (admitted) {
      for (let i = 0; i < n; i++) {
        this.#charge(counters[i] as Counter, found[i], now, cost);
        (states[i] as { used: number }).used += cost;
      }
    }
    return { admitted, counters: states };
  }

  #charge(counter: Counter, stored: Window | undefined, now: number, cost: number): void {
    const index = Math.floor(now / counter.periodMs);
    if (stored !== undefined && stored.periodMs === counter.periodMs && stored.index === index) {
      stored.count += cost;
      return;
    }
    if (stored !== undefined) {
      // A new window for a known counter: roll the count over and move it to the back.
      stored.previous = stored.periodMs === counter.periodMs && stored.index === index - 1 ? stored.count : 0;
      stored.index = index;
      stored.count = cost;
      stored.periodMs = counter.periodMs;
      if (counter.pinned !== true) {
        this.#windows.delete(counter.key);
        this.#windows.set(counter.key, stored);
      }
      return;
    }
    if (counter.pinned === true) {
      this.#pinned.set(counter.key, { index, count: cost, previous: 0, periodMs: counter.periodMs });
      return;
    }
    this.#sweep(now);
    if (this.#windows.size >= this.#maxKeys) this.#evictOldest();
    this.#windows.set(counter.key, { index, count: cost, previous: 0, periodMs: counter.periodMs });
  }

  #evictOldest(): void {
    const oldest = this.#windows.keys().next();
    if (oldest.done !== true) this.#windows.delete(oldest.value);
  }

  /** Drops counters at the front once neither their window nor the next is current. */
  #sweep(now: number): void {
    for (let i = 0; i < sweepPerInsert; i++) {
      const oldest = this.#windows.entries().next();
      if (oldest.done === true) return;
      const [key, window] = oldest.value;
      if ((window.index + 2) * window.periodMs > now) return;
      this.#windows.delete(key);
    }
  }
}
