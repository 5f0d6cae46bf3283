import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, request as tlsRequest } from 'node:https';
import { BodyReadError, BodyTooLargeError, createGatewayRequest, withRequestChanges } from '@sideguard/core';
import { applyRequestChanges, sendDecision, toGatewayRequestInit } from '@sideguard/node-http';
import { afterEach, describe, expect, it } from 'vitest';
import { close, listen, send } from '../../../tools/test-utils/http-client';
import { testTls } from '../../../tools/test-utils/tls';

type Listener = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
const servers: (ReturnType<typeof createServer> | ReturnType<typeof createTlsServer>)[] = [];

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
        JSON.stringify({
          headers: init.headers,
          method: init.method,
          target: init.target,
          encrypted: init.encrypted,
          clientCertificate: init.clientCertificate,
        }),
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
    expect(seen.clientCertificate).toBeUndefined();
    expect(seen.headers.slice(1, 5)).toEqual([
      ['X-Dup', 'one'],
      ['x-dup', 'two'],
      ['Cookie', 'a=1'],
      ['cookie', 'b=2'],
    ]);
  });

  it('passes on the DER of the certificate a TLS client presented, and nothing when it presented none', async () => {
    const clientCert = readFileSync(new URL('../../../tools/test-utils/tls/client.crt', import.meta.url));
    const clientKey = readFileSync(new URL('../../../tools/test-utils/tls/client.key', import.meta.url));
    const server = createTlsServer(
      { cert: testTls.cert, key: testTls.key, ca: testTls.ca, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const init = toGatewayRequestInit(req);
        res.end(
          JSON.stringify({
            encrypted: init.encrypted,
            der: init.clientCertificate && Buffer.from(init.clientCertificate).toString('base64'),
          }),
        );
      },
    );
    servers.push(server);
    const address = await listen(server);
    const get = (options: { cert?: Buffer; key?: Buffer }) =>
      new Promise<{ encrypted: boolean; der?: string }>((resolve, reject) => {
        const req = tlsRequest({ ...address, path: '/', ca: testTls.ca, agent: false, ...options }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        });
        req.on('error', reject);
        req.end();
      });
    const withCert = await get({ cert: clientCert, key: clientKey });
    expect(withCert).toEqual({ encrypted: true, der: new X509Certificate(clientCert).raw.toString('base64') });
    expect(await get({})).toEqual({ encrypted: true });
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

  it('fails a body read at once when something consumed the body before the core', async () => {
    const address = await serve(async (req, res) => {
      for await (const _chunk of req); // a body parser registered before Sideguard
      const request = createGatewayRequest(toGatewayRequestInit(req), readOptions);
      const error = await request.body.read().then(
        () => undefined,
        (e: unknown) => e,
      );
      res.end(error instanceof BodyReadError ? 'read error' : 'no error');
    });
    expect((await send(address, { method: 'POST', body: 'eaten' })).body).toBe('read error');
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
