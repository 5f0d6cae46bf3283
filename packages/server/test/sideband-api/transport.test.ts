import { request as httpRequest } from 'node:http';
import { SecretStore, type SidebandApiServer, startSidebandApiServer } from '@sideguard/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testTls } from '../../../../tools/test-utils/tls';
import { call } from '../ase-emulator/helpers';
import {
  annTrace,
  guardConfig,
  json,
  pingTrace,
  recordingLogger,
  secretA,
  sideband,
  storeWith,
  upstreamResponse,
} from './helpers';

const invalidToken = { message: 'The Gateway Token is invalid' };

describe('Sideband API transport, authentication and validation', () => {
  let server: SidebandApiServer;
  const log = recordingLogger();
  beforeAll(async () => {
    server = await startSidebandApiServer({
      config: guardConfig,
      secrets: await storeWith(),
      requestLimitBytes: 4096,
      logger: log.logger,
    });
  });
  afterAll(() => server.close());

  it('answers 401 with the documented body for a missing, wrong or repeated secret, and logs no secret', async () => {
    for (const options of [
      { secret: null },
      { secret: 'secret1234' },
      { secret: '' },
      { secret: `${secretA}x` },
      { secret: secretA.toUpperCase() },
      { secret: 'x'.repeat(5000) },
      { header: 'PDG-TOKEN' },
    ]) {
      const result = await sideband(server.url, 'request', annTrace(), options);
      expect(result.status).toBe(401);
      expect(result.headers['content-type']).toBe('application/json');
      expect(result.headers['correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.parse(result.body)).toEqual(invalidToken);
    }
    // Two copies of the header: ambiguous, refused even though one is right.
    const twice = await new Promise<number>((resolve, reject) => {
      const url = new URL('/sideband/request', server.url);
      // A flat header list is sent as is, so it carries its own Host.
      const headers = ['Host', url.host, 'CLIENT-TOKEN', secretA, 'CLIENT-TOKEN', 'other-secret'];
      const req = httpRequest(url, { method: 'POST', headers });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify(annTrace()));
    });
    expect(twice).toBe(401);
    // The header name is matched in any case.
    expect((await sideband(server.url, 'request', annTrace(), { header: 'client-token' })).status).toBe(200);
    const logged = log.lines.join('\n');
    expect(logged).toContain('missing or wrong shared secret');
    expect(logged).not.toContain('secret1234');
    expect(logged).not.toContain(secretA);
  });

  it('checks the secret before reading the body, then the size (413), then JSON and shape (400)', async () => {
    const huge = 'x'.repeat(10_000);
    expect((await sideband(server.url, 'request', huge, { secret: 'wrong-secret' })).status).toBe(401);
    const tooLarge = await sideband(server.url, 'request', huge);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers['content-type']).toBe('application/json');
    expect(json(tooLarge)).toEqual({ message: 'The request body is larger than 4096 bytes' });
    const malformed = await sideband(server.url, 'request', '{"source_ip": ');
    expect(malformed.status).toBe(400);
    expect(json(malformed)).toEqual({ message: 'The request body is not valid JSON' });
  });

  it('answers 413 for a body over the limit sent without Content-Length (chunked)', async () => {
    const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(new URL('/sideband/request', server.url), {
        method: 'POST',
        headers: { 'CLIENT-TOKEN': secretA, 'Transfer-Encoding': 'chunked' },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('x'.repeat(3000));
      req.end('y'.repeat(3000));
    });
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body)).toEqual({ message: 'The request body is larger than 4096 bytes' });
  });

  it('answers 400 naming the field for missing fields and bad shapes, never echoing values', async () => {
    const cases: [unknown, string][] = [
      [[], 'the body must be a JSON object'],
      [{}, 'source_ip: is required; source_port: is required; method: is required; url: is required'],
      [annTrace({ headers: [[{ Accept: 'x' }]] }), 'headers[0]: must be an object of one header name and its value'],
      [annTrace({ headers: [{ Accept: ['a', 'b'] }] }), 'headers[0].Accept: must be a string'],
      [annTrace({ headers: [{ Accept: 7 }] }), 'headers[0].Accept: must be a string'],
      [annTrace({ headers: { Accept: 'x' } }), 'headers: must be an array of {"name": "value"} objects'],
      [annTrace({ headers: [{ 'Bad Name': 'x' }] }), 'headers[0].Bad Name: is not an HTTP header name'],
      [annTrace({ headers: [{ 'X-A': 'a\r\nX-Injected: 1' }] }), 'headers[0].X-A: must not contain CR, LF or NUL'],
      [annTrace({ source_port: 70_000 }), 'source_port: must be a port number 0–65535'],
      [annTrace({ source_port: '80a' }), 'source_port: must be a port number 0–65535'],
      [annTrace({ source_ip: 'gateway-7' }), 'source_ip: must be an IP address'],
      [annTrace({ url: '/persons/1' }), 'url: must be an absolute http(s) URL'],
      [annTrace({ url: 'ftp://localhost/persons' }), 'url: must be an absolute http(s) URL'],
      [annTrace({ url: 'http://ann:pw@localhost/persons' }), 'url: must not contain user information'],
      [annTrace({ method: 'GE T' }), 'method: must be an HTTP method'],
      [annTrace({ http_version: 'HTTP/1.1' }), 'http_version: must be an HTTP version like "1.1"'],
      [annTrace({ body: { a: 1 } }), 'body: must be a string'],
    ];
    for (const [payload, message] of cases) {
      const result = await sideband(server.url, 'request', payload);
      expect(result.status, message).toBe(400);
      expect(json(result).message).toContain(message);
      expect(result.body).not.toContain('gateway-7');
    }
    const response = await sideband(server.url, 'response', { response_code: '2000', headers: [] });
    expect(response.status).toBe(400);
    expect(json(response).message).toBe(
      'Invalid sideband response: response_code: must be an HTTP status 100–599 (number or numeric string); response_status: is required',
    );
  });

  it('answers 404 for other paths and 405 for other methods, as JSON', async () => {
    const notFound = await call(server.url, { path: '/sideband', body: '{}', headers: { 'CLIENT-TOKEN': secretA } });
    expect(notFound.status).toBe(404);
    expect(notFound.headers['content-type']).toBe('application/json');
    const wrongMethod = await call(server.url, { path: '/sideband/request', headers: { 'CLIENT-TOKEN': secretA } });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
    expect(json(wrongMethod)).toEqual({ message: 'Use POST' });
  });

  it('uses a custom shared-secret header name in any case, and the old name no longer works', async () => {
    const custom = await startSidebandApiServer({
      config: guardConfig,
      secrets: await storeWith(),
      sharedSecretHeader: 'x-shared-secret',
      logger: recordingLogger().logger,
    });
    try {
      expect((await sideband(custom.url, 'request', annTrace(), { header: 'X-Shared-Secret' })).status).toBe(200);
      expect((await sideband(custom.url, 'request', annTrace())).status).toBe(401);
      custom.reload({ sharedSecretHeader: 'PDG-TOKEN' });
      expect((await sideband(custom.url, 'request', annTrace(), { header: 'pdg-token' })).status).toBe(200);
      expect((await sideband(custom.url, 'request', annTrace(), { header: 'X-Shared-Secret' })).status).toBe(401);
    } finally {
      await custom.close();
    }
  });

  it('serves HTTPS with a certificate and key', async () => {
    const secure = await startSidebandApiServer({
      secrets: await storeWith(),
      tls: { cert: testTls.cert, key: testTls.key },
      logger: recordingLogger().logger,
    });
    try {
      expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const result = await call(secure.url, {
        path: '/sideband/request',
        body: pingTrace(),
        headers: { 'CLIENT-TOKEN': secretA },
        ca: testTls.ca,
      });
      expect(json(result)).toEqual(pingTrace()); // no APIs: echoed unchanged
    } finally {
      await secure.close();
    }
  });

  it('refuses every call while no secret is in use, and says so at start', async () => {
    const { logger, lines } = recordingLogger();
    const empty = await startSidebandApiServer({ logger });
    try {
      expect(lines.join('\n')).toContain('No shared secret is in use');
      expect((await sideband(empty.url, 'request', pingTrace())).status).toBe(401);
      await empty.secrets.create('Shared Secret A', secretA);
      expect((await sideband(empty.url, 'request', pingTrace())).status).toBe(401); // created, not in use
      empty.secrets.add('Shared Secret A');
      expect((await sideband(empty.url, 'request', pingTrace())).status).toBe(200);
      empty.secrets.remove('Shared Secret A');
      expect((await sideband(empty.url, 'request', pingTrace())).status).toBe(401); // at once
    } finally {
      await empty.close();
    }
  });

  it('keeps answering a known secret while a flood of wrong ones fills the scrypt queue', async () => {
    // Real cost: each wrong value takes scrypt time, two at a time, four more queued; the rest refused at once.
    const secrets = new SecretStore(undefined, { scryptCost: 14, maxConcurrentChecks: 2, maxQueuedChecks: 4 });
    await secrets.create('A', secretA);
    await secrets.create('B', 'second-secret');
    secrets.add('A');
    secrets.add('B');
    const flooded = await startSidebandApiServer({ config: guardConfig, secrets, logger: recordingLogger().logger });
    try {
      expect((await sideband(flooded.url, 'request', annTrace())).status).toBe(200); // A is cached from now on
      const flood = Array.from({ length: 200 }, (_, i) =>
        sideband(flooded.url, 'request', annTrace(), { secret: `wrong-secret-${i}` }),
      );
      const known = await Promise.all(Array.from({ length: 20 }, () => sideband(flooded.url, 'request', annTrace())));
      expect(known.map((result) => result.status)).toEqual(Array(20).fill(200));
      expect((await Promise.all(flood)).every((result) => result.status === 401)).toBe(true);
      // The flood left nothing behind: a secret never presented before is checked normally.
      expect((await sideband(flooded.url, 'request', annTrace(), { secret: 'second-secret' })).status).toBe(200);
    } finally {
      await flooded.close();
    }
  });

  it('reloads all or nothing: an invalid change leaves everything as it was', async () => {
    const reloading = await startSidebandApiServer({
      config: guardConfig,
      secrets: await storeWith(),
      logger: recordingLogger().logger,
    });
    try {
      expect(() =>
        reloading.reload({ sharedSecretHeader: 'X-New', config: { apis: [{ name: 'a', basePath: 'x' }] } }),
      ).toThrow(/basePath/);
      expect(() =>
        reloading.reload({ sharedSecretHeader: 'X-New', secrets: { secrets: {}, accepted: ['Missing'] } }),
      ).toThrow(/no secret is named "Missing"/);
      expect(() => reloading.reload({ requestLimitBytes: -1 })).toThrow(TypeError);
      const stillOld = await sideband(reloading.url, 'request', annTrace());
      expect(json(stillOld)).toHaveProperty('state'); // old guard config, old header
      reloading.reload({ config: { apis: [] } });
      expect(json(await sideband(reloading.url, 'request', annTrace()))).toEqual(annTrace());
    } finally {
      await reloading.close();
    }
  });

  it('lets a call under way finish when closing, then refuses connections', async () => {
    const closing = await startSidebandApiServer({ secrets: await storeWith(), logger: recordingLogger().logger });
    const body = JSON.stringify(upstreamResponse());
    let closed: Promise<void> | undefined;
    const reply = await new Promise<{ status: number; connection: string | undefined; body: string }>(
      (resolve, reject) => {
        const req = httpRequest(new URL('/sideband/response', closing.url), {
          method: 'POST',
          headers: { 'CLIENT-TOKEN': secretA, 'Content-Length': Buffer.byteLength(body) },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString('utf8');
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
        });
        req.on('error', reject);
        // Half the body first; close() starts while the server waits for the rest.
        req.write(body.slice(0, 10), () => {
          setTimeout(() => {
            closed = closing.close();
            req.end(body.slice(10));
          }, 50);
        });
      },
    );
    expect(reply.status).toBe(200);
    expect(reply.connection).toBe('close');
    // The echo is the response alone: method and url name the request it answers and are not repeated.
    expect(JSON.parse(reply.body)).toEqual(upstreamResponse({ method: undefined, url: undefined }));
    await closed;
    await expect(sideband(closing.url, 'request', pingTrace())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
