import type { ServerResponse } from 'node:http';
import type { Exchange, Guard, RespondDecision } from '@sideguard/core';

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
  let bytes = 0;
  const write = res.write;
  const end = res.end;
  const count = (chunk: unknown, encoding: unknown): void => {
    if (typeof chunk === 'string')
      bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
  };
  // Both wrappers keep Node's overloads by forwarding every argument untouched.
  res.write = function (this: ServerResponse, ...args: Parameters<typeof write>) {
    count(args[0], args[1]);
    return write.apply(this, args);
  } as typeof res.write;
  res.end = function (this: ServerResponse, ...args: Parameters<typeof end>) {
    if (typeof args[0] !== 'function') count(args[0], args[1]);
    return end.apply(this, args);
  } as typeof res.end;
  res.once('close', () => {
    void guard.handleResponse(exchange, {
      status: res.statusCode,
      headers: Object.entries(res.getHeaders()).flatMap(([name, value]) =>
        Array.isArray(value)
          ? value.map((v): [string, string] => [name, v])
          : [[name, String(value)] as [string, string]],
      ),
      bodyBytes: bytes,
    });
  });
}
