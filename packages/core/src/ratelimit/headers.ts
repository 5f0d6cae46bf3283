import type { HeaderEntry } from '../http/headers';

/** Which version of draft-ietf-httpapi-ratelimit-headers to speak. */
export type RateLimitHeaderDraft =
  /** Drafts 08 and later: `RateLimit-Policy: "org";q=10;w=60` and `RateLimit: "org";r=7;t=30`. */
  | 'draft-08'
  /** Draft 07: `RateLimit-Policy: 10;w=60` and `RateLimit: limit=10, remaining=7, reset=30`. */
  | 'draft-07'
  /** Drafts up to 06: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`, `RateLimit-Policy`. */
  | 'draft-06';

/** One limit as reported to the client. */
export interface ReportedLimit {
  /** Policy name: `org`, `profile` or `consumer`. */
  readonly policy: string;
  readonly limit: number;
  readonly windowSeconds: number;
  readonly remaining: number;
  /** Seconds until the window resets. */
  readonly resetSeconds: number;
  /** Hashed partition key, base64url, when the limit is per partition. */
  readonly partition: string | undefined;
}

/**
 * Rate-limit response headers for the limits of one hit, in the chosen draft's syntax, plus the
 * legacy `X-RateLimit-*` trio when asked. Where a draft can carry only one limit, the tightest
 * (least remaining) is reported.
 * @param limits - the hit's limits, at least one
 * @param draft - the draft version
 * @param legacy - also send `X-RateLimit-Limit`, `-Remaining`, `-Reset`
 */
export function rateLimitHeaders(
  limits: readonly ReportedLimit[],
  draft: RateLimitHeaderDraft,
  legacy: boolean,
): HeaderEntry[] {
  const tightest = limits.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  const headers: HeaderEntry[] = [];
  if (draft === 'draft-08') {
    const pk = (limit: ReportedLimit) => (limit.partition === undefined ? '' : `;pk=:${toBase64(limit.partition)}:`);
    headers.push([
      'RateLimit-Policy',
      limits.map((l) => `"${l.policy}";q=${l.limit};w=${l.windowSeconds}${pk(l)}`).join(', '),
    ]);
    headers.push([
      'RateLimit',
      limits.map((l) => `"${l.policy}";r=${l.remaining};t=${l.resetSeconds}${pk(l)}`).join(', '),
    ]);
  } else if (draft === 'draft-07') {
    headers.push(['RateLimit-Policy', limits.map((l) => `${l.limit};w=${l.windowSeconds}`).join(', ')]);
    headers.push([
      'RateLimit',
      `limit=${tightest.limit}, remaining=${tightest.remaining}, reset=${tightest.resetSeconds}`,
    ]);
  } else {
    headers.push(['RateLimit-Limit', String(tightest.limit)]);
    headers.push(['RateLimit-Remaining', String(tightest.remaining)]);
    headers.push(['RateLimit-Reset', String(tightest.resetSeconds)]);
    headers.push(['RateLimit-Policy', limits.map((l) => `${l.limit};w=${l.windowSeconds}`).join(', ')]);
  }
  if (legacy) {
    headers.push(['X-RateLimit-Limit', String(tightest.limit)]);
    headers.push(['X-RateLimit-Remaining', String(tightest.remaining)]);
    headers.push(['X-RateLimit-Reset', String(tightest.resetSeconds)]);
  }
  return headers;
}

/** Structured-field byte sequences are standard base64 with padding. */
function toBase64(base64url: string): string {
  return Buffer.from(base64url, 'base64url').toString('base64');
}
