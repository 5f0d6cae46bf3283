import { Agent, createServer, type IncomingMessage, request } from 'node:http';
import type { BodyReader } from '@sideguard/core';
import { createGuard } from '@sideguard/core';
import { type ProtectedListener, protect } from '@sideguard/node-http';
import { afterEach, describe, expect, it } from 'vitest';
import { close, listen, send } from '../../../tools/test-utils/http-client';
import { type GuardTweaks, readBody, replaceBody, tweakGuard } from '../../../tools/test-utils/tweaked-guard';

const servers: ReturnType<typeof createServer>[] = [];
const agents: Agent[] = [];

afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy();
  await Promise.all(servers.splice(0).map((server) => close(server)));
});

const ignore = (): void => {};
const quiet = { debug: ignore, info: ignore, warn: ignore, error: ignore };

async function serve(tweaks: GuardTweaks, listener: ProtectedListener) {
  const guard = createGuard({ apis: [{ name: 'orders', basePath: '/orders' }] }, { logger: quiet });
  const server = createServer(protect(tweakGuard(guard, tweaks), listener));
  servers.push(server);
  return listen(server);
}

async function readWithForAwait(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function readWithEvents(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** What the test listener saw of a request. */
interface Seen {
  body: string;
  contentLength: string | null;
  transferEncoding: string | null;
  port: number | undefined;
}

function answer(res: Parameters<ProtectedListener>[1], req: IncomingMessage, body: string): void {
  const seen: Seen = {
    body,
    contentLength: req.headers['content-length'] ?? null,
    transferEncoding: req.headers['transfer-encoding'] ?? null,
    port: req.socket.remotePort,
  };
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(seen));
}

/** Sends a POST over a keep-alive agent, writing the body in the given pieces. */
function post(
  address: { host: string; port: number },
  agent: Agent,
  pieces: string[],
  headers: Record<string, string>,
): Promise<{ status: number; seen: Seen }> {
  return new Promise((resolve, reject) => {
    const req = request({ ...address, method: 'POST', path: '/orders', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, seen: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Seen }),
      );
    });
    req.on('error', reject);
    const [first, ...rest] = pieces;
    req.write(first ?? '');
    // Later pieces arrive in later packets, so the server sees several chunks.
    const writeNext = (): void => {
      const piece = rest.shift();
      if (piece === undefined) req.end();
      else req.write(piece, () => setTimeout(writeNext, 2));
    };
    setTimeout(writeNext, 2);
  });
}

function keepAliveAgent(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  return agent;
}

describe('node-http request body replay', () => {
  it('replays a Content-Length body the core read to a for-await reader', async () => {
    const address = await serve({ continue: readBody }, async (req, res) =>
      answer(res, req, await readWithForAwait(req)),
    );
    const res = await send(address, { method: 'POST', path: '/orders', body: 'hello replay' });
    expect(JSON.parse(res.body)).toMatchObject({ body: 'hello replay', contentLength: '12' });
  });

  it('replays a chunked body the core read to data/end listeners', async () => {
    const address = await serve({ continue: readBody }, async (req, res) =>
      answer(res, req, await readWithEvents(req)),
    );
    const pieces = ['a'.repeat(20_000), 'b'.repeat(30_000), 'c'.repeat(10)];
    const { status, seen } = await post(address, keepAliveAgent(), pieces, { 'transfer-encoding': 'chunked' });
    expect(status).toBe(200);
    expect(seen).toMatchObject({ body: pieces.join(''), transferEncoding: 'chunked', contentLength: null });
  });

  it('replays a body the core replaced, with the new Content-Length in place of chunking', async () => {
    const address = await serve(
      {
        async continue(decision) {
          return replaceBody('{"replaced":true}')(await readBody(decision));
        },
      },
      async (req, res) => answer(res, req, await readWithForAwait(req)),
    );
    const { seen } = await post(address, keepAliveAgent(), ['{"orig', 'inal":1}'], { 'transfer-encoding': 'chunked' });
    expect(seen).toEqual(
      expect.objectContaining({ body: '{"replaced":true}', contentLength: '17', transferEncoding: null }),
    );
  });

  it('drops an original body the core replaced unread, and keeps the connection for the next request', async () => {
    const address = await serve({ continue: replaceBody('new body') }, async (req, res) => {
      const body = await readWithEvents(req);
      // Answer only once the client has sent more of the original, so it arrives after the replay.
      await new Promise((resolve) => setTimeout(resolve, 40));
      answer(res, req, body);
    });
    const agent = keepAliveAgent();
    const original = Array.from({ length: 8 }, (_, i) => String(i).repeat(32_000));
    const first = await post(address, agent, original, { 'content-length': String(256_000) });
    const second = await post(address, agent, ['{"next":1}'], { 'content-length': '10' });
    expect(first.seen).toMatchObject({ body: 'new body', contentLength: '8' });
    expect(second.seen).toMatchObject({ body: 'new body', contentLength: '8' });
    // The same connection: the rest of the first body was consumed, never parsed as a request.
    expect(second.seen.port).toBe(first.seen.port);
  });

  it('reads as empty when the core started a read that failed, without stalling the connection', async () => {
    const failed: BodyReader = {
      declaredLength: undefined,
      started: true,
      bytes: undefined,
      read: () => Promise.reject(new Error('read failed')),
    };
    const address = await serve(
      { continue: (decision) => ({ ...decision, request: { ...decision.request, body: failed } }) },
      async (req, res) => {
        const body = await readWithForAwait(req);
        await new Promise((resolve) => setTimeout(resolve, 40));
        answer(res, req, body);
      },
    );
    const agent = keepAliveAgent();
    const original = Array.from({ length: 8 }, (_, i) => String(i).repeat(16_000));
    const first = await post(address, agent, original, { 'content-length': '128000' });
    const second = await post(address, agent, ['tiny'], { 'content-length': '4' });
    expect(first).toMatchObject({ status: 200, seen: { body: '' } });
    expect(second).toMatchObject({ status: 200, seen: { body: '' } });
    expect(second.seen.port).toBe(first.seen.port);
  });

  it('does not hold up the connection when the app never reads a replayed body', async () => {
    const address = await serve({ continue: readBody }, (req, res) => answer(res, req, 'not read'));
    const agent = keepAliveAgent();
    const first = await post(address, agent, ['ignored'], { 'content-length': '7' });
    const second = await post(address, agent, ['ignored too'], { 'content-length': '11' });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.seen.port).toBe(first.seen.port);
  });

  it('leaves a body the core never touched to the socket', async () => {
    const address = await serve({}, async (req, res) => answer(res, req, await readWithEvents(req)));
    const { seen } = await post(address, keepAliveAgent(), ['straight ', 'through'], {
      'transfer-encoding': 'chunked',
    });
    expect(seen.body).toBe('straight through');
  });
});
