import { request } from 'undici';

/** Why an upstream call did not produce a usable answer. */
export type UpstreamReason =
  | 'unreachable'
  | 'timeout'
  | 'too_large'
  | 'bad_status'
  | 'bad_json'
  | 'bad_response'
  | 'client_auth'
  | 'misconfigured';

/**
 * An authorization-server failure: maps to `unavailable`. The message is written here and never
 * includes a token or a secret; `cause` is the network error, if any.
 */
export class UpstreamError extends Error {
  /** Stable reason, used as the log cause. */
  readonly reason: UpstreamReason;
  /** HTTP status when the failure is about the response status. */
  readonly status: number | undefined;

  /**
   * @param reason - stable reason
   * @param message - safe human-readable message
   * @param options - HTTP status and underlying error
   */
  constructor(reason: UpstreamReason, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UpstreamError';
    this.reason = reason;
    this.status = options.status;
  }
}

/** One bounded outbound request. */
export interface BoundedRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Budget for the whole exchange, in ms. */
  timeoutMs: number;
  /** Largest response body accepted, in bytes. Default 64 KiB. */
  maxBytes?: number;
  /** Extra abort signal (jose passes one for JWKS fetches). */
  signal?: AbortSignal;
}

/** A complete response. */
export interface BoundedResponse {
  readonly status: number;
  readonly text: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  readonly json: unknown;
}

/** Default response body cap: introspection and tokeninfo answers are a few hundred bytes. */
export const DEFAULT_MAX_BYTES = 64 * 1024;

/**
 * Sends a request with undici and reads the whole body, bounded in time and size. Every failure is an
 * {@link UpstreamError}; any status is returned as is for the caller to judge.
 * @param url - the endpoint (a token in its query must never be logged; callers log the origin only)
 * @param options - method, headers, body, limits
 */
export async function boundedRequest(url: URL | string, options: BoundedRequest): Promise<BoundedResponse> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  // headersTimeout/bodyTimeout bound each phase; the deadline signal bounds the exchange as a whole,
  // so a server that trickles bytes cannot hold a request open past the budget.
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? deadline : AbortSignal.any([deadline, options.signal]);
  try {
    const response = await request(url, {
      method: options.method,
      headers: options.headers,
      body: options.body,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal,
    });
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      response.body.destroy();
      throw new UpstreamError('too_large', `Response body exceeds ${maxBytes} bytes`, { status: response.statusCode });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += buffer.length;
      if (size > maxBytes) {
        response.body.destroy();
        throw new UpstreamError('too_large', `Response body exceeds ${maxBytes} bytes`, {
          status: response.statusCode,
        });
      }
      chunks.push(buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    return { status: response.statusCode, text, json: parseJson(text) };
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    if (signal.aborted || isUndiciTimeout(error)) {
      throw new UpstreamError('timeout', `No complete response within ${options.timeoutMs} ms`, { cause: error });
    }
    throw new UpstreamError('unreachable', 'The endpoint could not be reached', { cause: error });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isUndiciTimeout(error: unknown): boolean {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
}

/**
 * Narrows a parsed body to a JSON object (not an array, not null).
 * @param value - the parsed body
 */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
