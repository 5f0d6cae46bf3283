import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { close, listen } from '../../../../../tools/test-utils/http-client';
import {
  type ContinueDecision,
  createGuard,
  type GatewayRequestInit,
  type Guard,
  type Logger,
  type RequestDecision,
  type SideguardConfigInput,
} from '../../../src/index';

/** One call the fake engine received. */
export interface FakeCall {
  /** `/sideband/request` or `/sideband/response` (after the base path). */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The JSON payload. */
  // biome-ignore lint/suspicious/noExplicitAny: payloads are free-form JSON that tests read field by field.
  readonly body: any;
}

/** Answers one call: a JSON value sent with status 200, or full control over `res`. */
export type FakeHandler = (call: FakeCall, res: ServerResponse) => void;

/** A fake PingAuthorize Sideband API on 127.0.0.1: a real HTTP server driven per test. */
export interface FakePingAuthorize {
  readonly url: string;
  readonly calls: FakeCall[];
  /** TCP connections accepted so far, and those still open. */
  readonly connections: { readonly accepted: number; readonly open: number };
  /** Calls to one path. */
  callsTo(path: '/sideband/request' | '/sideband/response'): FakeCall[];
  /** Replaces how calls are answered. */
  handle(handler: FakeHandler): void;
  close(): Promise<void>;
}

/**
 * Sends a JSON reply.
 * @param res - the response
 * @param value - the JSON value
 * @param status - HTTP status, default 200
 * @param headers - extra headers
 */
export function reply(res: ServerResponse, value: unknown, status = 200, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

/**
 * What PingAuthorize answers when a policy changes nothing: the request echoed (allow), or the
 * response echoed as the top-level response (response phase).
 */
export const echo: FakeHandler = (call, res) => {
  if (call.path === '/sideband/request') {
    reply(res, call.body);
    return;
  }
  const { response_code, response_status, http_version, headers, body } = call.body;
  reply(res, { response_code, response_status, http_version, headers, body });
};

const running = new Set<FakePingAuthorize>();

/** Closes every fake engine (call in `afterEach`). */
export async function closeFakes(): Promise<void> {
  const all = [...running];
  running.clear();
  await Promise.all(all.map((fake) => fake.close()));
}

/**
 * Starts a fake engine.
 * @param handler - how calls are answered; default {@link echo}
 * @param keepAliveMs - how long the engine keeps idle connections (and tells clients so); default Node's 5 s
 */
export async function startFakePingAuthorize(
  handler: FakeHandler = echo,
  keepAliveMs?: number,
): Promise<FakePingAuthorize> {
  let current = handler;
  const calls: FakeCall[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const call: FakeCall = {
        path: req.url ?? '',
        headers: req.headers,
        body: text === '' ? undefined : JSON.parse(text),
      };
      calls.push(call);
      current(call, res);
    });
  });
  if (keepAliveMs !== undefined) server.keepAliveTimeout = keepAliveMs;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    accepted++;
    socket.on('close', () => sockets.delete(socket));
  });
  const { port } = await listen(server);
  const fake: FakePingAuthorize = {
    url: `http://127.0.0.1:${port}`,
    calls,
    get connections() {
      return { accepted, open: sockets.size };
    },
    callsTo: (path) => calls.filter((call) => call.path === path),
    handle(next) {
      current = next;
    },
    async close() {
      running.delete(fake);
      for (const socket of sockets) socket.destroy();
      await close(server);
    },
  };
  running.add(fake);
  return fake;
}

/** A logger that records entries. */
export function recordingLogger(): {
  logger: Logger;
  entries: { level: string; context: Record<string, unknown>; message: string }[];
} {
  const entries: { level: string; context: Record<string, unknown>; message: string }[] = [];
  const at =
    (level: string) =>
    (context: Record<string, unknown>, message: string): void => {
      entries.push({ level, context, message });
    };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, entries };
}

type PingAuthorizeInput = NonNullable<NonNullable<SideguardConfigInput['sideband']>['pingAuthorize']>;

const guards: Guard[] = [];

/** Closes every guard made by {@link guardFor} (call in `afterEach`). */
export async function closeGuards(): Promise<void> {
  await Promise.all(guards.splice(0).map((guard) => guard.close()));
}

/**
 * A guard with one API (`/shop`) whose chain runs PingAuthorize.
 * @param settings - `sideband.pingAuthorize`, endpoints included
 * @param extra - more top-level config, and a logger
 */
export function guardFor(
  settings: Partial<PingAuthorizeInput> & { endpoints: string[] },
  extra: { config?: Partial<SideguardConfigInput>; logger?: Logger } = {},
): Guard {
  const guard = createGuard(
    {
      apis: [{ name: 'shop', basePath: '/shop' }],
      ...extra.config,
      sideband: { pingAuthorize: { sharedSecret: 'test-secret', timeoutMs: 2000, ...settings } },
    },
    { logger: extra.logger ?? recordingLogger().logger },
  );
  guards.push(guard);
  return guard;
}

/** A body source over known text, delivered in one chunk. */
export function bodyOf(text: string | Uint8Array): NonNullable<GatewayRequestInit['body']> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return () => {
    let done = false;
    return {
      next: async () => {
        if (done) return { done: true, value: undefined };
        done = true;
        return { done: false, value: bytes };
      },
    };
  };
}

/**
 * A request as an adapter would describe it.
 * @param target - origin-form target
 * @param extra - fields to override
 */
export function requestInit(target: string, extra: Partial<GatewayRequestInit> = {}): GatewayRequestInit {
  return {
    method: 'GET',
    target,
    httpVersion: '1.1',
    headers: [['Host', 'shop.example.com']],
    remoteAddress: '203.0.113.7',
    remotePort: 51234,
    encrypted: false,
    ...extra,
  };
}

/**
 * The decision as a `continue` one; fails the test with the status and reason otherwise.
 * @param decision - what the guard decided
 */
export function continued(decision: RequestDecision): ContinueDecision {
  if (decision.action !== 'continue') throw new Error(`expected continue, got ${decision.status} ${decision.reason}`);
  return decision;
}
