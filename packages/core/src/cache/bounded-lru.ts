/**
 * A least-recently-used map with a hard size bound and optional per-entry expiry. Expired entries are
 * dropped when read or when the bound pushes them out; there is no timer per entry.
 */
export class BoundedLru<K, V> {
  readonly #max: number;
  readonly #entries = new Map<K, { value: V; expiresAt: number }>();

  /** @param max - the most entries kept; the least recently used goes first */
  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('BoundedLru needs a positive integer size');
    this.#max = max;
  }

  /** Number of entries held, expired ones included until they are touched. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The value for `key` if present and not expired; marks it recently used.
   * @param key - the key
   * @param now - current time in ms, compared with the entry's expiry
   */
  get(key: K, now = Date.now()): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= now) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  /**
   * Stores a value, evicting the least recently used entry when full.
   * @param key - the key
   * @param value - the value
   * @param expiresAt - absolute expiry in ms; `Infinity` for none
   */
  set(key: K, value: V, expiresAt = Number.POSITIVE_INFINITY): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt });
  }

  /** Removes one entry. @param key - the key */
  delete(key: K): void {
    this.#entries.delete(key);
  }

  /** Removes every entry. */
  clear(): void {
    this.#entries.clear();
  }
}
