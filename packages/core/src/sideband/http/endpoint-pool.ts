import { type Dispatcher, Pool } from 'undici';
import type { EndpointAddress } from './endpoint-url';
import {
  classifyTransportFailure,
  type SidebandAttemptFailure,
  SidebandTransportError,
  type SidebandTransportErrorCode,
} from './errors';
import type { ResolvedTls } from './tls-options';

/** A complete reply to a sideband call. Any HTTP status is a reply. */
export interface SidebandReply {
  /** HTTP status code. */
  status: number;
  /** Response headers, names lower-cased. */
  headers: Record<string, string | string[] | undefined>;
  /** The whole body (at most `maxResponseBytes`). */
  body: Buffer;
  /** Base URL of the endpoint that answered. */
  endpoint: string;
}

/** Settings of one {@link EndpointPool}. */
export interface EndpointPoolOptions {
  /** Keep-alive connections to keep at most. */
  connections: number;
  /** TCP + TLS connect timeout in ms. */
  connectTimeoutMs: number;
  /** Upper bound of any attempt in ms (backs up the per-attempt timer). */
  requestTimeoutMs: number;
  /** Largest accepted reply body in bytes. */
  maxResponseBytes: number;
  /** TLS settings, used for `https:` endpoints. */
  tls: ResolvedTls;
  /** Idle time of a kept-alive connection in ms (also caps the endpoint's hint); `undefined`: undici's default. */
  keepAliveMs?: number | undefined;
}

/** One request on the wire; `path` already includes the endpoint's base path. */
export interface AttemptRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

/** The outcome of one attempt; attempts never throw. */
export type AttemptResult =
  | { readonly ok: true; readonly reply: SidebandReply }
  | {
      readonly ok: false;
      readonly error: SidebandTransportError;
      readonly failure: SidebandAttemptFailure;
      /** `false` when the endpoint is not to blame (client closed, invalid request). */
      readonly endpointFault: boolean;
    };

// Errors raised for the request itself (bad header, bad method), before anything reaches the endpoint.
const REQUEST_FAULTS = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
]);

class TooLargeError extends Error {
  constructor(limit: number) {
    super(`Reply body exceeds ${limit} bytes`);
    this.name = 'TooLargeError';
  }
}

/**
 * One endpoint's keep-alive connection pool, created once with the client. Every attempt is bounded in
 * time by its own timer and in size by `maxResponseBytes`, and always ends with the body fully read or
 * destroyed so the connection goes back to the pool (or is dropped).
 */
export class EndpointPool {
  /** The endpoint this pool connects to. */
  readonly address: EndpointAddress;
  readonly #pool: Pool;
  readonly #maxBytes: number;

  /**
   * @param address - the checked endpoint
   * @param options - pool size, timeouts, size cap, TLS
   */
  constructor(address: EndpointAddress, options: EndpointPoolOptions) {
    this.address = address;
    this.#maxBytes = options.maxResponseBytes;
    const { tls } = options;
    this.#pool = new Pool(address.origin, {
      connections: options.connections,
      pipelining: 1,
      ...(options.keepAliveMs === undefined
        ? {}
        : { keepAliveTimeout: options.keepAliveMs, keepAliveMaxTimeout: options.keepAliveMs }),
      // Backstops only, to free a connection whose attempt already gave up: the per-attempt timer in
      // `attempt` is the real bound. At 1 s or more undici uses its coarse shared timers instead of a
      // native timer per request, which is most of the cost of a short timeout.
      headersTimeout: Math.max(options.requestTimeoutMs, 1000),
      bodyTimeout: Math.max(options.requestTimeoutMs, 1000),
      connect: {
        timeout: options.connectTimeoutMs,
        ...(address.secure
          ? {
              rejectUnauthorized: tls.rejectUnauthorized,
              ...(tls.secureContext === undefined ? {} : { secureContext: tls.secureContext }),
              ...(address.servername === undefined ? {} : { servername: address.servername }),
            }
          : {}),
      },
    });
  }

  /**
   * Sends one request and reads the whole reply within `timeoutMs`.
   * @param request - method, full path, headers, body
   * @param timeoutMs - time allowed for waiting for a connection, connecting, sending and reading the reply
   */
  attempt(request: AttemptRequest, timeoutMs: number): Promise<AttemptResult> {
    // One timer bounds the attempt whether it is queued, connecting (slow TLS handshake) or waiting for
    // the reply, and aborts it in undici so an abandoned request never goes out late or holds a slot.
    return new Promise((resolve) => {
      const collector = new ReplyCollector(this.#maxBytes, this.address.url, {
        reply: (reply) => {
          clearTimeout(timer);
          resolve({ ok: true, reply });
        },
        error: (error) => {
          clearTimeout(timer);
          resolve(this.#failure(error, false, timeoutMs));
        },
      });
      const timer = setTimeout(() => {
        if (collector.abandon()) resolve(this.#failure(undefined, true, timeoutMs));
      }, timeoutMs);
      // The dispatch API hands the reply over in callbacks: no response stream per call. A closed pool
      // answers through `onResponseError`; the catch is only a guard against a throwing dispatcher.
      try {
        this.#pool.dispatch(
          {
            method: request.method,
            path: request.path,
            headers: request.headers,
            body: request.body ?? null,
          },
          collector,
        );
      } catch (error) {
        collector.fail(error);
      }
    });
  }

  async close(graceMs: number): Promise<void> {
    if (this.#pool.closed || this.#pool.destroyed) return;
    const closing = this.#pool.close().then(() => true);
    closing.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    const closed = await Promise.race([closing, grace]);
    clearTimeout(timer);
    if (!closed) await this.#pool.destroy();
  }

  #failure(error: unknown, timedOut: boolean, timeoutMs: number): AttemptResult {
    const endpoint = this.address.url;
    let code: SidebandTransportErrorCode;
    let detail: string | undefined;
    let what: string;
    if (error instanceof TooLargeError) {
      code = 'too-large';
      what = `reply body larger than ${this.#maxBytes} bytes`;
    } else if (timedOut) {
      code = 'timeout';
      what = `no complete reply within ${timeoutMs} ms`;
    } else {
      ({ code, detail } = classifyTransportFailure(error));
      what = `${code} failure${detail === undefined ? '' : ` (${detail})`}`;
    }
    const requestFault = detail !== undefined && REQUEST_FAULTS.has(detail);
    const failure: SidebandAttemptFailure = { endpoint, code, detail };
    return {
      ok: false,
      error: new SidebandTransportError(code, `Sideband call to ${endpoint} failed: ${what}`, {
        endpoint,
        cause: error,
        attempts: [failure],
      }),
      failure,
      endpointFault: code !== 'closed' && !requestFault,
    };
  }
}

type Controller = Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestStart']>>[0];

/**
 * Collects one reply through undici's dispatch callbacks, bounded by `maxBytes`, and settles once:
 * with the reply, or with the error that ended it. Abandoning it (the attempt's timer) aborts the
 * request in undici — at once when it is under way, or as soon as it leaves the queue — so an
 * abandoned request never goes out late.
 */
/** Where a {@link ReplyCollector} delivers its one outcome. */
interface ReplyOutcome {
  reply(reply: SidebandReply): void;
  error(error: Error): void;
}

class ReplyCollector implements Dispatcher.DispatchHandler {
  readonly #maxBytes: number;
  readonly #endpoint: string;
  readonly #outcome: ReplyOutcome;
  #controller: Controller | undefined;
  #done = false;
  #status = 0;
  #headers: Record<string, string | string[] | undefined> = {};
  readonly #chunks: Buffer[] = [];
  #size = 0;

  /**
   * @param maxBytes - the largest reply body accepted
   * @param endpoint - the endpoint's URL, for the reply
   * @param outcome - receives the reply or the error, once
   */
  constructor(maxBytes: number, endpoint: string, outcome: ReplyOutcome) {
    this.#maxBytes = maxBytes;
    this.#endpoint = endpoint;
    this.#outcome = outcome;
  }

  /** Gives up on the reply; `false` when it had already settled. */
  abandon(): boolean {
    if (this.#done) return false;
    this.#done = true;
    this.#controller?.abort(new Error('The attempt timed out'));
    return true;
  }

  /** Ends the attempt with an error thrown by the dispatcher itself rather than passed to a callback. */
  fail(error: unknown): void {
    this.#finish(error instanceof Error ? error : new Error(String(error)));
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    // Left the queue after the attempt gave up: never send it.
    if (this.#done) controller.abort(new Error('The attempt timed out'));
  }

  onResponseStart(controller: Controller, statusCode: number, headers: Record<string, string | string[]>): void {
    if (statusCode < 200) return; // 1xx: the final answer follows.
    this.#status = statusCode;
    this.#headers = headers;
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > this.#maxBytes) this.#tooLarge(controller);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    this.#size += chunk.length;
    // Aborting drops the connection instead of reading the rest of an oversized reply.
    if (this.#size > this.#maxBytes) this.#tooLarge(controller);
    else this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    // A copy, so the reply never pins the larger socket buffers its chunks are views of.
    const body = this.#size === 0 ? Buffer.alloc(0) : Buffer.concat(this.#chunks, this.#size);
    if (this.#done) return;
    this.#done = true;
    this.#outcome.reply({ status: this.#status, headers: this.#headers, body, endpoint: this.#endpoint });
  }

  onResponseError(_controller: Controller, error: Error): void {
    this.#finish(error);
  }

  #tooLarge(controller: Controller): void {
    const error = new TooLargeError(this.#maxBytes);
    this.#finish(error);
    controller.abort(error);
  }

  #finish(error: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#outcome.error(error);
  }
}
