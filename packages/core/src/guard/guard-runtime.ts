import type { BruteForceTracker } from '../auth/brute-force';
import type { CauseLogger } from '../telemetry/logger';

/**
 * Guard-wide services that outlive a config reload: counters that must not reset when the config
 * changes, the failure log, and the wall clock used for expiries.
 */
export interface GuardRuntime {
  /** Failed-login counters; `undefined` when brute-force protection is off. */
  readonly bruteForce: BruteForceTracker | undefined;
  /** Logs recurring failures once per cause. */
  readonly failures: CauseLogger;
  /** Wall-clock milliseconds, for cache and lockout expiry. */
  readonly wallClock: () => number;
}
