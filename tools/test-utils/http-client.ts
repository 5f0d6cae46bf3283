import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Server } from 'node:net';

/** A response as the test client saw it. */
export interface TestResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Options of {@link send}. */
export interface SendOptions {
  method?: string;
  /** Request target exactly as sent on the wire. */
  path?: string;
  /** Header lines; a flat list keeps duplicates and order. */
  headers?: Record<string, string> | string[];
  body?: string;
  /** Address to connect from (must be local). */
  localAddress?: string;
}

/**
 * Sends one HTTP/1.1 request over a real socket and reads the whole response.
 * @param base - `{ host, port }` of the server
 * @param options - method, raw path, headers, body
 */
export function send(base: { host: string; port: number }, options: SendOptions = {}): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: base.host,
        port: base.port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        // A flat header list is sent as is, so it needs its own Host line.
        headers: Array.isArray(options.headers) ? withHost(options.headers, base) : options.headers,
        localAddress: options.localAddress,
        agent: false,
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
    req.on('error', reject);
    req.end(options.body);
  });
}

function withHost(headers: string[], base: { host: string; port: number }): string[] {
  const hasHost = headers.some((value, i) => i % 2 === 0 && value.toLowerCase() === 'host');
  return hasHost
    ? headers
    : ['Host', `${base.host.includes(':') ? `[${base.host}]` : base.host}:${base.port}`, ...headers];
}

/**
 * Starts a server on a free port of a loopback address and returns where it listens.
 * @param server - an unstarted server
 * @param host - `127.0.0.1`, `::1`, or `::` for dual stack
 */
export async function listen(server: Server, host = '127.0.0.1'): Promise<{ host: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { host: host === '::' ? '127.0.0.1' : host, port };
}

/**
 * Closes a server and every connection it still holds.
 * @param server - a listening server
 */
export function close(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
