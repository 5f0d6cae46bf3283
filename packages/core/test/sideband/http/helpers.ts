import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Mock, vi } from 'vitest';
import { close, listen } from '../../../../../tools/test-utils/http-client';
import type { Logger, LogMethod } from '../../../src/telemetry/logger';

/** Absolute path of a file of the shared test TLS material. */
export function tlsFile(name: string): string {
  return fileURLToPath(new URL(`../../../../../tools/test-utils/tls/${name}`, import.meta.url));
}

/** A request as a test server saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Subject CN of the client certificate, for mTLS servers. */
  clientCn?: string;
}

/** Answers one request; returning without ending `res` leaves the request hanging. */
export type Handler = (request: SeenRequest, res: ServerResponse) => void;

/** A real server on 127.0.0.1. */
export interface TestServer {
  readonly port: number;
  /** `http(s)://127.0.0.1:port`. */
  readonly url: string;
  readonly requests: SeenRequest[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

const open = new Set<TestServer>();

/** Closes every server started by the helpers (call in `afterEach`). */
export async function closeAllServers(): Promise<void> {
  const servers = [...open];
  open.clear();
  await Promise.all(servers.map((server) => server.close()));
}

/** Replies 200 with a small JSON body. */
export const ok: Handler = (_request, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ok":true}');
};

/** Never answers; the connection is dropped when the server closes. */
export const hang: Handler = () => {};

function wrap(handler: Handler, requests: SeenRequest[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const socket = req.socket as Socket & { getPeerCertificate?: () => { subject?: { CN?: string } } };
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        clientCn: socket.getPeerCertificate?.()?.subject?.CN,
      };
      requests.push(seen);
      handler(seen, res);
    });
  };
}

async function track(server: Server, secure: boolean, port: number | undefined): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  const state = { connections: 0 };
  server.on('connection', () => {
    state.connections++;
  });
  const address = port === undefined ? await listen(server) : await listenOn(server, port);
  const test: TestServer = {
    port: address.port,
    url: `${secure ? 'https' : 'http'}://127.0.0.1:${address.port}`,
    requests,
    get connections() {
      return state.connections;
    },
    close: async () => {
      open.delete(test);
      await close(server);
    },
  };
  open.add(test);
  return test;
}

function listenOn(server: Server, port: number): Promise<{ port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ port }));
  });
}

/**
 * Starts an HTTP server on 127.0.0.1.
 * @param handler - answers requests
 * @param port - a fixed port (to bring a "failed" endpoint back); default a free one
 */
export async function startHttp(handler: Handler = ok, port?: number): Promise<TestServer> {
  const server = createServer();
  const test = await track(server, false, port);
  server.on('request', wrap(handler, test.requests));
  return test;
}

/**
 * Starts an HTTPS server on 127.0.0.1.
 * @param options - certificate, key, client-certificate settings
 * @param handler - answers requests
 */
export async function startHttps(options: HttpsServerOptions, handler: Handler = ok): Promise<TestServer> {
  const server = createHttpsServer(options);
  const test = await track(server, true, undefined);
  server.on('request', wrap(handler, test.requests));
  return test;
}

/** A port with nothing listening: a server is started on it and closed again. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  const { port } = await listen(server);
  await close(server);
  return port;
}

/**
 * A TCP server that answers every connection with `reply` and closes it: not HTTP at all. Without a reply
 * it accepts connections and stays silent (a TLS handshake to it never completes).
 * @param reply - raw bytes to send
 */
export async function startRaw(reply?: string): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (reply !== undefined) socket.once('data', () => socket.end(reply));
  });
  const { port } = await listen(server);
  const handle: TestServer = {
    port,
    url: `http://127.0.0.1:${port}`,
    requests: [],
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        open.delete(handle);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  open.add(handle);
  return handle;
}

/** A logger whose methods are spies. */
export type SpyLogger = Logger & { [K in keyof Logger]: Mock<LogMethod> };

/** Creates a logger that records every call. */
export function spyLogger(): SpyLogger {
  return { debug: vi.fn<LogMethod>(), info: vi.fn<LogMethod>(), warn: vi.fn<LogMethod>(), error: vi.fn<LogMethod>() };
}

/**
 * Polls `condition` until it holds or `timeoutMs` passes.
 * @param condition - checked every 10 ms
 * @param timeoutMs - how long to wait at most
 */
export async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Milliseconds since `start` (from `performance.now()`). */
export function since(start: number): number {
  return performance.now() - start;
}
