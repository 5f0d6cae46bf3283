import type { ServerResponse } from 'node:http';
import type { Exchange, GatewayResponse, Guard, HeaderList, RespondDecision } from '@sideguard/core';
import { headerListOf } from './response-head';

/**
 * Sends the core's own answer. Duplicate header names are kept; `Content-Length` is set from the body.
 * A 413 closes the connection, since the rest of the body was never read.
 * @param res - the response
 * @param decision - a `respond` decision (status, headers and body are what is used)
 */
export function sendDecision(
  res: ServerResponse,
  decision: Pick<RespondDecision, 'status' | 'headers' | 'body'>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = decision.status;
  for (const [name, value] of decision.headers) res.appendHeader(name, value);
  res.setHeader('content-length', Buffer.byteLength(decision.body));
  if (decision.status === 413) res.setHeader('connection', 'close');
  res.end(decision.body);
}

/**
 * Counts the body bytes the app sends and reports the finished exchange to the guard (response steps,
 * audit) once the response is done or the connection closed.
 * @param res - the response
 * @param guard - the guard that made the decision
 * @param exchange - the exchange of the `continue` decision
 */
export function trackResponse(res: ServerResponse, guard: Guard, exchange: Exchange): void {
  const sent = new SentResponse(res);
  const write = res.write;
  const end = res.end;
  // Both wrappers keep Node's overloads by forwarding every argument untouched.
  res.write = function (this: ServerResponse, ...args: Parameters<typeof write>) {
    sent.count(args[0], args[1]);
    return write.apply(this, args);
  } as typeof res.write;
  res.end = function (this: ServerResponse, ...args: Parameters<typeof end>) {
    if (typeof args[0] !== 'function') sent.count(args[0], args[1]);
    return end.apply(this, args);
  } as typeof res.end;
  // `handleResponse` never rejects by contract; the catch keeps a guard that breaks it from crashing the host.
  res.once('close', () => void guard.handleResponse(exchange, sent).catch(() => undefined));
}

/**
 * What was sent, as a `GatewayResponse`. The header list is built only if something reads it (a
 * response-phase connector); most exchanges need just the status and size.
 */
class SentResponse implements GatewayResponse {
  bodyBytes = 0;
  readonly #res: ServerResponse;
  #headers: HeaderList | undefined;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  get status(): number {
    return this.#res.statusCode;
  }

  get headers(): HeaderList {
    this.#headers ??= headerListOf(this.#res);
    return this.#headers;
  }

  count(chunk: unknown, encoding: unknown): void {
    if (typeof chunk === 'string') {
      this.bodyBytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    } else if (chunk instanceof Uint8Array) this.bodyBytes += chunk.byteLength;
  }
}
