import type { Agent, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What a sideband client saw. */
export interface CallResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Options of {@link call}. */
export interface CallOptions {
  method?: string;
  path?: string;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  headers?: OutgoingHttpHeaders;
  agent?: Agent;
  /** CA to trust for HTTPS. */
  ca?: Buffer;
  /** Give up after this many milliseconds without an answer. */
  timeoutMs?: number;
}

/**
 * Sends one call to an emulator over a real socket and reads the whole answer.
 * @param base - the emulator URL
 * @param options - method (POST when a body is given), path, body, headers, agent, CA, timeout
 */
export function call(base: string, options: CallOptions = {}): Promise<CallResult> {
  const url = new URL(options.path ?? '/ase/request', base);
  const payload =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
        headers: { 'content-type': 'application/json', ...options.headers },
        agent: options.agent ?? false,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    if (options.timeoutMs !== undefined) {
      req.setTimeout(options.timeoutMs, () => req.destroy(new Error('client timeout')));
    }
    req.on('error', reject);
    req.end(payload);
  });
}

/** A request-phase payload shaped like Sideguard's (protocol reference §11.2), with overrides. */
export function requestPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source_ip: '203.0.113.7',
    source_port: 41000,
    method: 'GET',
    url: '/shop/books?page=2',
    http_version: '1.1',
    headers: [{ host: 'shop.example' }, { 'user-agent': 'vitest' }, { 'content-length': '0' }],
    ...overrides,
  };
}

/**
 * A request payload for a host and URL, other fields default.
 * @param host - the `host` entry
 * @param url - path and query
 * @param extraHeaders - header entries after `host`
 */
export function routed(
  host: string,
  url: string,
  extraHeaders: Record<string, string>[] = [],
): Record<string, unknown> {
  return requestPayload({ url, headers: [{ host }, ...extraHeaders] });
}

/** A response-phase payload (protocol reference §11.3). */
export function responsePayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    response_code: '200',
    response_status: 'OK',
    http_version: '1.1',
    headers: [{ 'content-type': 'application/json' }, { 'content-length': '2' }],
    ...overrides,
  };
}
