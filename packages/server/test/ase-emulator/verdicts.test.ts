import { afterEach, describe, expect, it } from 'vitest';
import { type AseEmulator, type AseEmulatorOptions, startAseEmulator } from '../../src/ase-emulator/index';
import { call, requestPayload, responsePayload, routed } from './helpers';

const started: AseEmulator[] = [];
async function start(options: AseEmulatorOptions = {}): Promise<AseEmulator> {
  const emulator = await startAseEmulator(options);
  started.push(emulator);
  return emulator;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((emulator) => emulator.close()));
});

/** Posts a request-phase payload and returns the status. */
async function verdict(emulator: AseEmulator, body: unknown): Promise<number> {
  return (await call(emulator.url, { body })).status;
}

describe('ASE emulator request phase', () => {
  it('allows a call to a known API and records it with its correlation id', async () => {
    const ase = await start();
    expect(ase.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const payload = requestPayload();
    const reply = await call(ase.url, { body: payload, headers: { 'X-CorrelationID': 'c-1' } });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('');
    expect(ase.records).toEqual([
      { phase: 'request', correlationId: 'c-1', token: undefined, body: payload, verdict: 200, at: expect.any(Number) },
    ]);
  });

  it('answers 503 Unknown API when no definition matches host and URL prefix', async () => {
    const ase = await start({ apis: [{ name: 'shop', hostname: 'shop.example', url: '/shop' }] });
    const unknown = await call(ase.url, { body: routed('other.example', '/shop') });
    expect(unknown).toMatchObject({ status: 503, body: 'Error: Unknown API' });
    expect(await verdict(ase, routed('shop.example', '/shopping'))).toBe(503);
    expect(await verdict(ase, requestPayload({ url: '/shop', headers: [{ 'user-agent': 'no host' }] }))).toBe(503);
    expect(await verdict(ase, routed('shop.example', '/shop'))).toBe(200);
    expect(await verdict(ase, routed('shop.example', '/shop/books/1?x=/y'))).toBe(200);
    expect(await verdict(ase, routed('shop.example', '/shop?q=1'))).toBe(200);
    // Host names compare case-insensitively, without the port, whatever the header name's case.
    expect(await verdict(ase, requestPayload({ url: '/shop', headers: [{ Host: 'SHOP.Example:8443' }] }))).toBe(200);
  });

  it('prefers a host-specific definition over a catch-all host, then the longest prefix', async () => {
    const ase = await start({
      apis: [
        { name: 'trap', hostname: '*', url: '/shop/books', decoy: true },
        { name: 'shop', hostname: 'shop.example', url: '/shop' },
        { name: 'all', hostname: '*', url: '/' },
        { name: 'admin', hostname: '*', url: '/admin/', decoy: true },
      ],
    });
    // shop.example has its own definition, so the longer '*' decoy does not apply to it.
    const specific = await call(ase.url, { body: routed('shop.example', '/shop/books/1') });
    expect(specific).toMatchObject({ status: 200, body: '' });
    // Other hosts fall back to '*' definitions: the longest matching prefix wins.
    expect(await verdict(ase, routed('other.example', '/adminx'))).toBe(200);
    expect(await verdict(ase, routed('other.example', '/shop'))).toBe(200);
    const decoy = await call(ase.url, { body: routed('other.example', '/shop/books') });
    expect(decoy).toMatchObject({ status: 200, headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(decoy.body)).toEqual({ decoy: true });
  });

  it('requires the configured ASE-Token (401 when missing or wrong)', async () => {
    const ase = await start({ token: 'abcdefghij0123456789abcdefghij01' });
    const missing = await call(ase.url, { body: requestPayload() });
    expect(missing).toMatchObject({ status: 401, body: 'Error: Invalid ASE-Token' });
    const wrong = await call(ase.url, {
      body: requestPayload(),
      headers: { 'ASE-Token': 'abcdefghij0123456789abcdefghij02' },
    });
    expect(wrong.status).toBe(401);
    const short = await call(ase.url, { body: requestPayload(), headers: { 'ASE-Token': 'abc' } });
    expect(short.status).toBe(401);
    // The token is checked before the body, so even a malformed call gets 401.
    expect((await call(ase.url, { body: '{', headers: { 'ASE-Token': 'x' } })).status).toBe(401);
    const ok = await call(ase.url, {
      body: requestPayload(),
      headers: { 'ASE-Token': 'abcdefghij0123456789abcdefghij01' },
    });
    expect(ok.status).toBe(200);
    const response = await call(ase.url, { path: '/ase/response', body: responsePayload() });
    expect(response.status).toBe(401);
    expect(ase.records.map((r) => [r.verdict, r.token])).toEqual([
      [401, undefined],
      [401, 'abcdefghij0123456789abcdefghij02'],
      [401, 'abc'],
      [401, 'x'],
      [200, 'abcdefghij0123456789abcdefghij01'],
      [401, undefined],
    ]);
    // Load balancers probe health without a token.
    expect((await call(ase.url, { path: '/ase' })).status).toBe(200);
  });

  it('answers 400 Malformed Request to bad JSON and missing or mistyped fields', async () => {
    const ase = await start();
    const notJson = await call(ase.url, { body: '{"source_ip": ' });
    expect(notJson).toMatchObject({ status: 400, body: 'Error: Malformed Request' });
    expect(ase.records[0]).toMatchObject({ verdict: 400, body: '{"source_ip": ' });
    const bad: unknown[] = [
      [],
      'null',
      requestPayload({ source_ip: undefined }),
      requestPayload({ source_ip: 7 }),
      requestPayload({ method: undefined }),
      requestPayload({ url: undefined }),
      requestPayload({ headers: undefined }),
      requestPayload({ headers: { host: 'shop.example' } }),
      requestPayload({ headers: [{ host: 'shop.example', 'user-agent': 'two keys' }] }),
      requestPayload({ headers: [{}] }),
      requestPayload({ headers: [{ 'content-length': 0 }] }),
      requestPayload({ headers: ['host: shop.example'] }),
      requestPayload({ user_info: { username: 'ann' } }),
      requestPayload({ user_info: ['ann'] }),
    ];
    for (const body of bad) expect(await verdict(ase, body), JSON.stringify(body)).toBe(400);
    // Fields gateways disagree on are not checked (Axway: string port, no http_version).
    expect(await verdict(ase, requestPayload({ source_port: '80', http_version: undefined }))).toBe(200);
  });
});

describe('ASE emulator deny lists', () => {
  const shop = { name: 'shop', hostname: '*', url: '/' };

  it('blocks a deny-listed source IP with 403 Unauthorized', async () => {
    const ase = await start({ denyLists: { ip: ['198.51.100.9'] } });
    const blocked = await call(ase.url, { body: requestPayload({ source_ip: '198.51.100.9' }) });
    expect(blocked).toMatchObject({ status: 403, body: 'Error: Unauthorized' });
    expect(await verdict(ase, requestPayload({ source_ip: '198.51.100.10' }))).toBe(200);
  });

  it('blocks a deny-listed username from any user_info entry', async () => {
    const ase = await start({ denyLists: { username: ['mallory'] } });
    const wso2Style = [{ client_id: 'app' }, { username: 'mallory' }];
    expect(await verdict(ase, requestPayload({ user_info: wso2Style }))).toBe(403);
    expect(await verdict(ase, requestPayload({ user_info: [{ username: 'ann', client_id: 'app' }] }))).toBe(200);
  });

  it('blocks a deny-listed API key from the header the definition names', async () => {
    const ase = await start({ apis: [{ ...shop, apiKeyHeader: 'X-API-Key' }], denyLists: { apiKey: ['k-bad'] } });
    expect(await verdict(ase, routed('shop.example', '/', [{ 'x-api-key': 'k-bad' }]))).toBe(403);
    expect(await verdict(ase, routed('shop.example', '/', [{ 'X-Api-Key': 'k-bad' }]))).toBe(403);
    expect(await verdict(ase, routed('shop.example', '/', [{ 'x-api-key': 'k-good' }]))).toBe(200);
    // The key in another header or the query is not this definition's identifier.
    expect(await verdict(ase, routed('shop.example', '/?x-api-key=k-bad', [{ 'x-other': 'k-bad' }]))).toBe(200);
  });

  it('blocks a deny-listed API key from the query parameter the definition names', async () => {
    const ase = await start({ apis: [{ ...shop, apiKeyQuery: 'apikey' }], denyLists: { apiKey: ['k bad'] } });
    expect(await verdict(ase, routed('shop.example', '/shop?page=1&apikey=k%20bad'))).toBe(403);
    expect(await verdict(ase, routed('shop.example', '/shop?apikey=k-good'))).toBe(200);
    expect(await verdict(ase, routed('shop.example', '/shop'))).toBe(200);
  });

  it('blocks a deny-listed OAuth bearer token when the definition reads tokens', async () => {
    const denyLists = { oauthToken: ['tok-bad'] };
    const ase = await start({ apis: [{ ...shop, oauthToken: true }], denyLists });
    expect(await verdict(ase, routed('shop.example', '/', [{ authorization: 'Bearer tok-bad' }]))).toBe(403);
    expect(await verdict(ase, routed('shop.example', '/', [{ Authorization: 'bearer tok-bad' }]))).toBe(403);
    expect(await verdict(ase, routed('shop.example', '/', [{ authorization: 'Bearer tok-good' }]))).toBe(200);
    expect(await verdict(ase, routed('shop.example', '/', [{ authorization: 'Basic tok-bad' }]))).toBe(200);
    const notReading = await start({ apis: [shop], denyLists });
    expect(await verdict(notReading, routed('shop.example', '/', [{ authorization: 'Bearer tok-bad' }]))).toBe(200);
  });

  it('blocks a deny-listed value of the cookie the definition names', async () => {
    const ase = await start({ apis: [{ ...shop, cookie: 'sid' }], denyLists: { cookie: ['c-bad'] } });
    expect(await verdict(ase, routed('shop.example', '/', [{ cookie: 'theme=dark; sid=c-bad' }]))).toBe(403);
    expect(await verdict(ase, routed('shop.example', '/', [{ cookie: 'a=1' }, { cookie: 'sid="c-bad"' }]))).toBe(403);
    expect(await verdict(ase, routed('shop.example', '/', [{ cookie: 'sid=c-good; other=c-bad' }]))).toBe(200);
  });

  it('changes deny lists at run time and rejects unknown lists', async () => {
    const ase = await start({ apis: [{ ...shop, apiKeyHeader: 'x-api-key' }] });
    const body = routed('shop.example', '/', [{ 'x-api-key': 'k1' }]);
    expect(await verdict(ase, body)).toBe(200);
    ase.deny('apiKey', 'k1');
    expect(await verdict(ase, body)).toBe(403);
    ase.allow('apiKey', 'k1');
    expect(await verdict(ase, body)).toBe(200);
    expect(() => ase.deny('email' as 'ip', 'x')).toThrow(RangeError);
    await expect(startAseEmulator({ denyLists: { ip: 'x' as unknown as string[] } })).rejects.toThrow(
      'denyLists.ip: must be an array of strings',
    );
  });
});

describe('ASE emulator decoys', () => {
  it('deny-lists the IP of a decoy caller, so its later real calls get 403 and others pass', async () => {
    const ase = await start({
      apis: [
        { name: 'shop', hostname: '*', url: '/shop' },
        { name: 'honeypot', hostname: '*', url: '/admin', decoy: true },
      ],
    });
    const probe = await call(ase.url, {
      body: routed('shop.example', '/admin/users', [{ 'x-forwarded-for': '1.1.1.1' }]),
    });
    expect(probe.status).toBe(200);
    expect(JSON.parse(probe.body)).toEqual({ decoy: true });
    expect(await verdict(ase, routed('shop.example', '/shop/books'))).toBe(403);
    expect(await verdict(ase, requestPayload({ source_ip: '203.0.113.8' }))).toBe(200);
    // Still listed when it probes again; lifting the block restores access.
    expect(await verdict(ase, routed('shop.example', '/admin'))).toBe(403);
    ase.allow('ip', '203.0.113.7');
    expect(await verdict(ase, routed('shop.example', '/shop'))).toBe(200);
  });
});

describe('ASE emulator response phase, health and records', () => {
  it('acknowledges response metadata with 200 and rejects malformed metadata with 400', async () => {
    const ase = await start();
    const ok = await call(ase.url, {
      path: '/ase/response',
      body: responsePayload(),
      headers: { 'x-correlationid': 'c-9' },
    });
    expect(ok.status).toBe(200);
    // Mashery sends a numeric code and repeated header names.
    const mashery = responsePayload({ response_code: 200, headers: [{ a: '1' }, { a: '2' }] });
    expect((await call(ase.url, { path: '/ase/response', body: mashery })).status).toBe(200);
    for (const body of ['nope', responsePayload({ response_code: undefined }), responsePayload({ headers: 'x' }), []]) {
      const reply = await call(ase.url, { path: '/ase/response', body });
      expect(reply, JSON.stringify(body)).toMatchObject({ status: 400, body: 'Error: Malformed Request' });
    }
    expect(ase.records[0]).toMatchObject({ phase: 'response', correlationId: 'c-9', verdict: 200 });
  });

  it('answers the GET /ase health check and 404 to anything else', async () => {
    const ase = await start();
    const health = await call(ase.url, { path: '/ase' });
    expect(health).toMatchObject({ status: 200, headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
    expect((await call(ase.url, { path: '/ase/request' })).status).toBe(404);
    expect((await call(ase.url, { path: '/ase', method: 'POST', body: '{}' })).status).toBe(404);
    expect((await call(ase.url, { path: '/other', body: requestPayload() })).status).toBe(404);
    expect(ase.records).toEqual([]);
  });

  it('keeps a bounded record of calls, oldest dropped first', async () => {
    const ase = await start({ maxRecords: 3 });
    for (let i = 1; i <= 5; i++)
      await call(ase.url, { body: requestPayload(), headers: { 'x-correlationid': `c-${i}` } });
    const records = ase.records;
    expect(records.map((r) => r.correlationId)).toEqual(['c-3', 'c-4', 'c-5']);
    // A snapshot: later calls do not change it.
    await call(ase.url, { body: requestPayload() });
    expect(records).toHaveLength(3);
    expect(ase.records.at(-1)?.correlationId).toBeUndefined();
    ase.clearRecords();
    expect(ase.records).toEqual([]);
    const none = await start({ maxRecords: 0 });
    await call(none.url, { body: requestPayload() });
    expect(none.records).toEqual([]);
  });
});
