import { createServer } from 'node:http';
import type { AuditEvent, Exchange, Guard, GuardDeps, SideguardConfigInput } from '@sideguard/core';
import { createGuard } from '@sideguard/core';
import { afterEach, describe, expect, it } from 'vitest';
import { close, listen, send } from './http-client';
import {
  captureWith,
  type GuardTweaks,
  readBody,
  replaceBody,
  replacement,
  rewriteRequest,
  tweakGuard,
} from './tweaked-guard';

/** What the test app's handler reports about the request it received. */
export interface Echo {
  api: string | null;
  identity: string | null;
  clientIp: string | null;
  scheme: string | null;
  /** The method the app saw. */
  method: string | null;
  url: string;
  /** The query as the framework parsed it (or `URLSearchParams`, without one). */
  query: unknown;
  /** The request body as the app's own body reading produced it (parsed JSON), `null` when empty. */
  body: unknown;
  /** The `Content-Length` the app saw. */
  contentLength: string | null;
}

/** What the test app's handler read from the request itself. */
export interface Received {
  method?: string | undefined;
  query?: unknown;
  /** The body, parsed as JSON by the framework or by {@link parseJson}. */
  body?: unknown;
  contentLength?: string | undefined;
}

/**
 * Builds the JSON the test app answers with, from whatever the adapter gave the handler.
 * @param exchange - the exchange the adapter exposed, if any
 * @param url - the URL the handler saw
 * @param received - what the handler read from the request
 */
export function echoOf(exchange: Exchange | null | undefined, url: string | undefined, received: Received = {}): Echo {
  return {
    api: exchange?.api?.name ?? null,
    identity: exchange?.identity ?? null,
    clientIp: exchange?.request.clientIp ?? null,
    scheme: exchange?.request.scheme ?? null,
    method: received.method ?? null,
    url: url ?? '',
    query: received.query ?? null,
    body: received.body ?? null,
    contentLength: received.contentLength ?? null,
  };
}

/**
 * A request body read as a JSON value; `null` when empty.
 * @param text - the body text
 */
export function parseJson(text: string): unknown {
  return text === '' ? null : JSON.parse(text);
}

/**
 * Reads a request stream the way raw-body (under body-parser and co-body) does: refuse a stream that
 * is no longer readable, then collect `data` until `end`.
 * @param stream - the request
 */
export function readText(stream: NodeJS.ReadableStream & { readonly readable: boolean }): Promise<string> {
  if (!stream.readable) return Promise.reject(new Error('stream is not readable'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

/** A running test app. */
export interface RunningApp {
  address: { host: string; port: number };
  /** How many times the app's own handler ran. */
  handled(): number;
  close(): Promise<void>;
}

/** How one adapter is put in front of the test app. */
export interface AdapterHarness {
  name: string;
  /**
   * Starts an app on a free loopback port: the adapter in front, then the framework's usual body
   * reading (JSON), then a handler for every path that answers 200 with {@link echoOf} as JSON.
   * @param guard - the guard to use
   * @param host - listen address: `127.0.0.1`, `::1`, or `::` for dual stack
   */
  start(guard: Guard, host: string): Promise<RunningApp>;
}

const apis = [
  { name: 'orders', basePath: '/orders' },
  { name: 'admin', basePath: '/admin' },
  { name: 'public', basePath: '/public' },
];

/**
 * One suite, every adapter: the same scenarios over real sockets against each framework.
 * @param harness - the adapter under test
 */
export function describeAdapterConformance(harness: AdapterHarness): void {
  describe(`${harness.name} adapter conformance`, () => {
    const running: RunningApp[] = [];
    afterEach(async () => {
      await Promise.all(running.splice(0).map((app) => app.close()));
    });

    async function start(
      config: SideguardConfigInput,
      host = '127.0.0.1',
      deps: GuardDeps = {},
      tweaks?: GuardTweaks,
    ): Promise<RunningApp> {
      const guard = createGuard(config, { logger: quiet, ...deps });
      const app = await harness.start(tweaks === undefined ? guard : tweakGuard(guard, tweaks), host);
      running.push(app);
      return app;
    }

    it('lets matched requests through with the exchange exposed to the app', async () => {
      const app = await start({ apis });
      const res = await send(app.address, { path: '/orders/7?x=1' });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({
        api: 'orders',
        identity: 'Anonymous',
        clientIp: '127.0.0.1',
        scheme: 'http',
        method: 'GET',
        url: '/orders/7?x=1',
        query: { x: '1' },
        body: null,
        contentLength: null,
      });
    });

    const json = { 'content-type': 'application/json' };

    it('gives the app a request body the core already read', async () => {
      let readByCore: string | undefined;
      const app = await start(
        { apis },
        '127.0.0.1',
        {},
        {
          async continue(decision) {
            await readBody(decision);
            readByCore = Buffer.from(decision.request.body.bytes ?? []).toString('utf8');
            return decision;
          },
        },
      );
      const body = JSON.stringify({ order: 7, note: 'read twice' });
      const res = await send(app.address, { method: 'POST', path: '/orders', headers: json, body });
      expect(readByCore).toBe(body);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ api: 'orders', body: JSON.parse(body) });
    });

    it('gives the app a request body the core replaced, with its new Content-Length', async () => {
      const replaced = JSON.stringify({ order: 7, approvedBy: 'policy engine' });
      const app = await start({ apis }, '127.0.0.1', {}, { continue: replaceBody(replaced) });
      const res = await send(app.address, { method: 'POST', path: '/orders', headers: json, body: '{"order":7}' });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({
        body: JSON.parse(replaced),
        contentLength: String(Buffer.byteLength(replaced)),
      });
    });

    it('hands the app a request whose method, URL and query the guard rewrote, with the body it read', async () => {
      const rewrite = rewriteRequest('POST', '/orders/2?x=2');
      const app = await start(
        { apis },
        '127.0.0.1',
        {},
        { continue: async (decision) => rewrite(await readBody(decision)) },
      );
      const body = JSON.stringify({ order: 1 });
      const res = await send(app.address, { method: 'PUT', path: '/orders/1?x=1', headers: json, body });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({
        api: 'orders',
        method: 'POST',
        url: '/orders/2?x=2',
        query: { x: '2' },
        body: { order: 1 },
      });
      expect(app.handled()).toBe(1);
    });

    it('sends the response a response step put in place of the captured one', async () => {
      const app = await start(
        { apis },
        '127.0.0.1',
        {},
        {
          continue: captureWith({ maxBytes: 4096, onOverflow: undefined }),
          respond: (response) =>
            replacement(
              203,
              [
                ['Content-Type', 'application/json'],
                ['X-Rewritten', 'yes'],
              ],
              JSON.stringify({
                seen: JSON.parse(Buffer.from(response.body ?? []).toString('utf8')).url,
              }),
            ),
        },
      );
      const res = await send(app.address, { path: '/orders/9' });
      expect(res.status).toBe(203);
      expect(res.headers['x-rewritten']).toBe('yes');
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.body)));
      expect(JSON.parse(res.body)).toEqual({ seen: '/orders/9' });
    });

    it('fails closed when a captured response outgrows the limit', async () => {
      const reports: boolean[] = [];
      const app = await start(
        { apis },
        '127.0.0.1',
        {},
        {
          continue: captureWith({
            maxBytes: 16,
            onOverflow: replacement(502, [['content-type', 'text/plain']], 'response too large'),
          }),
          respond: (response) => {
            reports.push(response.bodyOverflow === true);
            return response;
          },
        },
      );
      const res = await send(app.address, { path: '/orders/1' });
      expect(res).toMatchObject({ status: 502, body: 'response too large' });
      expect(res.headers['content-type']).toBe('text/plain');
      expect(res.headers['content-length']).toBe('18');
      await waitFor(() => reports.length > 0);
      expect(reports).toEqual([true]);
    });

    it('passes unmatched requests through untouched', async () => {
      const app = await start({ apis });
      const res = await send(app.address, { path: '/elsewhere//x?y' });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ api: null, url: '/elsewhere//x?y' });
    });

    it('answers 404 for unmatched requests when denying, without reaching the app', async () => {
      const app = await start({ apis, unmatched: 'deny' });
      const res = await send(app.address, { path: '/elsewhere' });
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(res.body)).toEqual({ error: 'unmatched', message: 'No API serves this path.' });
      expect(app.handled()).toBe(0);
    });

    it('refuses ambiguous paths that would escape into another API', async () => {
      const app = await start({ apis });
      const res = await send(app.address, { path: '/public/%2e%2e/admin' });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'ambiguous-path' });
      expect(app.handled()).toBe(0);
    });

    it('ignores spoofed forwarding headers from an untrusted peer', async () => {
      const app = await start({ apis, trustedProxies: { addresses: ['10.0.0.0/8', 'fd00::/8'] } });
      const res = await send(app.address, {
        path: '/orders',
        headers: { 'X-Forwarded-For': '203.0.113.5', 'X-Forwarded-Proto': 'https', Forwarded: 'for=198.51.100.1' },
      });
      expect(JSON.parse(res.body)).toMatchObject({ clientIp: '127.0.0.1', scheme: 'http' });
    });

    it('believes X-Forwarded-For and -Proto from a trusted IPv4 peer', async () => {
      const app = await start({ apis, trustedProxies: { addresses: ['127.0.0.1'] } });
      const res = await send(app.address, {
        path: '/orders',
        headers: ['X-Forwarded-For', '6.6.6.6, 203.0.113.5', 'X-Forwarded-Proto', 'https'],
      });
      expect(JSON.parse(res.body)).toMatchObject({ clientIp: '203.0.113.5', scheme: 'https' });
    });

    it('believes Forwarded from a trusted IPv6 peer, and not from an untrusted one', async () => {
      const trusted = await start({ apis, trustedProxies: { addresses: ['::1'], header: 'forwarded' } }, '::1');
      const headers = { Forwarded: 'for="[2001:db8::7]:4711";proto=https' };
      expect(JSON.parse((await send(trusted.address, { path: '/orders', headers })).body)).toMatchObject({
        clientIp: '2001:db8::7',
        scheme: 'https',
      });
      const untrusted = await start({ apis, trustedProxies: { addresses: ['fd00::/8'], header: 'forwarded' } }, '::1');
      expect(JSON.parse((await send(untrusted.address, { path: '/orders', headers })).body)).toMatchObject({
        clientIp: '::1',
        scheme: 'http',
      });
    });

    it('folds an IPv4-mapped peer to IPv4 before checking trust', async () => {
      const trusted = await start({ apis, trustedProxies: { addresses: ['127.0.0.0/8'] } }, '::');
      const res = await send(trusted.address, { path: '/orders', headers: { 'X-Forwarded-For': '192.0.2.44' } });
      expect(JSON.parse(res.body)).toMatchObject({ clientIp: '192.0.2.44' });
      // Written as IPv4-mapped IPv6 in config, it must still match the folded IPv4 peer.
      const mapped = await start({ apis, trustedProxies: { addresses: ['::ffff:127.0.0.0/104'] } }, '::');
      const viaMapped = await send(mapped.address, { path: '/orders', headers: { 'X-Forwarded-For': '192.0.2.45' } });
      expect(JSON.parse(viaMapped.body)).toMatchObject({ clientIp: '192.0.2.45' });
      const untrusted = await start({ apis, trustedProxies: { addresses: ['::ffff:10.0.0.0/104'] } }, '::');
      const spoofed = await send(untrusted.address, { path: '/orders', headers: { 'X-Forwarded-For': '192.0.2.44' } });
      expect(JSON.parse(spoofed.body)).toMatchObject({ clientIp: '127.0.0.1' });
    });

    it('authenticates with Basic profiles: identity exposed, challenge sent, failures kept from the app', async () => {
      const app = await start({
        environments: {
          prod: {
            profiles: { staff: { type: 'basic', realm: 'staff area', users: [{ username: 'ann', password: 'pw' }] } },
          },
        },
        apis: [{ name: 'orders', basePath: '/orders', environment: 'prod', profiles: ['staff'] }],
      });
      const ok = await send(app.address, {
        path: '/orders',
        headers: { authorization: `Basic ${Buffer.from('ann:pw').toString('base64')}` },
      });
      expect(JSON.parse(ok.body)).toMatchObject({ api: 'orders', identity: 'ann' });
      const refused = await send(app.address, { path: '/orders' });
      expect(refused.status).toBe(401);
      expect(refused.headers['www-authenticate']).toBe('Basic realm="staff area", charset="UTF-8"');
      expect(JSON.parse(refused.body)).toMatchObject({ error: 'unauthenticated' });
      expect(app.handled()).toBe(1);
    });

    it('redirects plain HTTP to https on SSL-only APIs with a Location header', async () => {
      const app = await start({ apis: [{ name: 'orders', basePath: '/orders', sslOnly: 'redirect' }] });
      const res = await send(app.address, { path: '/orders/1?a=b', headers: { host: 'shop.example' } });
      expect(res.status).toBe(308);
      expect(res.headers.location).toBe('https://shop.example/orders/1?a=b');
      expect(app.handled()).toBe(0);
    });

    it('limits with the org allowance: RateLimit headers on answers, then 429 with Retry-After', async () => {
      const app = await start({ apis, rateLimits: { org: { limit: 2 } } }, '127.0.0.1', {
        wallClock: () => 1_899_999_990_000,
      });
      const first = await send(app.address, { path: '/orders' });
      expect(first.status).toBe(200);
      expect(first.headers['ratelimit-policy']).toBe('"org";q=2;w=60');
      expect(first.headers.ratelimit).toBe('"org";r=1;t=30');
      expect((await send(app.address, { path: '/admin' })).headers.ratelimit).toBe('"org";r=0;t=30');
      const refused = await send(app.address, { path: '/orders' });
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('30');
      expect(refused.headers.ratelimit).toBe('"org";r=0;t=30');
      expect(JSON.parse(refused.body)).toMatchObject({ error: 'rate-limited' });
      // Paths no API serves are never counted or limited.
      expect((await send(app.address, { path: '/elsewhere' })).status).toBe(200);
      expect(app.handled()).toBe(3);
    });

    it('holds the response for an awaited ASE response phase, then sends it whole', async () => {
      let reportedAt = 0;
      const ase = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          if (req.url === '/ase/response') {
            reportedAt = performance.now();
            setTimeout(() => res.end(), 120);
          } else res.end();
        });
      });
      const aseAddress = await listen(ase);
      try {
        const app = await start({
          apis,
          sideband: {
            ase: { endpoints: [`http://127.0.0.1:${aseAddress.port}`], responsePhase: 'awaited', timeoutMs: 1000 },
          },
        });
        const res = await send(app.address, { path: '/orders/1' });
        const answeredAt = performance.now();
        expect(res.status).toBe(200);
        expect(JSON.parse(res.body)).toMatchObject({ api: 'orders' });
        expect(reportedAt).toBeGreaterThan(0);
        expect(answeredAt - reportedAt).toBeGreaterThanOrEqual(110);
      } finally {
        await close(ase);
      }
    });

    it('reports one audit event per matched exchange with status and response size', async () => {
      const events: AuditEvent[] = [];
      const app = await start({ apis }, '127.0.0.1', { onAudit: (event) => events.push(event) });
      const res = await send(app.address, { path: '/admin/users', method: 'DELETE' });
      await send(app.address, { path: '/not-an-api' });
      await waitFor(() => events.length > 0);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        api: 'admin',
        method: 'DELETE',
        path: '/admin/users',
        status: 200,
        decision: 'continue',
        clientIp: '127.0.0.1',
        responseBytes: Buffer.byteLength(res.body),
      });
    });
  });
}

const ignore = (): void => {};
const quiet = { debug: ignore, info: ignore, warn: ignore, error: ignore };

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
