import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { close, listen } from '../../../../../tools/test-utils/http-client';
import { SidebandClient, SidebandTransportError } from '../../../src/sideband/http/index';

const servers: Server[] = [];
const clients: SidebandClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => close(s)));
});

async function serve(handler: Parameters<typeof createServer>[1]) {
  const server = createServer(handler);
  servers.push(server);
  const { host, port } = await listen(server);
  return `http://${host}:${port}`;
}

function client(url: string, options: Partial<ConstructorParameters<typeof SidebandClient>[0]> = {}) {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const c = new SidebandClient({ endpoints: [url], requestTimeoutMs: 100, logger: quiet, ...options });
  clients.push(c);
  return c;
}

describe('replies the attempt no longer waits for', () => {
  it('survives a reply that arrives after the attempt timed out', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      setTimeout(() => res.end('late'), 250);
    });
    const c = client(url, { requestTimeoutMs: 100 });
    await expect(c.send({ method: 'POST', path: '/x', headers: {}, retry: false })).rejects.toMatchObject({
      code: 'timeout',
    });
    // Let the late reply arrive: an unhandled error on its body would fail this test run.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(calls).toBe(1);
  });

  it('refuses a reply whose declared length is over the limit without crashing', async () => {
    const url = await serve((_req, res) => {
      const body = Buffer.alloc(4096, 'x');
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body);
    });
    const c = client(url, { maxResponseBytes: 1024 });
    const error = await c.send({ method: 'POST', path: '/x', headers: {}, retry: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SidebandTransportError);
    expect(error).toMatchObject({ code: 'too-large' });
    await new Promise((resolve) => setTimeout(resolve, 100));
  });

  it('does not send requests whose attempt already gave up', async () => {
    let received = 0;
    const url = await serve((_req, res) => {
      received++;
      setTimeout(() => res.end('slow'), 300);
    });
    const c = client(url, { connections: 1, requestTimeoutMs: 100 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => c.send({ method: 'POST', path: '/x', headers: {}, retry: false })),
    );
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Only the request that held the one connection went out; the queued ones were dropped.
    expect(received).toBeLessThanOrEqual(2);
  });
});

describe('requests and replies at the edges of HTTP', () => {
  it('refuses a request undici would choke on before it can take a pooled connection', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      res.end('ok');
    });
    const c = client(url, { connections: 1 });
    for (const bad of [
      { headers: { 'x-a': 'a\r\nb' } },
      { headers: { 'bad name': 'v' } },
      { path: '/a b' },
      { path: '/a\u0000' },
    ]) {
      await expect(
        c.send({ method: 'POST', path: '/x', headers: {}, retry: false, ...bad } as Parameters<typeof c.send>[0]),
      ).rejects.toThrow(TypeError);
    }
    // The one connection is still free: a valid call goes through at once.
    const reply = await c.send({ method: 'POST', path: '/x', headers: { 'x-ok': 'fine' }, retry: false });
    expect(reply.body.toString()).toBe('ok');
    expect(calls).toBe(1);
  });

  it('skips 1xx answers and reads the final reply', async () => {
    const url = await serve((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload' });
      res.end('final');
    });
    const early = await client(url).send({ method: 'GET', path: '/early', headers: {}, retry: false });
    expect([early.status, early.body.toString()]).toEqual([200, 'final']);
  });
});
