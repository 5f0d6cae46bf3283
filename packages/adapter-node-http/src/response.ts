import type { ServerResponse } from 'node:http';
import type { Exchange, GatewayResponse, Guard, HeaderList, RespondDecision } from '@sideguard/core';

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
  res.once('close', () => void guard.handleResponse(exchange, sent));
}

/** Most response bytes held back while a response phase is awaited; a larger response goes out unheld. */
const maxHeldBytes = 1024 * 1024;

type Writer = (this: ServerResponse, chunk: unknown, encoding: unknown, callback: unknown) => unknown;

/**
 * Like {@link trackResponse}, but holds the response back until the guard has finished the exchange
 * (a response phase the client must wait for). Nothing reaches the socket before then: headers are
 * sent with the first write, and writes are held. A response larger than 1 MiB is released at once and
 * reported afterwards, so holding never costs unbounded memory.
 * @param res - the response
 * @param guard - the guard that made the decision
 * @param exchange - the exchange of the `continue` decision
 */
export function holdResponse(res: ServerResponse, guard: Guard, exchange: Exchange): void {
  const sent = new SentResponse(res);
  const write = res.write as unknown as Writer;
  const end = res.end as unknown as Writer;
  const held: [unknown, unknown, unknown][] = [];
  let heldBytes = 0;
  let holding = true;
  let reported = false;
  const report = (): Promise<unknown> => {
    reported = true;
    return guard.handleResponse(exchange, sent);
  };
  const release = (): void => {
    holding = false;
    for (const [chunk, encoding, callback] of held.splice(0)) write.call(res, chunk, encoding, callback);
  };
  res.write = function (this: ServerResponse, chunk: unknown, encoding?: unknown, callback?: unknown) {
    const before = sent.bodyBytes;
    sent.count(chunk, typeof encoding === 'function' ? undefined : encoding);
    if (!holding) return write.call(this, chunk, encoding, callback);
    held.push([chunk, encoding, callback]);
    heldBytes += sent.bodyBytes - before;
    if (heldBytes > maxHeldBytes) release();
    return true;
  } as typeof res.write;
  res.end = function (this: ServerResponse, chunk?: unknown, encoding?: unknown, callback?: unknown) {
    if (typeof chunk !== 'function') sent.count(chunk, typeof encoding === 'function' ? undefined : encoding);
    if (!holding) {
      if (!reported) void report();
      return end.call(this, chunk, encoding, callback);
    }
    // The exchange is finished (status and headers are final): let the guard see it, then send it all.
    const flush = (): void => {
      release();
      end.call(res, chunk, encoding, callback);
    };
    void report().then(flush, flush);
    return this;
  } as typeof res.end;
  // A client gone before the end still finishes the exchange once.
  res.once('close', () => {
    if (!reported) void report();
  });
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
    this.#headers ??= Object.entries(this.#res.getHeaders()).flatMap(([name, value]) =>
      Array.isArray(value)
        ? value.map((v): [string, string] => [name, v])
        : [[name, String(value)] as [string, string]],
    );
    return this.#headers;
  }

  count(chunk: unknown, encoding: unknown): void {
    if (typeof chunk === 'string') {
      this.bodyBytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    } else if (chunk instanceof Uint8Array) this.bodyBytes += chunk.byteLength;
  }
}
