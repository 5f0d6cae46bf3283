import { createHmac, randomBytes } from 'node:crypto';
import { BoundedLru } from '../../cache/bounded-lru';
import { unavailable, type Verdict } from './results';

/** Limits of a {@link TokenVerdictCache}. */
export interface TokenCacheLimits {
  /** Most active tokens remembered. Default 10,000. */
  maxPositive?: number;
  /** How long an active token without `exp` is trusted, in ms. Default 5 minutes. */
  positiveTtlWithoutExpMs?: number;
  /** Most rejected tokens remembered. Default 1,000. */
  maxNegative?: number;
  /** How long a rejected token stays rejected without asking again, in ms. Default 30 s. */
  negativeTtlMs?: number;
  /** Most lookups under way at once; beyond that new tokens get `unavailable`. Default 256. */
  maxInFlight?: number;
}

/**
 * Remembers what the authorization server said about each token, so a token costs one outbound call
 * per lifetime rather than one per request, and collapses concurrent lookups of the same token into one
 * call. Keys are HMAC-SHA256 digests under a random per-instance key: a heap dump or a debugger does
 * not reveal tokens, and digests are useless outside this process. `unavailable` is never cached.
 */
export class TokenVerdictCache {
  readonly #lookup: (token: string) => Promise<Verdict>;
  readonly #now: () => number;
  readonly #hmacKey = randomBytes(32);
  readonly #positive: BoundedLru<string, Verdict>;
  readonly #negative: BoundedLru<string, Verdict>;
  readonly #positiveTtlWithoutExpMs: number;
  readonly #negativeTtlMs: number;
  readonly #inFlight = new Map<string, Promise<Verdict>>();
  readonly #maxInFlight: number;

  /**
   * @param lookup - asks the authorization server; may reject (treated as `unavailable`)
   * @param now - clock in ms
   * @param limits - sizes and lifetimes
   */
  constructor(lookup: (token: string) => Promise<Verdict>, now: () => number, limits: TokenCacheLimits = {}) {
    this.#lookup = lookup;
    this.#now = now;
    this.#positive = new BoundedLru(limits.maxPositive ?? 10_000);
    this.#negative = new BoundedLru(limits.maxNegative ?? 1000);
    this.#positiveTtlWithoutExpMs = limits.positiveTtlWithoutExpMs ?? 5 * 60_000;
    this.#negativeTtlMs = limits.negativeTtlMs ?? 30_000;
    this.#maxInFlight = limits.maxInFlight ?? 256;
  }

  /**
   * The verdict for `token`, from the cache, from a lookup already under way, or from a new lookup.
   * @param token - a syntactically valid bearer token
   */
  get(token: string): Promise<Verdict> {
    const key = createHmac('sha256', this.#hmacKey).update(token).digest('base64url');
    const now = this.#now();
    const cached = this.#positive.get(key, now) ?? this.#negative.get(key, now);
    if (cached !== undefined) return Promise.resolve(cached);
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) return pending;
    // A flood of made-up tokens must not become a flood of calls to the authorization server.
    if (this.#inFlight.size >= this.#maxInFlight) {
      return Promise.resolve(unavailable(new Error('too many token lookups under way')));
    }
    const lookup = this.#lookup(token)
      .catch((cause: unknown) => unavailable(cause))
      .then((verdict) => {
        this.#remember(key, verdict);
        return verdict;
      })
      .finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, lookup);
    return lookup;
  }

  #remember(key: string, verdict: Verdict): void {
    const now = this.#now();
    if (verdict.ok) {
      // Trusted until the token's own expiry, never past it; without `exp`, for a bounded while.
      const expiresAt = verdict.principal.expiresAt ?? now + this.#positiveTtlWithoutExpMs;
      if (expiresAt > now) this.#positive.set(key, verdict, expiresAt);
    } else if (verdict.error === 'invalid_token') {
      this.#negative.set(key, verdict, now + this.#negativeTtlMs);
    }
  }
}
