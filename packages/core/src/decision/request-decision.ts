import type { Exchange } from '../guard/exchange';
import type { GatewayRequest } from '../http/gateway-request';
import type { ReplacementResponse } from '../http/gateway-response';
import type { HeaderList } from '../http/headers';

/** Why a request was let through. */
export type ContinueReason =
  /** Matched an API and passed every stage. */
  | 'allowed'
  /** Matched no API and `unmatched` is `pass`: untouched, uncounted, unaudited. */
  | 'unmatched'
  /** A stage failed and the guard is configured to fail open. */
  | 'error-fail-open'
  /** A policy engine could not be asked, or answered an error, and its connector fails open. */
  | 'sideband-fail-open';

/** Why the guard answered the request itself. */
export type RespondReason =
  /** Matched no API and `unmatched` is `deny`. */
  | 'unmatched'
  /** Path as sent and normalized path select different APIs. */
  | 'ambiguous-path'
  /** Several or unreadable `Host` lines, or an absolute-form target naming another host. */
  | 'ambiguous-host'
  /** Body longer than the configured limit. */
  | 'body-too-large'
  /** More header lines than a policy engine accepts (431); they are never cut short. */
  | 'request-headers-too-large'
  /** A body a policy engine must read is content-encoded (415): the engine could not read it. */
  | 'body-encoding-unsupported'
  /** The API requires TLS and the request came over plain HTTP: redirected (308) to https. */
  | 'https-redirect'
  /** The API requires TLS and the request came over plain HTTP: refused (403). */
  | 'https-required'
  /** No valid credentials (401 with a challenge). */
  | 'unauthenticated'
  /** A valid token without the required scopes (403). */
  | 'insufficient-scope'
  /** Too many failed logins for this username or client address (429). */
  | 'login-locked'
  /** The identity provider could not be reached (503). */
  | 'auth-unavailable'
  /** The client address is outside the profile's trusted ranges (403). */
  | 'ip-denied'
  /** The org allowance, the profile's limit or the consumer's limit is used up (429). */
  | 'rate-limited'
  /** The rate-limit store is down and the guard fails closed (503). */
  | 'rate-limit-unavailable'
  /** A configured rule denied the request. */
  | 'rule-denied'
  /** A policy engine blocked the request (ASE 403, a PingAuthorize deny with its own status). */
  | 'sideband-blocked'
  /** A policy engine refused the call itself: request too large (413) or rate limited (429), passed on. */
  | 'sideband-rejected'
  /** A policy engine could not be asked, or answered an error, and the guard fails closed (502/503). */
  | 'sideband-unavailable'
  /** A stage failed and the guard is configured to fail closed. */
  | 'error';

/** Pass the request on, possibly changed, to the route handler or upstream. */
export interface ContinueDecision {
  readonly action: 'continue';
  readonly reason: ContinueReason;
  /** Per-request state; hand it back to `guard.handleResponse`. */
  readonly exchange: Exchange;
  /** The request to forward: the original or one changed by a stage. */
  readonly request: GatewayRequest;
  /** Headers to add to whatever response the app or upstream sends (e.g. `RateLimit`). */
  readonly responseHeaders: HeaderList;
  /**
   * Whether the guard wants `handleResponse` for this exchange (an audit sink, or a connector with a
   * response phase). When false, adapters need not watch the response at all.
   */
  readonly observeResponse: boolean;
  /**
   * Whether the response must be held back until `handleResponse` resolves (a response phase the
   * client waits for). Implies `observeResponse`.
   */
  readonly holdResponse: boolean;
  /**
   * Set when a response step reads the body and may replace the whole response (PingAuthorize's
   * response phase, response rules): adapters then hold the response, capture its body into
   * `GatewayResponse.body` and send whatever `guard.handleResponse` returns. Implies `holdResponse`.
   */
  readonly captureResponse: ResponseCapture | undefined;
}

/** How an adapter captures a response whose body a response step reads. */
export interface ResponseCapture {
  /** Most body bytes captured. */
  readonly maxBytes: number;
  /**
   * What to send instead of a response whose body passes `maxBytes` (fail closed), then report the
   * exchange with `bodyOverflow: true`. `undefined`: send the response unchanged and unheld (fail open).
   */
  readonly onOverflow: ReplacementResponse | undefined;
}

/** Answer the client directly with this response; the app never sees the request. */
export interface RespondDecision {
  readonly action: 'respond';
  readonly reason: RespondReason;
  readonly exchange: Exchange;
  readonly status: number;
  readonly headers: HeaderList;
  readonly body: string;
}

/** What the guard decided for one request. */
export type RequestDecision = ContinueDecision | RespondDecision;

/** A response a stage wants sent instead of continuing; the guard turns it into a {@link RespondDecision}. */
export interface StageResponse {
  readonly reason: RespondReason;
  readonly status: number;
  readonly headers?: HeaderList;
  readonly body?: string;
}

/**
 * A small JSON error response in one consistent shape: `{"error": reason, "message": …}`.
 * @param status - HTTP status
 * @param reason - the decision reason, also the `error` field
 * @param message - a sentence for people; never include secrets
 * @param headers - extra headers, such as a challenge or `Retry-After`
 */
export function jsonErrorResponse(
  status: number,
  reason: RespondReason,
  message: string,
  headers: HeaderList = [],
): StageResponse {
  return {
    reason,
    status,
    headers: [['content-type', 'application/json; charset=utf-8'], ...headers],
    body: JSON.stringify({ error: reason, message }),
  };
}

/**
 * Combines what two response steps need captured: the smaller limit, and a fail-closed answer when
 * either wants one (a step that must see every response cannot be skipped for another's sake).
 * @param a - one step's capture, or none
 * @param b - the other's, or none
 */
export function mergeResponseCapture(
  a: ResponseCapture | undefined,
  b: ResponseCapture | undefined,
): ResponseCapture | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return { maxBytes: Math.min(a.maxBytes, b.maxBytes), onOverflow: a.onOverflow ?? b.onOverflow };
}
