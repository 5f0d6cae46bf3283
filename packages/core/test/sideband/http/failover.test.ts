import { afterEach, describe, expect, it, vi } from 'vitest';
import { SidebandClient, type SidebandClientOptions, SidebandTransportError } from '../../../src/sideband/http/index';
import {
  closeAllServers,
  deadPort,
  type Handler,
  hang,
  ok,
  since,
  spyLogger,
  startHttp,
  startRaw,
  waitFor,
} from './helpers';

const clients: SidebandClient[] = [];

function client(options: SidebandClientOptions): SidebandClient {
  const created = new SidebandClient({ logger: spyLogger(), ...options });
  clients.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((entry) => entry.close()));
  await closeAllServers();
});

const post = {
  method: 'POST',
  path: '/ase/request',
  headers: { 'content-type': 'application/json' },
  body: '{}',
} as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Scheduling slack allowed on top of the configured times. */
const MARGIN_MS = 150;

async function failure(promise: Promise<unknown>): Promise<SidebandTransportError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SidebandTransportError);
  return error as SidebandTransportError;
}

/** Answers health probes (`GET /ase`) with `probeStatus` and everything else with 200. */
function aseLike(probeStatus: () => number): Handler {
  return (request, res) => {
    if (request.method === 'GET' && request.url === '/ase') {
      res.writeHead(probeStatus());
      res.end();
      return;
    }
    ok(request, res);
  };
}

describe('SidebandClient failover', () => {
  it('retries a refused call on the secondary and makes it active', async () => {
    const primaryPort = await deadPort();
    const primary = `http://127.0.0.1:${primaryPort}`;
    const secondary = await startHttp();
    const logger = spyLogger();
    const sideband = client({ endpoints: [primary, secondary.url], logger });

    const reply = await sideband.send(post);
    expect(reply.status).toBe(200);
    expect(reply.endpoint).toBe(secondary.url);
    expect(sideband.status()).toEqual({
      active: secondary.url,
      endpoints: [
        { url: primary, healthy: false, consecutiveFailures: 1 },
        { url: secondary.url, healthy: true, consecutiveFailures: 0 },
      ],
    });
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]?.[0]).toMatchObject({ endpoint: primary, reason: 'connect' });

    // Later calls go straight to the secondary: the primary is not tried again.
    await sideband.send(post);
    expect(secondary.requests).toHaveLength(2);
    expect(sideband.status().endpoints[0]?.consecutiveFailures).toBe(1);
  });

  it('completes via the secondary when the primary hangs, within the timeout and the budget', async () => {
    const primary = await startHttp(hang);
    const secondary = await startHttp();
    const sideband = client({ endpoints: [primary.url, secondary.url], requestTimeoutMs: 300 });

    const start = performance.now();
    const reply = await sideband.send(post);
    const elapsed = since(start);
    expect(reply.endpoint).toBe(secondary.url);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(300 + MARGIN_MS);
    expect(primary.requests).toHaveLength(1);
    expect(sideband.status().active).toBe(secondary.url);
    expect(sideband.status().endpoints[0]).toMatchObject({ healthy: false, consecutiveFailures: 1 });
  });

  it('does not retry when retry is false, but later calls use the secondary', async () => {
    const primary = `http://127.0.0.1:${await deadPort()}`;
    const secondary = await startHttp();
    const sideband = client({ endpoints: [primary, secondary.url] });

    const error = await failure(sideband.send({ ...post, retry: false }));
    expect(error.code).toBe('connect');
    expect(error.endpoint).toBe(primary);
    expect(error.attempts).toHaveLength(1);
    expect(secondary.requests).toHaveLength(0);
    expect((await sideband.send(post)).endpoint).toBe(secondary.url);
  });

  it('does not retry when the budget is spent by the first attempt', async () => {
    const primary = await startHttp(hang);
    const secondary = await startHttp();
    const sideband = client({ endpoints: [primary.url, secondary.url], requestTimeoutMs: 200 });

    const start = performance.now();
    const error = await failure(sideband.send({ ...post, budgetMs: 200 }));
    expect(since(start)).toBeLessThan(200 + MARGIN_MS);
    expect(error.code).toBe('timeout');
    expect(secondary.requests).toHaveLength(0);
    expect(sideband.status().active).toBe(secondary.url);
  });

  it('treats an HTTP error status as a reply, not a failure', async () => {
    const primary = await startHttp((_request, res) => {
      res.writeHead(503);
      res.end('Error: Unknown API');
    });
    const secondary = await startHttp();
    const sideband = client({ endpoints: [primary.url, secondary.url] });
    const reply = await sideband.send(post);
    expect(reply.status).toBe(503);
    expect(reply.endpoint).toBe(primary.url);
    expect(sideband.status().active).toBe(primary.url);
    expect(secondary.requests).toHaveLength(0);
  });

  it('wraps around: when the secondary fails too, the call retries on the primary', async () => {
    const primaryPort = await deadPort();
    const secondary = await startHttp();
    const sideband = client({
      endpoints: [`http://127.0.0.1:${primaryPort}`, secondary.url],
      recoveryCooldownMs: 60_000,
    });
    await sideband.send(post);
    expect(sideband.status().active).toBe(secondary.url);

    const primary = await startHttp(ok, primaryPort);
    await secondary.close();
    // The secondary fails; with no endpoint marked healthy, the next in order (the primary) gets the retry.
    const reply = await sideband.send(post);
    expect(reply.endpoint).toBe(primary.url);
    expect(sideband.status()).toMatchObject({
      active: primary.url,
      endpoints: [{ healthy: true }, { healthy: false }],
    });
  });
});

describe('SidebandClient time bounds', () => {
  it('gives up on a call queued behind busy connections at its own budget', async () => {
    const server = await startHttp(hang);
    const sideband = client({ endpoints: [server.url], connections: 1, requestTimeoutMs: 300 });
    const start = performance.now();
    const first = failure(sideband.send({ ...post, retry: false }));
    const queued = failure(sideband.send({ ...post, budgetMs: 100 }));
    expect((await queued).code).toBe('timeout');
    const queuedElapsed = since(start);
    expect(queuedElapsed).toBeGreaterThanOrEqual(95);
    expect(queuedElapsed).toBeLessThan(100 + MARGIN_MS);
    expect((await first).code).toBe('timeout');
  });

  it('bounds a stalled TLS handshake by requestTimeoutMs even with a longer connectTimeoutMs, and closes fast', async () => {
    const silent = await startRaw();
    const secondary = await startHttp();
    const sideband = client({
      endpoints: [`https://127.0.0.1:${silent.port}`, secondary.url],
      connectTimeoutMs: 5000,
      requestTimeoutMs: 200,
    });
    const start = performance.now();
    const reply = await sideband.send(post);
    expect(reply.endpoint).toBe(secondary.url);
    expect(since(start)).toBeLessThan(200 + MARGIN_MS);

    const closing = performance.now();
    await sideband.close();
    expect(since(closing)).toBeLessThan(200 + MARGIN_MS);
  });
});

describe('SidebandClient with every endpoint down', () => {
  it('rejects with a transport error listing both attempts when both refuse', async () => {
    const endpoints = [`http://127.0.0.1:${await deadPort()}`, `http://127.0.0.1:${await deadPort()}`];
    const sideband = client({ endpoints, requestTimeoutMs: 200 });
    const start = performance.now();
    const error = await failure(sideband.send(post));
    expect(since(start)).toBeLessThan(400 + MARGIN_MS);
    expect(error.code).toBe('connect');
    expect(error.attempts.map((attempt) => attempt.endpoint)).toEqual(endpoints);
    expect(error.message).toContain(endpoints[0]);
    expect(error.message).toContain(endpoints[1]);
  });

  it('rejects within the budget when both hang', async () => {
    const first = await startHttp(hang);
    const second = await startHttp(hang);
    const sideband = client({ endpoints: [first.url, second.url], requestTimeoutMs: 200 });
    const start = performance.now();
    const error = await failure(sideband.send({ ...post, budgetMs: 300 }));
    const elapsed = since(start);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(300 + MARGIN_MS);
    expect(error.code).toBe('timeout');
    expect(error.attempts).toEqual([
      { endpoint: first.url, code: 'timeout', detail: undefined },
      { endpoint: second.url, code: 'timeout', detail: undefined },
    ]);
    expect(second.requests).toHaveLength(1);
  });

  it('rejects with a single endpoint without retrying it', async () => {
    const only = `http://127.0.0.1:${await deadPort()}`;
    const sideband = client({ endpoints: [only] });
    const error = await failure(sideband.send(post));
    expect(error.attempts).toHaveLength(1);
    expect(sideband.status()).toEqual({
      active: only,
      endpoints: [{ url: only, healthy: false, consecutiveFailures: 1 }],
    });
  });
});

describe('SidebandClient passive recovery', () => {
  it('goes back to the primary after the cooldown once it is back', async () => {
    const primaryPort = await deadPort();
    const secondary = await startHttp();
    const sideband = client({
      endpoints: [`http://127.0.0.1:${primaryPort}`, secondary.url],
      recoveryCooldownMs: 200,
    });
    expect((await sideband.send(post)).endpoint).toBe(secondary.url);

    const primary = await startHttp(ok, primaryPort);
    // Within the cooldown the primary is left alone even though it is back.
    expect((await sideband.send(post)).endpoint).toBe(secondary.url);
    expect(primary.requests).toHaveLength(0);

    await sleep(250);
    const reply = await sideband.send(post);
    expect(reply.endpoint).toBe(primary.url);
    expect(sideband.status()).toEqual({
      active: primary.url,
      endpoints: [
        { url: primary.url, healthy: true, consecutiveFailures: 0 },
        { url: secondary.url, healthy: true, consecutiveFailures: 0 },
      ],
    });
    expect((await sideband.send(post)).endpoint).toBe(primary.url);
  });

  it('returns to the secondary and restarts the cooldown when the primary is still down', async () => {
    const primary = `http://127.0.0.1:${await deadPort()}`;
    const secondary = await startHttp();
    const sideband = client({ endpoints: [primary, secondary.url], recoveryCooldownMs: 200 });
    await sideband.send(post);

    await sleep(250);
    // The trial on the primary fails; the call itself still succeeds on the secondary.
    const reply = await sideband.send(post);
    expect(reply.endpoint).toBe(secondary.url);
    expect(sideband.status().active).toBe(secondary.url);
    expect(sideband.status().endpoints[0]?.consecutiveFailures).toBe(2);

    // Cooldown restarted: the next calls do not touch the primary.
    await sideband.send(post);
    await sideband.send(post);
    expect(sideband.status().endpoints[0]?.consecutiveFailures).toBe(2);
  });
});

describe('SidebandClient active health checks', () => {
  it('recovers to the primary without traffic as soon as its probe succeeds', async () => {
    const primaryPort = await deadPort();
    const secondary = await startHttp(aseLike(() => 200));
    const sideband = client({
      endpoints: [`http://127.0.0.1:${primaryPort}`, secondary.url],
      healthCheck: { path: '/ase', intervalMs: 40 },
      recoveryCooldownMs: 60_000,
    });
    expect((await sideband.send(post)).endpoint).toBe(secondary.url);
    expect(sideband.status().active).toBe(secondary.url);

    const primary = await startHttp(
      aseLike(() => 200),
      primaryPort,
    );
    await waitFor(() => sideband.status().active === primary.url);
    expect(primary.requests.every((request) => request.method === 'GET' && request.url === '/ase')).toBe(true);
    expect((await sideband.send(post)).endpoint).toBe(primary.url);
  });

  it('marks an endpoint whose probe fails unhealthy and moves traffic away without a failed call', async () => {
    let primaryProbe = 200;
    const primary = await startHttp(aseLike(() => primaryProbe));
    const secondary = await startHttp(aseLike(() => 200));
    const sideband = client({
      endpoints: [`${primary.url}/`, secondary.url],
      healthCheck: { path: '/ase', intervalMs: 40, timeoutMs: 100 },
    });
    expect((await sideband.send(post)).endpoint).toBe(primary.url);

    primaryProbe = 503;
    await waitFor(() => sideband.status().active === secondary.url);
    expect(sideband.status().endpoints[0]?.healthy).toBe(false);
    expect((await sideband.send(post)).endpoint).toBe(secondary.url);

    primaryProbe = 200;
    await waitFor(() => sideband.status().active === primary.url);
  });

  it("starts no timer without health checks, one unref'd interval with them, and clears it on close", async () => {
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');
    const clearIntervalSpy = vi.spyOn(globalThis, 'clearInterval');
    const server = await startHttp(aseLike(() => 200));
    const quiet = client({ endpoints: [server.url] });
    expect(setIntervalSpy).not.toHaveBeenCalled();

    const probing = client({ endpoints: [server.url], healthCheck: { path: '/ase', intervalMs: 20 } });
    expect(setIntervalSpy).toHaveBeenCalledTimes(1);
    const timer = setIntervalSpy.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    await waitFor(() => server.requests.length >= 2);
    await Promise.all([probing.close(), quiet.close()]);
    expect(clearIntervalSpy).toHaveBeenCalledWith(timer);
    const seen = server.requests.length;
    await sleep(100);
    expect(server.requests).toHaveLength(seen);
    expect(server.requests.every((request) => request.url === '/ase')).toBe(true);
  });
});
