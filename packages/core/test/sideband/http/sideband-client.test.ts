import { afterEach, describe, expect, it } from 'vitest';
import { SidebandClient, type SidebandClientOptions, SidebandTransportError } from '../../../src/sideband/http/index';
import { closeAllServers, hang, ok, spyLogger, startHttp, startRaw } from './helpers';

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

async function transportError(promise: Promise<unknown>): Promise<SidebandTransportError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SidebandTransportError);
  return error as SidebandTransportError;
}

describe('SidebandClient requests', () => {
  it('sends method, base path + path, headers and body, and returns status, headers and body', async () => {
    const server = await startHttp((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-reply': 'yes', 'set-cookie': ['a=1', 'b=2'] });
      res.end('{"verdict":"allow"}');
    });
    const sideband = client({ endpoints: [`${server.url}/pi/`] });
    const body = JSON.stringify({ source_ip: '10.0.0.1', method: 'GET' });
    const reply = await sideband.send({
      method: 'POST',
      path: '/ase/request',
      headers: { 'content-type': 'application/json', 'ase-token': 'abc123', 'x-correlationid': 'id-1' },
      body,
    });

    expect(server.requests).toHaveLength(1);
    const [seen] = server.requests;
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe('/pi/ase/request');
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.headers['ase-token']).toBe('abc123');
    expect(seen?.headers['x-correlationid']).toBe('id-1');
    expect(seen?.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(seen?.body).toBe(body);

    expect(reply.status).toBe(200);
    expect(reply.headers['x-reply']).toBe('yes');
    expect(reply.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(reply.body.toString('utf8')).toBe('{"verdict":"allow"}');
    expect(reply.endpoint).toBe(`${server.url}/pi`);
  });

  it('sends a Uint8Array body and a GET without body', async () => {
    const server = await startHttp();
    const sideband = client({ endpoints: [server.url] });
    await sideband.send({ method: 'POST', path: '/bytes', headers: {}, body: new Uint8Array([104, 105]) });
    await sideband.send({ method: 'GET', path: '/ase', headers: {} });
    expect(server.requests.map(({ method, url, body }) => ({ method, url, body }))).toEqual([
      { method: 'POST', url: '/bytes', body: 'hi' },
      { method: 'GET', url: '/ase', body: '' },
    ]);
  });

  it('returns non-2xx statuses as replies and keeps the endpoint healthy', async () => {
    const statuses = [403, 503, 400, 401, 500];
    const server = await startHttp((request, res) => {
      res.writeHead(Number(request.url.slice(1)));
      res.end(`Error: ${request.url}`);
    });
    const sideband = client({ endpoints: [server.url] });
    for (const status of statuses) {
      const reply = await sideband.send({ method: 'POST', path: `/${status}`, headers: {}, body: '{}' });
      expect(reply.status).toBe(status);
      expect(reply.body.toString()).toBe(`Error: /${status}`);
    }
    expect(sideband.status()).toEqual({
      active: server.url,
      endpoints: [{ url: server.url, healthy: true, consecutiveFailures: 0 }],
    });
  });

  it('reuses keep-alive connections: 2,000 requests over at most 8 connections', async () => {
    const server = await startHttp();
    const sideband = client({ endpoints: [server.url], connections: 8 });
    let replies = 0;
    const worker = async () => {
      for (let i = 0; i < 40; i++) {
        const reply = await sideband.send({ method: 'POST', path: '/ase/request', headers: {}, body: '{}' });
        if (reply.status === 200) replies++;
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    expect(replies).toBe(2000);
    expect(server.requests).toHaveLength(2000);
    expect(server.connections).toBeGreaterThan(0);
    expect(server.connections).toBeLessThanOrEqual(8);
  });
});

describe('SidebandClient reply bounds and broken replies', () => {
  it("fails a reply whose declared length exceeds maxResponseBytes with 'too-large'", async () => {
    const server = await startHttp((_request, res) => {
      res.writeHead(200, { 'content-length': String(100 * 1024) });
      res.end(Buffer.alloc(100 * 1024, 'a'));
    });
    const sideband = client({ endpoints: [server.url] });
    const error = await transportError(sideband.send({ method: 'POST', path: '/x', headers: {}, body: '' }));
    expect(error.code).toBe('too-large');
    expect(error.endpoint).toBe(server.url);
    expect(sideband.status().endpoints[0]?.healthy).toBe(false);
  });

  it("fails a chunked reply that grows past maxResponseBytes with 'too-large'", async () => {
    const server = await startHttp((_request, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(512, 'b');
      for (let i = 0; i < 4; i++) res.write(chunk);
      res.end();
    });
    const sideband = client({ endpoints: [server.url], maxResponseBytes: 1024 });
    const error = await transportError(sideband.send({ method: 'GET', path: '/x', headers: {} }));
    expect(error.code).toBe('too-large');
  });

  it('accepts a reply of exactly maxResponseBytes', async () => {
    const server = await startHttp((_request, res) => {
      res.writeHead(200);
      res.end(Buffer.alloc(1024, 'c'));
    });
    const sideband = client({ endpoints: [server.url], maxResponseBytes: 1024 });
    const reply = await sideband.send({ method: 'GET', path: '/x', headers: {} });
    expect(reply.body).toHaveLength(1024);
  });

  it('turns a garbage (non-HTTP) reply into a transport error', async () => {
    const server = await startRaw('this is not HTTP at all\r\n\r\n');
    const sideband = client({ endpoints: [server.url] });
    const error = await transportError(sideband.send({ method: 'POST', path: '/x', headers: {}, body: '{}' }));
    expect(error.code).toBe('other');
    expect(error.message).toContain(server.url);
  });

  it('turns a reply cut off mid-body into a transport error, and keeps working afterwards', async () => {
    let calls = 0;
    const server = await startHttp((_request, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial', () => res.socket?.destroy());
        return;
      }
      ok(_request, res);
    });
    const sideband = client({ endpoints: [server.url] });
    const error = await transportError(sideband.send({ method: 'POST', path: '/x', headers: {}, body: '{}' }));
    expect(error.code).toBe('other');
    const reply = await sideband.send({ method: 'POST', path: '/x', headers: {}, body: '{}' });
    expect(reply.status).toBe(200);
    expect(sideband.status().endpoints[0]).toEqual({ url: server.url, healthy: true, consecutiveFailures: 0 });
  });

  it('never puts header values or bodies into error messages', async () => {
    const server = await startHttp(hang);
    const sideband = client({ endpoints: [server.url], requestTimeoutMs: 50 });
    const error = await transportError(
      sideband.send({
        method: 'POST',
        path: '/ase/request',
        headers: { 'ase-token': 'secret-token-value' },
        body: '{"source_ip":"10.9.8.7"}',
      }),
    );
    expect(error.code).toBe('timeout');
    expect(error.message).not.toContain('secret-token-value');
    expect(error.message).not.toContain('10.9.8.7');
    expect(JSON.stringify(error.attempts)).not.toContain('secret-token-value');
  });

  it('rejects an invalid header without blaming the endpoint', async () => {
    const server = await startHttp();
    const sideband = client({ endpoints: [server.url, (await startHttp()).url] });
    // Refused before it reaches a pooled connection, without naming the value.
    const error = await sideband
      .send({ method: 'GET', path: '/x', headers: { 'x-bad': 'line\r\nbreak-secret' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).not.toContain('break-secret');
    expect(sideband.status().active).toBe(server.url);
    expect(sideband.status().endpoints[0]?.healthy).toBe(true);
  });

  it('rejects a malformed request with a TypeError', async () => {
    const sideband = client({ endpoints: ['http://127.0.0.1:9'] });
    await expect(sideband.send({ method: 'GET', path: 'no-slash', headers: {} })).rejects.toThrow(TypeError);
    await expect(sideband.send({ method: 'PUT' as 'GET', path: '/x', headers: {} })).rejects.toThrow(/method/);
  });
});

describe('SidebandClient close', () => {
  it("rejects later calls with 'closed'; close is idempotent", async () => {
    const server = await startHttp();
    const sideband = client({ endpoints: [server.url] });
    await sideband.send({ method: 'GET', path: '/x', headers: {} });
    await sideband.close();
    await sideband.close();
    const error = await transportError(sideband.send({ method: 'GET', path: '/x', headers: {} }));
    expect(error.code).toBe('closed');
    expect(error.endpoint).toBeUndefined();
  });

  it('lets an in-flight call finish before the pool closes', async () => {
    const server = await startHttp((request, res) => {
      setTimeout(() => ok(request, res), 50);
    });
    const sideband = client({ endpoints: [server.url] });
    const pending = sideband.send({ method: 'GET', path: '/x', headers: {} });
    await new Promise((resolve) => setTimeout(resolve, 10));
    await sideband.close();
    await expect(pending).resolves.toMatchObject({ status: 200 });
  });
});
