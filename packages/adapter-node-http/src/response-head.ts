import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { HeaderEntry, HeaderList, ReplacementResponse } from '@sideguard/core';

/** `res.writeHead` as Node defines it, with its overloads flattened. */
export type WriteHead = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

/** `res.end` as Node defines it, with its overloads flattened. */
export type End = (this: ServerResponse, chunk?: unknown, encoding?: unknown, callback?: unknown) => ServerResponse;

/**
 * The headers a response carries so far, one line per value, names in lower case.
 * @param res - the response
 */
export function headerListOf(res: ServerResponse): HeaderList {
  const lines: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(res.getHeaders())) {
    if (Array.isArray(value)) for (const v of value) lines.push([name, v]);
    else if (value !== undefined) lines.push([name, String(value)]);
  }
  return lines;
}

// Characters Node refuses in a reason phrase (it throws ERR_INVALID_CHAR).
const invalidReason = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Does to status, reason and headers what `res.writeHead(...args)` would, without committing them:
 * the headers land in the response's header map (where `getHeaders()` sees them and a replacement can
 * remove them), and nothing is stored for sending. Node's own `writeHead` keeps headers passed to it
 * out of the map whenever no `setHeader` came first, and freezes them. Arguments Node refuses are handed
 * to Node so the app gets Node's own error.
 * @param res - the response
 * @param writeHead - Node's `writeHead`, for refused arguments
 * @param args - the arguments the app passed
 */
export function recordWriteHead(res: ServerResponse, writeHead: WriteHead, args: unknown[]): ServerResponse {
  const [statusCode, reason, more] = args;
  const status = (statusCode as number) | 0;
  const headers = (typeof reason === 'string' ? more : (reason ?? more)) as
    | OutgoingHttpHeaders
    | readonly unknown[]
    | undefined;
  const flatList = Array.isArray(headers) && !Array.isArray(headers[0]);
  if (
    status < 100 ||
    status > 999 ||
    (typeof reason === 'string' && invalidReason.test(reason)) ||
    (flatList && (headers as readonly unknown[]).length % 2 !== 0)
  ) {
    return writeHead.apply(res, args);
  }
  if (typeof reason === 'string') res.statusMessage = reason;
  res.statusCode = status;
  if (Array.isArray(headers)) {
    const lines = headers as readonly unknown[];
    const seen = new Set<string>();
    const add = (name: unknown, value: unknown): void => {
      if (typeof name !== 'string' || name === '') return;
      const key = name.toLowerCase();
      // A list keeps duplicate lines, as Node sends them; its first line of a name replaces earlier setHeader values.
      if (seen.has(key)) res.appendHeader(name, value as string | readonly string[]);
      else res.setHeader(name, value as OutgoingHttpHeader);
      seen.add(key);
    };
    if (flatList) for (let i = 0; i < lines.length; i += 2) add(lines[i], lines[i + 1]);
    else for (const line of lines as readonly (readonly unknown[])[]) add(line[0], line[1]);
  } else if (headers) {
    for (const name of Object.keys(headers)) {
      const value = (headers as OutgoingHttpHeaders)[name];
      if (name !== '' && value !== undefined) res.setHeader(name, value);
    }
  }
  return res;
}

// Framing and connection lines of a replacement are the adapter's business, not the replacement's.
const framingHeaders = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

/**
 * Sends a replacement instead of what the app wrote: every header the app set goes (except
 * `Connection`, which Node's keep-alive handling reads), then the replacement's status, headers and body
 * with its exact `Content-Length`, plus Sideguard's own response headers (rate-limit state) where the
 * replacement does not set them. The response must not have been committed yet. To a HEAD request
 * (whose body Node drops) an empty replacement goes without `Content-Length`.
 * @param res - the response
 * @param end - Node's `end`, so wrappers installed on `res` do not see the replacement as app output
 * @param replacement - what to send
 * @param ownHeaders - Sideguard's own response headers
 * @param callback - the app's `end` callback, if any
 * @param head - whether the request is a HEAD request
 */
export function sendReplacement(
  res: ServerResponse,
  end: End,
  replacement: ReplacementResponse,
  ownHeaders: HeaderList,
  callback: unknown,
  head: boolean,
): void {
  // Removing a Date header turns Node's own Date off; the replacement should still get one.
  const sendDate = res.sendDate;
  for (const name of res.getHeaderNames()) if (name !== 'connection') res.removeHeader(name);
  res.sendDate = sendDate;
  res.statusCode = replacement.status;
  // An app's reason phrase belongs to the app's status; empty makes Node use the standard one.
  res.statusMessage = '';
  for (const [name, value] of replacement.headers) {
    if (!framingHeaders.has(name.toLowerCase())) res.appendHeader(name, value);
  }
  for (const [name, value] of ownHeaders) if (!res.hasHeader(name)) res.appendHeader(name, value);
  const { status, body } = replacement;
  // These statuses carry no body and no length (RFC 9110 §8.6, §15.4.5); Node drops the bytes itself.
  const bodiless = status < 200 || status === 204 || status === 304;
  // HEAD's length is the one a GET would get (RFC 9110 §9.3.2). An empty replacement was most likely made
  // from the app's HEAD answer, which has no body, so 0 would be a wrong guess: send no length at all.
  const unknownLength = head && body.byteLength === 0;
  if (!bodiless && !unknownLength) res.setHeader('content-length', body.byteLength);
  end.call(res, bodiless ? undefined : Buffer.from(body.buffer, body.byteOffset, body.byteLength), undefined, callback);
}
