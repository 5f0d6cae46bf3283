import type { BruteForceTracker } from '../auth/brute-force';
import type { RateLimiter } from '../ratelimit/rate-limiter';
import type { AseConnector } from '../sideband/ase/ase-connector';
import type { PingAuthorizeConnector } from '../sideband/pingauthorize/pingauthorize-connector';
import type { CauseLogger } from '../telemetry/logger';

/**
 * Guard-wide services that outlive a config reload: counters that must not reset when the config
 * changes, the failure log, and the wall clock used for expiries.
 */
export interface GuardRuntime {
  /** Failed-login counters; `undefined` when brute-force protection is off. */
  readonly bruteForce: BruteForceTracker | undefined;
  /** Sideband connectors by name; kept across reloads while their settings hold. */
  readonly sideband: {
    readonly ase: AseConnector | undefined;
    readonly pingauthorize: PingAuthorizeConnector | undefined;
  };
  /** Key for keyed hashes that must stay stable for the guard's lifetime (usernames in lockout counters). */
  readonly hashKey: Buffer;
  /** Logs recurring failures once per cause. */
  readonly failures: CauseLogger;
  /** Rate-limit store behind its time limit and failure mode; kept across reloads while its settings hold. */
  readonly rateLimiter: RateLimiter;
  /** Wall-clock milliseconds, for cache, lockout and rate-limit windows. */
  readonly wallClock: () => number;
}
