/**
 * Why a sideband call got no usable reply:
 * - `timeout`: no complete reply within the attempt's time (connect, headers or body);
 * - `connect`: the endpoint could not be reached (refused, unknown host, unreachable);
 * - `tls`: the TLS handshake failed (untrusted or mismatched certificate, client certificate refused);
 * - `too-large`: the reply body exceeded `maxResponseBytes`;
 * - `closed`: the client was closed;
 * - `other`: anything else (connection reset mid-reply, malformed HTTP, invalid request headers).
 */
export type SidebandTransportErrorCode = 'timeout' | 'connect' | 'tls' | 'too-large' | 'closed' | 'other';

/** One failed attempt of a call, as recorded on {@link SidebandTransportError.attempts}. */
export interface SidebandAttemptFailure {
  /** The endpoint's base URL (never carries credentials: the client refuses such URLs). */
  readonly endpoint: string;
  /** Why the attempt failed. */
  readonly code: SidebandTransportErrorCode;
  /** The low-level error code (`ECONNREFUSED`, `UND_ERR_SOCKET`, …), when there is one. */
  readonly detail: string | undefined;
}

/** Options of {@link SidebandTransportError}. */
export interface SidebandTransportErrorOptions {
  /** The endpoint of the last attempt, if any attempt was made. */
  endpoint?: string;
  /** The underlying error, kept for diagnosis. */
  cause?: unknown;
  /** Every failed attempt of the call, oldest first. */
  attempts?: readonly SidebandAttemptFailure[];
}

/**
 * A sideband call that produced no reply. An HTTP status, whatever its value, is a reply and never
 * raises this error. The message names endpoints and error codes only: it never includes request
 * bodies or header values (which carry tokens), so it is safe to log.
 */
export class SidebandTransportError extends Error {
  /** Stable reason of the last attempt, to branch on. */
  readonly code: SidebandTransportErrorCode;
  /** Base URL of the endpoint of the last attempt; `undefined` when no attempt was made. */
  readonly endpoint: string | undefined;
  /** Every failed attempt, oldest first (one or two entries; empty when the client was closed). */
  readonly attempts: readonly SidebandAttemptFailure[];

  /**
   * @param code - why the call failed
   * @param message - safe, human-readable description
   * @param options - endpoint, cause and attempts
   */
  constructor(code: SidebandTransportErrorCode, message: string, options: SidebandTransportErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SidebandTransportError';
    this.code = code;
    this.endpoint = options.endpoint;
    this.attempts = Object.freeze([...(options.attempts ?? [])]);
  }
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
]);
const CLOSED_CODES = new Set(['UND_ERR_CLOSED', 'UND_ERR_DESTROYED']);
// OpenSSL certificate verification results, as Node reports them in `error.code`.
const TLS_CODES = new Set([
  'EPROTO',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'IP_ADDRESS_MISMATCH',
  'PATH_LENGTH_EXCEEDED',
]);
const TLS_PREFIXES = ['ERR_TLS_', 'ERR_SSL_', 'CERT_'];

/** An error code found on an error, its causes, or the members of an AggregateError (happy eyeballs). */
function errorCodes(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 3) return [];
  const codes: string[] = [];
  const { code } = error as { code?: unknown };
  if (typeof code === 'string') codes.push(code);
  if (error instanceof AggregateError) {
    for (const member of error.errors.slice(0, 4)) codes.push(...errorCodes(member, depth + 1));
  }
  if (error instanceof Error) codes.push(...errorCodes(error.cause, depth + 1));
  return codes;
}

/**
 * Maps a low-level failure to a stable code. Internal to the sideband layer.
 * @param error - what undici or Node raised
 * @returns the code and the low-level error code that decided it
 */
export function classifyTransportFailure(error: unknown): { code: SidebandTransportErrorCode; detail?: string } {
  const codes = errorCodes(error);
  for (const detail of codes) {
    if (TIMEOUT_CODES.has(detail)) return { code: 'timeout', detail };
    if (CLOSED_CODES.has(detail)) return { code: 'closed', detail };
    if (TLS_CODES.has(detail) || TLS_PREFIXES.some((prefix) => detail.startsWith(prefix))) {
      return { code: 'tls', detail };
    }
    if (CONNECT_CODES.has(detail)) return { code: 'connect', detail };
  }
  return { code: 'other', detail: codes[0] };
}
