import { createServer, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import type { GatewayResponse, SideguardConfigInput } from '@sideguard/core';
import { createGuard } from '@sideguard/core';
import { type ProtectedListener, protect } from '@sideguard/node-http';
import { afterEach, describe, expect, it } from 'vitest';
import { close, listen, send } from '../../../tools/test-utils/http-client';
import {
  captureWith,
  type GuardTweaks,
  replacement,
  type TweakedGuard,
  tweakGuard,
} from '../../../tools/test-utils/tweaked-guard';

const servers: ReturnType<typeof createServer>[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => close(server)));
});

const ignore = (): void => {};
const quiet = { debug: ignore, info: ignore, warn: ignore, error: ignore };
const apis = [{ name: 'orders', basePath: '/orders' }];

async function serve(
  tweaks: GuardTweaks,
  listener: ProtectedListener,
  config: SideguardConfigInput = { apis },
): Promise<{ address: { host: string; port: number }; guard: TweakedGuard }> {
  const guard = tweakGuard(createGuard(config, { logger: quiet }), tweaks);
  const server = createServer(protect(guard, listener));
  servers.push(server);
  return { address: await listen(server), guard };
}

const text = (body: Uint8Array | undefined): string | undefined =>
  body === undefined ? undefined : Buffer.from(body).toString('utf8');

const headerNames = (response: GatewayResponse): string[] => response.headers.map(([name]) => name);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/** Sends a raw request and notes when the first response byte arrived; resolves when the server closes. */
function rawExchange(
  address: { host: string; port: number },
  path: string,
): Promise<{ firstByteAt: number; response: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(address.port, address.host);
    let firstByteAt = 0;
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      firstByteAt ||= performance.now();
      chunks.push(chunk);
    });
    socket.on('end', () => resolve({ firstByteAt, response: Buffer.concat(chunks).toString('utf8') }));
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`);
  });
}

const capture = captureWith({ maxBytes: 4096, onOverflow: undefined });

describe('node-http response capture', () => {
  it('holds a captured response until a slow guard answers, then sends it as written', async () => {
    let answeredAt = 0;
    const callbacks: string[] = [];
    const { address, guard } = await serve(
      {
        continue: capture,
        respond: async (response) => {
          await sleep(150);
          answeredAt = performance.now();
          return response;
        },
      },
      (_req, res) => {
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.write('68656c6c6f', 'hex', () => callbacks.push('write'));
        res.write(Buffer.from(' '));
        res.end('wörld', 'utf8', () => callbacks.push('end'));
      },
    );
    const { firstByteAt, response } = await rawExchange(address, '/orders/1');
    expect(answeredAt).toBeGreaterThan(0);
    expect(firstByteAt).toBeGreaterThanOrEqual(answeredAt);
    expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(response).toMatch(/\r\ncontent-type: text\/plain; charset=utf-8\r\n/i);
    // Released as the app wrote it: one chunk per write.
    expect(response.endsWith('\r\n\r\n5\r\nhello\r\n1\r\n \r\n6\r\nwörld\r\n0\r\n\r\n')).toBe(true);
    expect(guard.reports).toHaveLength(1);
    const [report] = guard.reports as [GatewayResponse];
    expect(report).toMatchObject({ status: 200, bodyBytes: 12 });
    expect(text(report.body)).toBe('hello wörld');
    expect(report.headers).toContainEqual(['content-type', 'text/plain; charset=utf-8']);
    expect(report.bodyOverflow).toBeUndefined();
    await waitFor(() => callbacks.length === 2);
    expect(callbacks.sort()).toEqual(['end', 'write']);
  });

  it('fails closed with the overflow answer when a broken guard rejects a captured response', async () => {
    const { address } = await serve(
      {
        continue: captureWith({ maxBytes: 1024, onOverflow: replacement(502, [], 'unchecked') }),
        respond: () => Promise.reject(new Error('broken guard')),
      },
      (_req, res) => res.end('secret body'),
    );
    const response = await send(address, { path: '/orders/1' });
    expect(response.status).toBe(502);
    expect(response.body).toBe('unchecked');
  });

  it("replaces status, headers and body, keeping only Sideguard's own headers", async () => {
    let ended = false;
    const { address } = await serve(
      {
        continue: capture,
        respond: () =>
          replacement(
            451,
            [
              ['Content-Type', 'text/plain; charset=utf-8'],
              ['X-Rep', 'a'],
              ['X-Rep', 'b'],
              ['Content-Length', '1'],
            ],
            'replaced ✓',
          ),
      },
      (_req, res) => {
        res.statusCode = 200;
        res.statusMessage = 'Fine Thanks';
        res.setHeader('x-app', 'internal detail');
        res.setHeader('content-encoding', 'gzip');
        res.setHeader('set-cookie', ['session=1']);
        res.write('original ');
        res.end('body', () => {
          ended = true;
        });
      },
      { apis, rateLimits: { org: { limit: 100 } } },
    );
    const res = await send(address, { path: '/orders/2' });
    expect(res.status).toBe(451);
    expect(res.body).toBe('replaced ✓');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength('replaced ✓')));
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['x-rep']).toBe('a, b');
    expect(res.headers['x-app']).toBeUndefined();
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['ratelimit-policy']).toBe('"org";q=100;w=60');
    await waitFor(() => ended);
  });

  it('sees headers given to writeHead and keeps them uncommitted until the guard has answered', async () => {
    const { address, guard } = await serve(
      {
        continue: capture,
        respond: (response) =>
          response.status === 202 ? replacement(200, [['content-type', 'text/plain']], 'swapped') : response,
      },
      (req, res) => {
        if (req.url === '/orders/keep') {
          res.setHeader('x-set', 'early');
          res.flushHeaders();
          res.writeHead(201, 'Made Here', { 'X-Head': 'v', 'Content-Type': 'text/plain', 'X-Set': 'late' }).end('made');
        } else res.writeHead(202, ['X-Dup', 'a', 'x-dup', 'b']).end('accepted');
      },
    );
    const kept = await rawExchange(address, '/orders/keep');
    expect(kept.response).toMatch(/^HTTP\/1\.1 201 Made Here\r\n/);
    expect(kept.response).toMatch(/\r\nX-Head: v\r\n/);
    expect(kept.response).toMatch(/\r\nX-Set: late\r\n/);
    expect(kept.response.endsWith('\r\n\r\nmade')).toBe(true);
    const [keptReport] = guard.reports as [GatewayResponse];
    expect(keptReport.status).toBe(201);
    expect(keptReport.headers).toEqual(
      expect.arrayContaining([
        ['x-head', 'v'],
        ['x-set', 'late'],
      ]),
    );

    const swapped = await rawExchange(address, '/orders/swap');
    expect(swapped.response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(swapped.response).not.toMatch(/x-dup/i);
    expect(swapped.response.endsWith('\r\n\r\nswapped')).toBe(true);
    const swapReport = guard.reports[1] as GatewayResponse;
    expect(swapReport.headers.filter(([name]) => name === 'x-dup')).toEqual([
      ['x-dup', 'a'],
      ['x-dup', 'b'],
    ]);
  });

  it('also makes writeHead headers visible when it only holds the response', async () => {
    const { address, guard } = await serve(
      { continue: (decision) => ({ ...decision, holdResponse: true, observeResponse: true }) },
      (_req, res) => {
        res.writeHead(200, { 'x-head': 'held' }).end('ok');
      },
    );
    const res = await send(address, { path: '/orders' });
    expect(res.headers['x-head']).toBe('held');
    await waitFor(() => guard.reports.length === 1);
    expect(guard.reports[0]?.headers).toContainEqual(['x-head', 'held']);
    expect(guard.reports[0]?.body).toBeUndefined();
  });

  it('captures a response piped from a stream', async () => {
    const { address, guard } = await serve({ continue: capture }, (_req, res) => {
      res.setHeader('content-type', 'text/plain');
      Readable.from(['one ', 'two ', 'three']).pipe(res);
    });
    const res = await send(address, { path: '/orders/stream' });
    expect(res.body).toBe('one two three');
    expect(text(guard.reports[0]?.body)).toBe('one two three');
  });

  it('lets an overflowing response through unchanged when there is no overflow answer', async () => {
    const { address, guard } = await serve(
      {
        continue: captureWith({ maxBytes: 4096, onOverflow: undefined }),
        respond: () => replacement(500, [], 'must not be sent'),
      },
      (_req, res) => {
        res.setHeader('x-app', 'kept');
        Readable.from(
          (function* () {
            for (let i = 0; i < 32; i++) yield Buffer.alloc(1024, 97 + (i % 26));
          })(),
        ).pipe(res);
      },
    );
    const res = await send(address, { path: '/orders/big' });
    expect(res.status).toBe(200);
    expect(res.headers['x-app']).toBe('kept');
    expect(res.body).toHaveLength(32 * 1024);
    expect(res.body.slice(0, 3)).toBe('aaa');
    expect(res.body.slice(-3)).toBe('fff');
    await waitFor(() => guard.reports.length > 0);
    expect(guard.reports).toHaveLength(1);
    expect(guard.reports[0]).toMatchObject({ status: 200, bodyBytes: 32 * 1024, bodyOverflow: true, body: undefined });
  });

  it("sends the overflow answer at once and quietly discards the app's further output", async () => {
    let clientDone: () => void = ignore;
    const clientHasAnswer = new Promise<void>((resolve) => {
      clientDone = resolve;
    });
    const callbacks: (Error | null | undefined)[] = [];
    const errors: Error[] = [];
    const { address, guard } = await serve(
      {
        continue: captureWith({
          maxBytes: 1024,
          onOverflow: replacement(502, [['content-type', 'application/json']], '{"error":"too large"}'),
        }),
      },
      async (_req, res) => {
        res.on('error', (error) => errors.push(error));
        res.setHeader('x-app', 'secret');
        res.setHeader('content-type', 'text/plain');
        for (let i = 0; i < 2; i++) res.write(Buffer.alloc(1000, 120), (error) => callbacks.push(error));
        // The answer is out before the app has finished.
        await clientHasAnswer;
        res.writeHead(299, { 'x-late': 'ignored' });
        res.flushHeaders();
        for (let i = 0; i < 3; i++) res.write('more', (error) => callbacks.push(error));
        res.end('last', () => callbacks.push(undefined));
      },
    );
    const res = await send(address, { path: '/orders/huge' });
    clientDone();
    expect(res.status).toBe(502);
    expect(res.body).toBe('{"error":"too large"}');
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['content-length']).toBe('21');
    expect(res.headers['x-app']).toBeUndefined();
    await waitFor(() => callbacks.length === 6);
    expect(callbacks.every((error) => error == null)).toBe(true);
    expect(errors).toEqual([]);
    expect(guard.reports).toHaveLength(1);
    const [report] = guard.reports as [GatewayResponse];
    expect(report).toMatchObject({ status: 200, bodyOverflow: true, body: undefined });
    expect(report.headers).toContainEqual(['x-app', 'secret']);
    expect(headerNames(report)).not.toContain('x-late');
  });

  // One write larger than the bound must not be copied first: memory would briefly hold it twice.
  // `arrayBuffers` right after the call still counts such a copy, garbage or not, since nothing ran a GC.
  const huge = 32 * 1024 * 1024;
  it('passes one write larger than the bound on without copying it', async () => {
    let grew = Number.NaN;
    const { address, guard } = await serve(
      { continue: captureWith({ maxBytes: 4096, onOverflow: undefined }) },
      (_req, res) => {
        const chunk = Buffer.alloc(huge, 97);
        const before = process.memoryUsage().arrayBuffers;
        res.write(chunk);
        grew = process.memoryUsage().arrayBuffers - before;
        res.end();
      },
    );
    const res = await send(address, { path: '/orders/huge' });
    expect(res.body).toHaveLength(huge);
    expect(grew).toBeLessThan(huge);
    await waitFor(() => guard.reports.length > 0);
    expect(guard.reports[0]).toMatchObject({ bodyBytes: huge, bodyOverflow: true, body: undefined });
  });

  it('discards a last string larger than the bound without encoding it', async () => {
    let grew = Number.NaN;
    const { address, guard } = await serve(
      { continue: captureWith({ maxBytes: 4096, onOverflow: replacement(502, [], 'too large') }) },
      (_req, res) => {
        const chunk = 'a'.repeat(huge);
        const before = process.memoryUsage().arrayBuffers;
        res.end(chunk);
        grew = process.memoryUsage().arrayBuffers - before;
      },
    );
    const res = await send(address, { path: '/orders/huge' });
    expect(res).toMatchObject({ status: 502, body: 'too large' });
    expect(grew).toBeLessThan(huge);
    await waitFor(() => guard.reports.length > 0);
    expect(guard.reports[0]).toMatchObject({ bodyBytes: huge, bodyOverflow: true, body: undefined });
  });

  for (const [mode, tweaks] of [
    ['captured', { continue: capture }],
    ['held', { continue: (decision) => ({ ...decision, holdResponse: true, observeResponse: true }) }],
  ] as [string, GuardTweaks][]) {
    it(`calls each write back once its chunk is ${mode}, so an app that awaits its writes can end`, async () => {
      const calls: string[] = [];
      const { address, guard } = await serve(tweaks, async (_req, res) => {
        const written = (chunk: string | Buffer, name: string) =>
          new Promise<void>((resolve) =>
            res.write(chunk, () => {
              calls.push(name);
              resolve();
            }),
          );
        await written('a', 'first');
        const reused = Buffer.from('bb');
        await written(reused, 'second');
        // Called back, the app may reuse its buffer: what was held must not change with it.
        reused.fill('x');
        res.end('c', () => calls.push('end'));
      });
      const res = await send(address, { path: '/orders/awaited' });
      expect(res).toMatchObject({ status: 200, body: 'abbc' });
      await waitFor(() => calls.includes('end'));
      await sleep(20);
      expect(calls).toEqual(['first', 'second', 'end']);
      expect(guard.reports).toHaveLength(1);
      if (mode === 'captured') expect(text(guard.reports[0]?.body)).toBe('abbc');
    });
  }

  it('answers HEAD with the replacement length and no body', async () => {
    const { address } = await serve(
      { continue: capture, respond: () => replacement(200, [['content-type', 'text/plain']], 'nine byte') },
      (_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.setHeader('content-length', '2');
        res.end();
      },
    );
    const res = await send(address, { method: 'HEAD', path: '/orders' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('9');
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.body).toBe('');
  });

  it('answers HEAD to an empty replacement without guessing a length; GET gets its 0', async () => {
    const { address } = await serve(
      { continue: capture, respond: () => replacement(200, [['content-type', 'application/json']], '') },
      (_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end();
      },
    );
    const head = await send(address, { method: 'HEAD', path: '/orders' });
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('application/json');
    expect(head.headers['content-length']).toBeUndefined();
    expect(head.headers['transfer-encoding']).toBeUndefined();
    const get = await send(address, { path: '/orders' });
    expect(get.headers['content-length']).toBe('0');
  });

  it("answers HEAD with the app's own length when the guard keeps the app's response", async () => {
    const { address, guard } = await serve({ continue: capture }, (_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.setHeader('content-length', '9');
      res.end();
    });
    const res = await send(address, { method: 'HEAD', path: '/orders' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('9');
    expect(res.body).toBe('');
    expect(guard.reports[0]).toMatchObject({ status: 200, bodyBytes: 0 });
  });

  it('reports once, without failing, when the client leaves before the app has finished', async () => {
    let appFinished = false;
    const writeResults: (Error | null | undefined)[] = [];
    const { address, guard } = await serve({ continue: capture }, (_req, res: ServerResponse) => {
      res.write('partial', (error) => writeResults.push(error));
      res.once('close', () => {
        res.write('after close');
        res.end('end after close');
        appFinished = true;
      });
    });
    const socket = connect(address.port, address.host);
    socket.write('GET /orders/leave HTTP/1.1\r\nHost: test\r\n\r\n');
    // The response is held, so the client sees nothing; it gives up.
    await sleep(50);
    socket.destroy();
    await waitFor(() => appFinished);
    await sleep(20);
    // Called back once, when the chunk was held; releasing it to the closed response does not call again.
    expect(writeResults).toEqual([undefined]);
    expect(guard.reports).toHaveLength(1);
    expect(guard.reports[0]).toMatchObject({ status: 200, bodyBytes: 7, body: undefined });
  });

  it('survives a client that leaves while a slow guard is still deciding', async () => {
    let left: () => void = ignore;
    const clientLeft = new Promise<void>((resolve) => {
      left = resolve;
    });
    let answered = false;
    const { address, guard } = await serve(
      {
        continue: capture,
        respond: async () => {
          await clientLeft;
          await sleep(20);
          answered = true;
          return replacement(200, [], 'too late');
        },
      },
      (_req, res) => res.end('done'),
    );
    const socket = connect(address.port, address.host);
    socket.write('GET /orders/slow HTTP/1.1\r\nHost: test\r\n\r\n');
    await waitFor(() => guard.reports.length === 1);
    socket.destroy();
    left();
    await waitFor(() => answered);
    await sleep(20);
    expect(guard.reports).toHaveLength(1);
    // The server is still fine.
    expect(await send(address, { path: '/orders/next' })).toMatchObject({ status: 200, body: 'too late' });
  });
});
