import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { BodyTooLargeError, createGatewayRequest, withRequestChanges } from '@sideguard/core';
import { applyRequestChanges, sendDecision, toGatewayRequestInit } from '@sideguard/node-http';
import { afterEach, describe, expect, it } from 'vitest';
import { close, listen, send } from '../../../tools/test-utils/http-client';

type Listener = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
const servers: ReturnType<typeof createServer>[] = [];

async function serve(listener: Listener) {
  const server = createServer((req, res) => {
    Promise.resolve(listener(req, res)).catch((error: unknown) => {
      res.statusCode = 599;
      res.end(String(error));
    });
  });
  servers.push(server);
  return listen(server);
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => close(server)));
});

const readOptions = { trustedProxies: undefined, maxBodyBytes: 16 };

describe('node-http request translation', () => {
  it('keeps header order, case and duplicates from the wire', async () => {
    const address = await serve((req, res) => {
      const init = toGatewayRequestInit(req);
      res.end(
        JSON.stringify({ headers: init.headers, method: init.method, target: init.target, encrypted: init.encrypted }),
      );
    });
    const res = await send(address, {
      method: 'PATCH',
      path: '/a?b=c',
      headers: ['X-Dup', 'one', 'x-dup', 'two', 'Cookie', 'a=1', 'cookie', 'b=2'],
    });
    const seen = JSON.parse(res.body);
    expect(seen.method).toBe('PATCH');
    expect(seen.target).toBe('/a?b=c');
    expect(seen.encrypted).toBe(false);
    expect(seen.headers.slice(1, 5)).toEqual([
      ['X-Dup', 'one'],
      ['x-dup', 'two'],
      ['Cookie', 'a=1'],
      ['cookie', 'b=2'],
    ]);
  });

  it('reads a body lazily within the limit, chunked or not', async () => {
    const address = await serve(async (req, res) => {
      const request = createGatewayRequest(toGatewayRequestInit(req), readOptions);
      res.end(
        Buffer.from(await request.body.read())
          .toString('utf8')
          .toUpperCase(),
      );
    });
    expect((await send(address, { method: 'POST', body: 'small body' })).body).toBe('SMALL BODY');
    const chunked = await send(address, {
      method: 'POST',
      headers: { 'transfer-encoding': 'chunked' },
      body: 'chunks',
    });
    expect(chunked.body).toBe('CHUNKS');
  });

  it('stops at the limit and keeps the socket up for the 413 answer', async () => {
    const address = await serve(async (req, res) => {
      const request = createGatewayRequest(toGatewayRequestInit(req), readOptions);
      const error = await request.body.read().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BodyTooLargeError);
      res.statusCode = 413;
      res.setHeader('connection', 'close');
      res.end('too large');
    });
    const declared = await send(address, { method: 'POST', body: 'x'.repeat(64) });
    expect(declared).toMatchObject({ status: 413, body: 'too large' });
    const undeclared = await send(address, {
      method: 'POST',
      headers: { 'transfer-encoding': 'chunked' },
      body: 'y'.repeat(100_000),
    });
    expect(undeclared).toMatchObject({ status: 413, body: 'too large' });
  });

  it('treats a request without length or chunking as bodiless', async () => {
    const address = await serve(async (req, res) => {
      const init = toGatewayRequestInit(req);
      res.end(String(init.body === undefined));
    });
    expect((await send(address)).body).toBe('true');
  });

  it('writes a changed request back for the app to see', async () => {
    const address = await serve((req, res) => {
      const original = createGatewayRequest(toGatewayRequestInit(req), readOptions);
      const changed = withRequestChanges(original, {
        method: 'PUT',
        url: '/rewritten?q=1',
        headers: [...original.headers, ['X-Identity', 'alice'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']],
      });
      applyRequestChanges(req, original, changed);
      applyRequestChanges(req, changed, changed);
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          identity: req.headers['x-identity'],
          cookies: req.headers['set-cookie'],
          raw: req.rawHeaders.slice(-2),
        }),
      );
    });
    expect(JSON.parse((await send(address, { path: '/original' })).body)).toEqual({
      method: 'PUT',
      url: '/rewritten?q=1',
      identity: 'alice',
      cookies: ['a=1', 'b=2'],
      raw: ['set-cookie', 'b=2'],
    });
  });

  it('sends decisions with duplicate headers and an exact length', async () => {
    const address = await serve((_req, res) => {
      sendDecision(res, {
        status: 429,
        headers: [
          ['x-multi', 'a'],
          ['x-multi', 'b'],
        ],
        body: 'héllo',
      });
    });
    const res = await send(address);
    expect(res.status).toBe(429);
    expect(res.headers['x-multi']).toBe('a, b');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength('héllo')));
    expect(res.body).toBe('héllo');
  });
});
