import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createGuard, type Guard, type Logger, type SideguardConfigInput } from '@sideguard/core';
import { sideguard } from '@sideguard/express';
import { type AseEmulator, type AseEmulatorOptions, startAseEmulator } from '@sideguard/server';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { close, listen, send } from '../../../tools/test-utils/http-client';
import { testTls } from '../../../tools/test-utils/tls';

const caFile = fileURLToPath(new URL('../../../tools/test-utils/tls/ca.crt', import.meta.url));
type AseConfig = NonNullable<NonNullable<SideguardConfigInput['sideband']>['ase']>;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function recorder() {
  const errors: string[] = [];
  const ignore = () => {};
  const logger: Logger = { debug: ignore, info: ignore, warn: ignore, error: (_c, message) => errors.push(message) };
  return { logger, errors };
}

async function emulator(options: AseEmulatorOptions = {}): Promise<AseEmulator> {
  const ase = await startAseEmulator(options);
  cleanup.push(() => ase.close());
  return ase;
}

/** An Express app behind Sideguard with ASE on /shop and /trap, counting what reaches it. */
async function gateway(ase: Partial<AseConfig> & { endpoints: string[] }, logger: Logger = recorder().logger) {
  let reached = 0;
  const guard: Guard = createGuard(
    {
      apis: [
        { name: 'shop', basePath: '/shop' },
        { name: 'trap', basePath: '/trap' },
        { name: 'other', basePath: '/other' },
      ],
      sideband: { ase: { timeoutMs: 200, connectTimeoutMs: 200, ...ase } },
    },
    { logger },
  );
  const app = express();
  app.use(sideguard(guard));
  app.use((_req, res) => {
    reached++;
    res.setHeader('x-backend', 'yes');
    res.json({ ok: true });
  });
  const server: Server = createServer(app);
  const address = await listen(server);
  cleanup.push(async () => {
    await close(server);
    await guard.close();
  });
  return {
    guard,
    address,
    reached: () => reached,
    get: (path: string, headers?: Record<string, string>) => send(address, { path, headers: headers ?? {} }),
  };
}

/** The `headers` array of a recorded payload. */
function headersIn(record: { body: unknown } | undefined): Record<string, string>[] {
  const body = record?.body as { headers?: Record<string, string>[] } | undefined;
  return body?.headers ?? [];
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('ASE sideband through Express and the emulator', () => {
  it('allows, sending the documented payloads with one correlation id for both phases', async () => {
    const ase = await emulator({ token: 'a'.repeat(32) });
    const gw = await gateway({ endpoints: [ase.url], token: 'a'.repeat(32) });
    const res = await gw.get('/shop/books?page=2', { 'user-agent': 'test', 'x-api-key': 'k-1' });
    expect(res.status).toBe(200);
    await waitFor(() => ase.records.length === 2);
    const [request, response] = ase.records;
    expect(request).toMatchObject({
      phase: 'request',
      verdict: 200,
      body: {
        source_ip: '127.0.0.1',
        method: 'GET',
        url: '/shop/books?page=2',
        http_version: '1.1',
        headers: expect.arrayContaining([{ 'user-agent': 'test' }, { 'x-api-key': 'k-1' }]),
      },
    });
    expect(headersIn(request)[0]).toEqual({ host: `127.0.0.1:${gw.address.port}` });
    expect(response).toMatchObject({ phase: 'response', body: { response_code: '200', response_status: 'OK' } });
    expect(headersIn(response)).toContainEqual({ 'x-backend': 'yes' });
    expect(request?.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response?.correlationId).toBe(request?.correlationId);
  });

  it('blocks with 403 when ASE denies the client, without reaching the app', async () => {
    const ase = await emulator({ denyLists: { ip: ['127.0.0.1'] } });
    const gw = await gateway({ endpoints: [ase.url] });
    const res = await gw.get('/shop');
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'sideband-blocked' });
    expect(gw.reached()).toBe(0);
  });

  it('blocks a client that touched a decoy API', async () => {
    const ase = await emulator({
      apis: [
        { name: 'shop', hostname: '*', url: '/shop' },
        { name: 'trap', hostname: '*', url: '/trap', decoy: true },
      ],
    });
    const gw = await gateway({ endpoints: [ase.url] });
    expect((await gw.get('/shop')).status).toBe(200);
    await gw.get('/trap/admin');
    expect((await gw.get('/shop')).status).toBe(403);
  });

  it('treats unknown API, bad token and malformed answers as integration errors: allowed and logged once, or strict', async () => {
    const ase = await emulator({ token: 'b'.repeat(32), apis: [{ name: 'shop', hostname: '*', url: '/shop' }] });
    const { logger, errors } = recorder();
    const lenient = await gateway({ endpoints: [ase.url], token: 'b'.repeat(32) }, logger);
    expect((await lenient.get('/other')).status).toBe(200);
    expect((await lenient.get('/other')).status).toBe(200);
    expect(errors.filter((e) => e.includes('503'))).toHaveLength(1);
    const strict = await gateway({ endpoints: [ase.url], token: 'b'.repeat(32), integrationErrors: 'strict' });
    expect((await strict.get('/other')).status).toBe(503);

    const wrongToken = await gateway(
      { endpoints: [ase.url], token: 'c'.repeat(32), integrationErrors: 'strict' },
      logger,
    );
    expect((await wrongToken.get('/shop')).status).toBe(502);
    expect(errors.some((e) => e.includes('401'))).toBe(true);
    expect(errors.join('\n')).not.toContain('c'.repeat(32));

    ase.setFault({ status: 400 });
    expect((await lenient.get('/shop')).status).toBe(200);
    expect((await strict.get('/shop')).status).toBe(502);
  });

  it('filters headers: deny list, allow list, redaction, no credentials unless kept', async () => {
    const ase = await emulator();
    const headers = {
      cookie: 'sid=1',
      authorization: 'Bearer t0k3n',
      'x-secret': 's',
      'x-api-key': 'key-9',
      accept: 'a',
    };
    const headersOf = (i: number) => headersIn(ase.records[i]);

    await (await gateway({ endpoints: [ase.url], responsePhase: 'off', headers: { list: ['x-secret'] } })).get(
      '/shop',
      headers,
    );
    // The test client also sends `connection: close`.
    expect(headersOf(0).map((h) => Object.keys(h)[0])).toEqual(['host', 'x-api-key', 'accept', 'connection']);

    await (
      await gateway({ endpoints: [ase.url], responsePhase: 'off', headers: { mode: 'allow', list: ['accept'] } })
    ).get('/shop', headers);
    expect(headersOf(1).map((h) => Object.keys(h)[0])).toEqual(['host', 'accept']);

    await (
      await gateway({
        endpoints: [ase.url],
        responsePhase: 'off',
        headers: { redact: ['authorization', 'x-api-key'], redactionKey: 'k' },
      })
    ).get('/shop', headers);
    const redacted = headersOf(2);
    expect(redacted).toContainEqual({ authorization: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.stringify(redacted)).not.toMatch(/t0k3n|key-9|sid=1/);
  });

  it('speaks HTTPS to ASE, trusting a custom CA file', async () => {
    const ase = await emulator({ tls: { cert: testTls.cert, key: testTls.key } });
    const gw = await gateway({ endpoints: [ase.url.replace('127.0.0.1', 'localhost')], tls: { caFiles: [caFile] } });
    expect((await gw.get('/shop')).status).toBe(200);
    expect(ase.records[0]?.phase).toBe('request');
    const untrusted = await gateway({ endpoints: [ase.url.replace('127.0.0.1', 'localhost')], failMode: 'closed' });
    expect((await untrusted.get('/shop')).status).toBe(502);
  });
});

describe('awaited response phase', () => {
  it("holds the client's response until ASE has the response metadata", async () => {
    // A stand-in ASE whose response phase answers slowly, recording when it got the metadata.
    let reportedAt = 0;
    const slowAse = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/ase/response') {
          reportedAt = performance.now();
          setTimeout(() => res.end(), 150);
        } else res.end();
      });
    });
    const address = await listen(slowAse);
    cleanup.push(() => close(slowAse));
    const url = `http://${address.host}:${address.port}`;
    const held = await gateway({ endpoints: [url], responsePhase: 'awaited', timeoutMs: 1000 });
    const start = performance.now();
    const res = await held.get('/shop/books');
    const answeredAt = performance.now();
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true });
    expect(res.headers['x-backend']).toBe('yes');
    expect(reportedAt).toBeGreaterThan(start);
    expect(answeredAt - reportedAt).toBeGreaterThanOrEqual(140);

    const background = await gateway({ endpoints: [url], responsePhase: 'background', timeoutMs: 1000 });
    const quick = performance.now();
    await background.get('/shop/books');
    expect(performance.now() - quick).toBeLessThan(140);
  });
});

describe('ASE across reloads', () => {
  it('keeps its connections and redaction hashes on an identical reload, and its client when a reload fails', async () => {
    const ase = await emulator();
    const config: SideguardConfigInput = {
      apis: [{ name: 'shop', basePath: '/shop' }],
      sideband: { ase: { endpoints: [ase.url], responsePhase: 'off', headers: { redact: ['x-api-key'] } } },
    };
    const guard = createGuard(config, { logger: recorder().logger });
    cleanup.push(() => guard.close());
    const request = {
      method: 'GET',
      target: '/shop',
      httpVersion: '1.1',
      headers: [
        ['Host', 'shop.test'],
        ['X-Api-Key', 'key-1'],
      ] as [string, string][],
      remoteAddress: '127.0.0.1',
      remotePort: 1,
      encrypted: false,
    };
    await guard.handleRequest(request);
    guard.reload(config);
    await guard.handleRequest(request);
    const hashes = ase.records.map((r) => headersIn(r).find((h) => 'x-api-key' in h)?.['x-api-key']);
    expect(hashes[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(hashes[1]).toBe(hashes[0]);

    const broken = {
      ...config,
      sideband: { ase: { endpoints: [ase.url], tls: { caFiles: ['/nonexistent/ca.pem'] } } },
    };
    expect(() => guard.reload(broken)).toThrow();
    expect(await guard.handleRequest(request)).toMatchObject({ action: 'continue', reason: 'allowed' });
    expect(ase.records).toHaveLength(3);
  });

  it('audits hits let through by failing open as such', async () => {
    const ase = await emulator();
    await ase.close();
    const events: string[] = [];
    const guard = createGuard(
      { apis: [{ name: 'shop', basePath: '/shop' }], sideband: { ase: { endpoints: [ase.url], timeoutMs: 100 } } },
      { logger: recorder().logger, onAudit: (event) => events.push(event.reason) },
    );
    cleanup.push(() => guard.close());
    const decision = await guard.handleRequest({
      method: 'GET',
      target: '/shop',
      httpVersion: '1.1',
      headers: [['Host', 'shop.test']],
      remoteAddress: '127.0.0.1',
      remotePort: 1,
      encrypted: false,
    });
    expect(decision).toMatchObject({ action: 'continue', reason: 'sideband-fail-open' });
    await guard.handleResponse(decision.exchange, { status: 200, headers: [] });
    expect(events).toEqual(['sideband-fail-open']);
  });
});

describe('ASE faults', () => {
  it('keeps serving through the secondary when the primary dies under load, and returns to the primary', async () => {
    const primary = await emulator();
    const secondary = await emulator();
    const primaryPort = Number(new URL(primary.url).port);
    const gw = await gateway({
      endpoints: [primary.url, secondary.url],
      recoveryCooldownSeconds: 1,
      responsePhase: 'off',
    });
    const statuses: number[] = [];
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (!stop) statuses.push((await gw.get('/shop')).status);
      }),
    );
    await waitFor(() => statuses.length > 50);
    await primary.close();
    const atKill = statuses.length;
    await waitFor(() => statuses.length > atKill + 200, 5000);
    const revived = await emulator({ port: primaryPort });
    await waitFor(() => revived.records.length > 0, 5000);
    stop = true;
    await load;
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(secondary.records.length).toBeGreaterThan(0);
  });

  it('answers within the timeout when ASE hangs, and survives garbage replies', async () => {
    const ase = await emulator();
    const gw = await gateway({ endpoints: [ase.url], timeoutMs: 150 });
    ase.setFault('hang');
    const start = performance.now();
    expect((await gw.get('/shop')).status).toBe(200);
    expect(performance.now() - start).toBeLessThan(150 + 50);
    ase.setFault('garbage');
    expect((await gw.get('/shop')).status).toBe(200);
    const closed = await gateway({ endpoints: [ase.url], timeoutMs: 150, failMode: 'closed' });
    expect((await closed.get('/shop')).status).toBe(502);
    ase.setFault('normal');
  });

  it('reuses keep-alive connections: 10,000 requests, no more connections than the pool', async () => {
    const ase = await emulator({ maxRecords: 10 });
    const gw = await gateway({ endpoints: [ase.url], connections: 8, responsePhase: 'off' });
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next++ < 10_000) expect((await gw.get('/shop')).status).toBe(200);
      }),
    );
    expect(ase.connections).toBeLessThanOrEqual(8);
  }, 60_000);
});
