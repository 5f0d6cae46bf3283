import { jsonErrorResponse, type StageResponse } from '../decision/request-decision';
import type { ExchangeState } from '../guard/exchange';
import { addressPartition, hashPartition } from '../ratelimit/consumer-key';
import { type ReportedLimit, rateLimitHeaders } from '../ratelimit/headers';
import type { LimitVerdict } from '../ratelimit/rate-limiter';
import type { RateLimitCounter } from '../ratelimit/store';
import type { RequestStage, StageResult } from './stage';

/**
 * Step 5: the org allowance, the matched profile's limit and the optional per-consumer limit,
 * checked and consumed in one atomic store call. A hit is admitted only if every limit has room; a
 * rejected hit consumes nothing. Admitted hits carry `RateLimit` headers for the response; rejected
 * ones get 429 with `Retry-After`.
 */
export const rateLimitStage: RequestStage = {
  name: 'rate-limit',
  run(exchange) {
    const limits = exchange.config.rateLimits;
    const counters: RateLimitCounter[] = [];
    const partitions: (string | undefined)[] = [];
    const policies: string[] = [];
    if (limits.org !== undefined) {
      counters.push({ key: 'org', ...limits.org, pinned: true });
      partitions.push(undefined);
      policies.push('org');
    }
    const profile = exchange.matchedProfile;
    if (profile?.rateLimit !== undefined) {
      counters.push({ key: `profile:${profile.environment}/${profile.name}`, ...profile.rateLimit, pinned: true });
      partitions.push(hashPartition(limits.partitionSecret, `${profile.environment}/${profile.name}`));
      policies.push('profile');
    }
    if (limits.consumer !== undefined) {
      const { by, limit, periodMs, ipv6Prefix } = limits.consumer;
      // The authenticated principal, never the audit identity a client can set through an audit header;
      // callers nobody authenticated are told apart by address.
      const principal = exchange.principal;
      const address = `ip:${addressPartition(exchange.request.clientIp, ipv6Prefix)}`;
      const id = by === 'identity' && principal !== undefined ? `identity:${principal}` : address;
      const hashed = hashPartition(limits.partitionSecret, id);
      counters.push({ key: `consumer:${hashed}`, limit, periodMs });
      partitions.push(hashed);
      policies.push('consumer');
    }
    if (counters.length === 0) return undefined;
    const cost = exchange.route?.rateLimitCost ?? 1;
    const verdict = exchange.runtime.rateLimiter.consume({
      counters,
      cost,
      algorithm: limits.algorithm,
      now: exchange.runtime.wallClock(),
    });
    // The memory store decides synchronously: no promise for the common case.
    return verdict instanceof Promise
      ? verdict.then((settled) => apply(exchange, settled, counters, partitions, policies, cost))
      : apply(exchange, verdict, counters, partitions, policies, cost);
  },
};

function apply(
  exchange: ExchangeState,
  verdict: LimitVerdict,
  counters: readonly RateLimitCounter[],
  partitions: readonly (string | undefined)[],
  policies: readonly string[],
  cost: number,
): StageResult {
  if (verdict.kind === 'skipped') return undefined;
  if (verdict.kind === 'unavailable') {
    return jsonErrorResponse(503, 'rate-limit-unavailable', 'Rate limits cannot be checked right now.', [
      ['retry-after', '1'],
    ]);
  }
  const { outcome } = verdict;
  const reported: ReportedLimit[] = counters.map((counter, i) => {
    const state = outcome.counters[i] ?? { used: counter.limit, resetMs: counter.periodMs };
    return {
      policy: policies[i] ?? 'limit',
      limit: counter.limit,
      windowSeconds: Math.ceil(counter.periodMs / 1000),
      remaining: Math.max(0, counter.limit - state.used),
      resetSeconds: Math.max(0, Math.ceil(state.resetMs / 1000)),
      partition: partitions[i],
    };
  });
  const { headers: settings } = exchange.config.rateLimits;
  const headers = settings.enabled ? rateLimitHeaders(reported, settings.draft, settings.legacy) : [];
  if (outcome.admitted) {
    exchange.responseHeaders.push(...headers);
    return undefined;
  }
  return tooMany(counters, outcome.counters, cost, headers);
}

function tooMany(
  counters: readonly RateLimitCounter[],
  states: readonly { used: number; resetMs: number }[],
  cost: number,
  headers: readonly (readonly [string, string])[],
): StageResponse {
  // Wait for the latest reset among the limits that turned the hit away.
  let waitMs = 0;
  counters.forEach((counter, i) => {
    const state = states[i];
    if (state !== undefined && state.used + cost > counter.limit) waitMs = Math.max(waitMs, state.resetMs);
  });
  return jsonErrorResponse(429, 'rate-limited', 'Rate limit exceeded; try again later.', [
    ['retry-after', String(Math.max(1, Math.ceil(waitMs / 1000)))],
    ...headers,
  ]);
}
