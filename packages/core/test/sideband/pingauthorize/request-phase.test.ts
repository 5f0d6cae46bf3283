import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestIssuer } from '../../../../../tools/test-utils/oidc-issuer';
import type { GatewayRequestInit, RequestDecision } from '../../../src/index';
import { deadPort, tlsFile, waitFor } from '../http/helpers';
import {
  bodyOf,
  closeFakes,
  closeGuards,
  continued,
  echo,
  guardFor,
  recordingLogger,
  reply,
  requestInit,
  startFakePingAuthorize,
} from './fake-pingauthorize';

afterEach(async () => {
  await closeGuards();
  await closeFakes();
});

function responded(decision: RequestDecision) {
  if (decision.action !== 'respond') throw new Error(`expected respond, got continue ${decision.reason}`);
  return decision;
}

async function bodyText(decision: RequestDecision): Promise<string> {
  return Buffer.from(await continued(decision).request.body.read()).toString('utf8');
}

describe('PingAuthorize request payload', () => {
  // Ping's server trace (PingDataGovernance 8.2, protocol reference §2.1).
  const traceHeaders: GatewayRequestInit['headers'] = [
    ['X-App-Id', 'PNG'],
    ['Accept', 'application/json'],
    ['Authorization', 'Bearer eyJhbGciOi.x.y'],
    ['User-Agent', 'PostmanRuntime/7.26.5'],
    ['Cache-Control', 'no-cache'],
    ['Host', 'localhost:8080'],
    ['Accept-Encoding', 'gzip, deflate, br'],
    ['Connection', 'keep-alive'],
  ];
  const personPath = '/persons/7d9fc465-ec1a-460c-ab38-435471f4918b';

  it("matches the shape of Ping's trace: fields, order, types, headers as received", async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor(
      { endpoints: [fake.url], responsePhase: false },
      { config: { apis: [{ name: 'persons', basePath: '/persons' }] } },
    );
    const init = requestInit(personPath, { headers: traceHeaders, remoteAddress: '::1', remotePort: 46248 });
    const decision = continued(await guard.handleRequest(init));

    const [call] = fake.callsTo('/sideband/request');
    expect(call?.body).toEqual({
      source_ip: '::1',
      source_port: 46248,
      method: 'GET',
      // Built from the Host header as sent (the trace's gateway wrote its own listener's port instead).
      url: `http://localhost:8080${personPath}`,
      http_version: '1.1',
      headers: [
        { 'X-App-Id': 'PNG' },
        { Accept: 'application/json' },
        { Authorization: 'Bearer eyJhbGciOi.x.y' },
        { 'User-Agent': 'PostmanRuntime/7.26.5' },
        { 'Cache-Control': 'no-cache' },
        { Host: 'localhost:8080' },
        { 'Accept-Encoding': 'gzip, deflate, br' },
        { Connection: 'keep-alive' },
      ],
    });
    expect(Object.keys(call?.body)).toEqual(['source_ip', 'source_port', 'method', 'url', 'http_version', 'headers']);
    expect(call?.headers).toMatchObject({ 'content-type': 'application/json', 'client-token': 'test-secret' });
    // The echo changed nothing, so the very same request goes on.
    expect(decision.request).toBe(decision.exchange.original);
  });

  it("applies the trace's reply: X-App-Id removed, SH-USER added, order and case of the reply, hop-by-hop dropped", async () => {
    const fake = await startFakePingAuthorize((call, res) =>
      reply(res, {
        ...call.body,
        headers: [
          { Accept: 'application/json' },
          { Host: 'localhost:8080' },
          { Authorization: 'Bearer eyJhbGciOi.x.y' },
          { 'User-Agent': 'PostmanRuntime/7.26.5' },
          { 'Cache-Control': 'no-cache' },
          { 'Accept-Encoding': 'gzip, deflate, br' },
          { Connection: 'keep-alive' },
          { 'SH-USER': '7d9fc465' },
        ],
        state: 'H4sIAAAAAAAAAK1TTY',
      }),
    );
    const guard = guardFor(
      { endpoints: [fake.url], responsePhase: false },
      { config: { apis: [{ name: 'persons', basePath: '/persons' }] } },
    );
    const decision = continued(await guard.handleRequest(requestInit(personPath, { headers: traceHeaders })));
    expect(decision.request.headers).toEqual([
      ['Accept', 'application/json'],
      ['Host', 'localhost:8080'],
      ['Authorization', 'Bearer eyJhbGciOi.x.y'],
      ['User-Agent', 'PostmanRuntime/7.26.5'],
      ['Cache-Control', 'no-cache'],
      ['Accept-Encoding', 'gzip, deflate, br'],
      ['SH-USER', '7d9fc465'],
    ]);
    expect(decision.request.url).toBe(personPath);
  });

  it('sends an HTTP/2 request with its version, :authority as the URL host and no pseudo-headers', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    const init = requestInit('/shop/a?b=%20c&&d', {
      httpVersion: '2.0',
      encrypted: true,
      headers: [
        [':method', 'GET'],
        [':authority', 'shop.example.com:8443'],
        [':path', '/shop/a?b=%20c&&d'],
        ['accept', '*/*'],
        ['x-dup', '1'],
        ['x-dup', '2'],
      ],
    });
    continued(await guard.handleRequest(init));
    expect(fake.calls[0]?.body).toMatchObject({
      url: 'https://shop.example.com:8443/shop/a?b=%20c&&d',
      http_version: '2.0',
      headers: [{ accept: '*/*' }, { 'x-dup': '1' }, { 'x-dup': '2' }],
    });
  });

  it('sends the client certificate as its public JWK plus x5c', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    const certificate = new X509Certificate(readFileSync(tlsFile('client.crt')));
    const der = certificate.raw;
    continued(await guard.handleRequest(requestInit('/shop', { encrypted: true, clientCertificate: der })));
    const sent = fake.calls[0]?.body.client_certificate;
    expect(sent).toEqual({ ...certificate.publicKey.export({ format: 'jwk' }), x5c: [der.toString('base64')] });
    expect(sent.kty).toMatch(/^(RSA|EC|OKP)$/);
    expect(new X509Certificate(Buffer.from(sent.x5c[0], 'base64')).subject).toContain('CN=sideguard-test-client');
  });

  it('leaves out a client certificate it cannot read, and logs it once', async () => {
    const fake = await startFakePingAuthorize();
    const { logger, entries } = recordingLogger();
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false }, { logger });
    for (let i = 0; i < 2; i++) {
      continued(await guard.handleRequest(requestInit('/shop', { clientCertificate: new Uint8Array([1, 2, 3]) })));
    }
    expect(fake.calls.map((call) => call.body.client_certificate)).toEqual([undefined, undefined]);
    expect(entries.filter((entry) => entry.context.cause === 'pingauthorize:client-certificate')).toHaveLength(1);
  });

  it('sends the OAuth token claims as access_token only when configured', async () => {
    const issuer = await startTestIssuer();
    try {
      const fake = await startFakePingAuthorize();
      const config = {
        environments: {
          prod: {
            profiles: {
              oauth: {
                type: 'oauth2' as const,
                provider: { kind: 'jwt' as const, issuer: issuer.issuer, jwksUri: issuer.jwksUri },
              },
            },
          },
        },
        apis: [{ name: 'shop', basePath: '/shop', environment: 'prod', profiles: ['oauth'] }],
      };
      const token = await issuer.mint({ scope: 'read write', client_id: 'app-1' });
      const init = requestInit('/shop', {
        headers: [
          ['Host', 'shop.example.com'],
          ['Authorization', `Bearer ${token}`],
        ],
      });

      const without = guardFor({ endpoints: [fake.url], responsePhase: false }, { config });
      continued(await without.handleRequest(init));
      expect(fake.calls[0]?.body).not.toHaveProperty('access_token');

      const withToken = guardFor({ endpoints: [fake.url], responsePhase: false, sendAccessToken: true }, { config });
      continued(await withToken.handleRequest(init));
      expect(fake.calls[1]?.body.access_token).toMatchObject({
        active: true,
        sub: 'user-1',
        iss: issuer.issuer,
        aud: ['sideguard-test'],
        scope: ['read', 'write'],
        client_id: 'app-1',
      });
    } finally {
      await issuer.close();
    }
  });
});

describe('PingAuthorize request bodies', () => {
  const json = '{"item":1,"audit":"x"}';

  function post(contentType: string | undefined, body: string, extra: Partial<GatewayRequestInit> = {}) {
    const headers: [string, string][] = [['Host', 'shop.example.com']];
    if (contentType !== undefined) headers.push(['Content-Type', contentType]);
    headers.push(['Content-Length', String(Buffer.byteLength(body))]);
    return requestInit('/shop/cart', { method: 'POST', headers, body: bodyOf(body), ...extra });
  }

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON',
    'application/problem+json',
    'application/x-www-form-urlencoded',
    'text/plain; charset=utf-8',
  ])('sends a %s body as a string', async (contentType) => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    const decision = continued(await guard.handleRequest(post(contentType, json)));
    expect(fake.calls[0]?.body.body).toBe(json);
    // The body was consumed for the engine, so it travels on buffered.
    expect(decision.request.body.started).toBe(true);
    expect(await bodyText(decision)).toBe(json);
  });

  it.each([['image/png'], ['application/octet-stream'], [undefined]])(
    'does not read or send a %s body',
    async (contentType) => {
      const fake = await startFakePingAuthorize();
      const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
      const decision = continued(await guard.handleRequest(post(contentType, json)));
      expect(fake.calls[0]?.body).not.toHaveProperty('body');
      expect(decision.request.body.started).toBe(false);
    },
  );

  it('honours configured content types, including type/*', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({
      endpoints: [fake.url],
      responsePhase: false,
      requestBody: { contentTypes: ['image/*'] },
    });
    continued(await guard.handleRequest(post('image/svg+xml', '<svg/>')));
    continued(await guard.handleRequest(post('application/json', json)));
    expect(fake.calls.map((call) => call.body.body)).toEqual(['<svg/>', undefined]);
  });

  it('sends no body for requests without one', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    continued(
      await guard.handleRequest(
        requestInit('/shop', {
          headers: [
            ['Host', 'a'],
            ['Content-Type', 'application/json'],
          ],
        }),
      ),
    );
    continued(await guard.handleRequest(post('application/json', '')));
    expect(fake.calls.map((call) => 'body' in call.body)).toEqual([false, false]);
  });

  it('reads an HTTP/2 body that declares no length, and a chunked one', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    const h2 = requestInit('/shop', {
      method: 'POST',
      httpVersion: '2.0',
      headers: [
        [':authority', 'shop.example.com'],
        ['content-type', 'application/json'],
      ],
      body: bodyOf(json),
    });
    const chunked = requestInit('/shop', {
      method: 'POST',
      headers: [
        ['Host', 'shop.example.com'],
        ['Content-Type', 'text/plain'],
        ['Transfer-Encoding', 'chunked'],
      ],
      body: bodyOf('hello'),
    });
    continued(await guard.handleRequest(h2));
    continued(await guard.handleRequest(chunked));
    expect(fake.calls.map((call) => call.body.body)).toEqual([json, 'hello']);
  });

  it('answers 413 for a body over requestBody.maxBytes, declared or not, without asking the engine', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false, requestBody: { maxBytes: 10 } });
    const declared = responded(await guard.handleRequest(post('application/json', json)));
    const chunked = responded(
      await guard.handleRequest(
        requestInit('/shop', {
          method: 'POST',
          headers: [
            ['Host', 'a'],
            ['Content-Type', 'application/json'],
            ['Transfer-Encoding', 'chunked'],
          ],
          body: bodyOf(json),
        }),
      ),
    );
    for (const decision of [declared, chunked]) {
      expect(decision).toMatchObject({ status: 413, reason: 'body-too-large' });
    }
    // Exactly at the limit is fine.
    continued(await guard.handleRequest(post('application/json', '0123456789')));
    expect(fake.calls).toHaveLength(1);
  });

  it('answers 415 for a content-encoded body it would have to read', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    const init = post('application/json', 'gzipped?');
    const decision = responded(
      await guard.handleRequest({ ...init, headers: [...init.headers, ['Content-Encoding', 'gzip']] }),
    );
    expect(decision).toMatchObject({ status: 415, reason: 'body-encoding-unsupported' });
    expect(fake.calls).toHaveLength(0);
  });
});

describe('PingAuthorize header limits', () => {
  it('answers 431 past maxHeaders instead of cutting headers, and sends them all up to it', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false, maxHeaders: 3 });
    const headers = (count: number): [string, string][] => [
      ['Host', 'shop.example.com'],
      ...Array.from({ length: count - 1 }, (_, i): [string, string] => ['X-N', String(i)]),
    ];
    const over = responded(await guard.handleRequest(requestInit('/shop', { headers: headers(4) })));
    expect(over).toMatchObject({ status: 431, reason: 'request-headers-too-large' });
    expect(fake.calls).toHaveLength(0);
    continued(await guard.handleRequest(requestInit('/shop', { headers: headers(3) })));
    expect(fake.calls[0]?.body.headers).toHaveLength(3);
  });
});

describe('PingAuthorize allow replies', () => {
  const original = '{"item":1,"audit":"x"}';
  const init = requestInit('/shop/cart?a=1', {
    method: 'POST',
    headers: [
      ['Host', 'shop.example.com'],
      ['Content-Type', 'application/json'],
      ['Content-Length', String(original.length)],
      ['Connection', 'keep-alive, X-Conn'],
      ['Keep-Alive', 'timeout=5'],
      ['X-Conn', '1'],
      ['X-Drop', 'me'],
      ['X-Keep', 'a'],
      ['X-Keep', 'b'],
      ['TE', 'trailers'],
      ['Accept-Encoding', 'gzip'],
    ],
    body: bodyOf(original),
  });

  it('applies method, path and query, Host, the header diff and the body, with hop-by-hop and framing recomputed', async () => {
    const fake = await startFakePingAuthorize((call, res) =>
      reply(res, {
        ...call.body,
        method: 'PUT',
        url: 'http://api.internal:8443/shop/cart/v2?compare=co&a=1',
        headers: [
          { host: 'shop.example.com' },
          { 'content-type': 'application/json' },
          { 'content-length': '999' },
          { Connection: 'keep-alive, X-Conn' },
          { 'X-Conn': '1' },
          { 'x-keep': 'b' },
          { 'x-keep': 'a' },
          { 'X-New': 'n' },
          { TE: 'trailers' },
          { 'Content-Encoding': 'gzip' },
          { 'Proxy-Authorization': 'Basic eA==' },
          { 'Accept-Encoding': 'gzip' },
        ],
        body: '{"item":1}',
      }),
    );
    const guard = guardFor({ endpoints: [fake.url] });
    const decision = continued(await guard.handleRequest(init));
    expect(decision.request).toMatchObject({
      method: 'PUT',
      url: '/shop/cart/v2?compare=co&a=1',
      path: '/shop/cart/v2',
      query: 'compare=co&a=1',
    });
    // X-Conn stays: the engine's list is authoritative, whatever the client's Connection names.
    expect(decision.request.headers).toEqual([
      ['Host', 'api.internal:8443'],
      ['content-type', 'application/json'],
      ['X-Conn', '1'],
      ['x-keep', 'b'],
      ['x-keep', 'a'],
      ['X-New', 'n'],
      ['Content-Length', '10'],
      ['Accept-Encoding', 'identity'],
    ]);
    expect(await bodyText(decision)).toBe('{"item":1}');
  });

  it("never lets the client's Connection header remove headers the engine added or set", async () => {
    // The policy sets the tenant filter (replacing any the client sent) and adds a role header.
    const fake = await startFakePingAuthorize((call, res) => {
      const headers = call.body.headers.filter((header: object) => !('X-Tenant-Filter' in header));
      reply(res, { ...call.body, headers: [...headers, { 'X-Tenant-Filter': 't1' }, { 'X-Role': 'user' }] });
    });
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    const connection: [string, string] = ['Connection', 'keep-alive, X-Tenant-Filter, X-Role'];
    const added = continued(
      await guard.handleRequest(requestInit('/shop', { headers: [['Host', 'shop.example.com'], connection] })),
    );
    // Same value as the policy sets: an echo and a set cannot be told apart, so it stays too.
    const sameValue = continued(
      await guard.handleRequest(
        requestInit('/shop', { headers: [['Host', 'shop.example.com'], connection, ['X-Tenant-Filter', 't1']] }),
      ),
    );
    for (const decision of [added, sameValue]) {
      expect(decision.request.headers).toEqual([
        ['Host', 'shop.example.com'],
        ['X-Tenant-Filter', 't1'],
        ['X-Role', 'user'],
      ]);
    }
  });

  it('empties a body the reply leaves out, and keeps the original Host when the reply drops it', async () => {
    const fake = await startFakePingAuthorize((call, res) => {
      const { body: _body, ...rest } = call.body;
      reply(res, { ...rest, headers: [{ 'Content-Type': 'application/json' }] });
    });
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    const decision = continued(await guard.handleRequest(init));
    expect(decision.request.headers).toEqual([
      ['Host', 'shop.example.com'],
      ['Content-Type', 'application/json'],
      ['Content-Length', '0'],
    ]);
    expect(await bodyText(decision)).toBe('');
  });

  it('keeps the framing of a body it never read when only headers change', async () => {
    const fake = await startFakePingAuthorize((call, res) =>
      reply(res, { ...call.body, headers: [...call.body.headers, { 'X-Added': '1' }] }),
    );
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    const decision = continued(
      await guard.handleRequest(
        requestInit('/shop', {
          method: 'POST',
          headers: [
            ['Host', 'shop.example.com'],
            ['Content-Type', 'application/octet-stream'],
            ['Transfer-Encoding', 'chunked'],
            ['Content-Encoding', 'gzip'],
          ],
          body: bodyOf('raw'),
        }),
      ),
    );
    expect(decision.request.body.started).toBe(false);
    expect(decision.request.headers).toEqual([
      ['Host', 'shop.example.com'],
      ['Content-Type', 'application/octet-stream'],
      ['X-Added', '1'],
      ['Transfer-Encoding', 'chunked'],
      ['Content-Encoding', 'gzip'],
    ]);
  });

  it('adds a body the engine writes to a request that had none, with its length', async () => {
    const fake = await startFakePingAuthorize((call, res) => reply(res, { ...call.body, body: 'added' }));
    const guard = guardFor({ endpoints: [fake.url], responsePhase: false });
    const decision = continued(await guard.handleRequest(requestInit('/shop')));
    expect(decision.request.headers).toEqual([
      ['Host', 'shop.example.com'],
      ['Content-Length', '5'],
    ]);
    expect(await bodyText(decision)).toBe('added');
  });

  it('makes upstream answer unencoded when the response phase is on, even if nothing else changed', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url] });
    const decision = continued(
      await guard.handleRequest(
        requestInit('/shop', {
          headers: [
            ['Host', 'a'],
            ['accept-encoding', 'gzip, br'],
            ['Accept-Encoding', 'zstd'],
            ['X', 'y'],
          ],
        }),
      ),
    );
    expect(decision.request.headers).toEqual([
      ['Host', 'a'],
      ['X', 'y'],
      ['Accept-Encoding', 'identity'],
    ]);
  });
});

describe('PingAuthorize connections', () => {
  it('keeps its pool across a reload with the same settings, starts a new one when they change, closes on close()', async () => {
    const fake = await startFakePingAuthorize();
    // One connection per pool, so a second connection can only come from a second pool.
    const settings = { sharedSecret: 'test-secret', endpoints: [fake.url], responsePhase: false, connections: 1 };
    const guard = guardFor(settings);
    const apis = [{ name: 'shop', basePath: '/shop' }];
    continued(await guard.handleRequest(requestInit('/shop')));
    guard.reload({ apis, sideband: { pingAuthorize: { ...settings, timeoutMs: 2000 } } });
    continued(await guard.handleRequest(requestInit('/shop')));
    expect(fake.connections.accepted).toBe(1);
    guard.reload({ apis, sideband: { pingAuthorize: { ...settings, timeoutMs: 3000 } } });
    continued(await guard.handleRequest(requestInit('/shop')));
    expect(fake.connections.accepted).toBe(2);
    await guard.close();
    await waitFor(() => fake.connections.open <= 1);
  });
});

describe('PingAuthorize deny replies', () => {
  it.each([
    ['403', 403],
    [402, 402],
  ])('returns the response object as is (response_code %j)', async (code, status) => {
    const fake = await startFakePingAuthorize((_call, res) =>
      reply(res, {
        response: {
          response_code: code,
          response_status: 'FORBIDDEN',
          headers: [{ 'content-type': 'application/json' }, { 'X-Reason': 'policy' }, { 'Content-Length': '3' }],
          body: '{"errorMessage":"Access Denied","status":403}',
        },
      }),
    );
    const guard = guardFor({ endpoints: [fake.url] });
    const decision = responded(await guard.handleRequest(requestInit('/shop')));
    expect(decision).toMatchObject({
      status,
      reason: 'sideband-blocked',
      headers: [
        ['content-type', 'application/json'],
        ['X-Reason', 'policy'],
      ],
      body: '{"errorMessage":"Access Denied","status":403}',
    });
  });

  it('keeps its own rate-limit headers on a deny', async () => {
    const fake = await startFakePingAuthorize((_call, res) =>
      reply(res, { response: { response_code: '401', headers: [{ 'WWW-Authenticate': 'Bearer' }] } }),
    );
    const guard = guardFor({ endpoints: [fake.url] }, { config: { rateLimits: { org: { limit: 100 } } } });
    const decision = responded(await guard.handleRequest(requestInit('/shop')));
    expect(decision.status).toBe(401);
    expect(decision.body).toBe('');
    expect(decision.headers[0]).toEqual(['WWW-Authenticate', 'Bearer']);
    expect(decision.headers.map(([name]) => name.toLowerCase())).toContain('ratelimit');
  });
});

describe('PingAuthorize unusable replies', () => {
  it.each([
    ['a deny with status "99"', { response: { response_code: '99', headers: [] } }],
    ['a deny with status "abc"', { response: { response_code: 'abc' } }],
    ['a deny with status 1000', { response: { response_code: 1000 } }],
    ['a deny that is not an object', { response: 'no' }],
    ['a header name with a space', { response: { response_code: '403', headers: [{ 'Bad Name': 'x' }] } }],
    ['a header value with CR LF', { headers: [{ 'X-Evil': 'a\r\nInjected: yes' }] }],
    ['a header value with NUL', { headers: [{ 'X-Evil': 'a\u0000b' }] }],
    ['nested header arrays', { headers: [[{ a: 'b' }]] }],
    ['a header value that is a number', { headers: [{ 'X-N': 1 }] }],
    ['a method that is not a token', { method: 'GE T' }],
    ['a URL that is not absolute', { url: '/shop/x' }],
    ['a URL with an invalid host', { url: 'http://bad host/shop' }],
    ['a body that is not a string', { body: { a: 1 } }],
  ])('fails closed with 502 on %s', async (_what, patch) => {
    const fake = await startFakePingAuthorize((call, res) => reply(res, { ...call.body, ...patch }));
    const guard = guardFor({ endpoints: [fake.url] });
    expect(await guard.handleRequest(requestInit('/shop'))).toMatchObject({
      action: 'respond',
      status: 502,
      reason: 'sideband-unavailable',
    });
  });

  it.each([
    ['garbage', 'not json at all'],
    ['a JSON array', '[]'],
    ['an empty body', ''],
  ])('fails closed with 502 on %s', async (_what, text) => {
    const fake = await startFakePingAuthorize((_call, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(text);
    });
    const guard = guardFor({ endpoints: [fake.url] });
    expect(await guard.handleRequest(requestInit('/shop'))).toMatchObject({ status: 502 });
  });

  it('logs an invalid header once per cause, without its value', async () => {
    const fake = await startFakePingAuthorize((call, res) =>
      reply(res, { ...call.body, headers: [{ 'X-Evil': 'secret-looking\r\nvalue' }] }),
    );
    const { logger, entries } = recordingLogger();
    const guard = guardFor({ endpoints: [fake.url] }, { logger });
    for (let i = 0; i < 3; i++) expect(await guard.handleRequest(requestInit('/shop'))).toMatchObject({ status: 502 });
    const errors = entries.filter((entry) => entry.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.context.cause).toBe('pingauthorize:request:invalid:header-value');
    expect(JSON.stringify(errors)).not.toContain('secret-looking');
  });

  it.each([
    ['a header value with CR LF', { response_code: '403', headers: [{ 'X-Why': 'a\r\nb' }] }],
    ['a body that is not a string', { response_code: '403', body: { message: 'denied' } }],
    ['a status that is not one', { response_code: 'forbidden' }],
    ['a response that is not an object', 'denied'],
  ])('answers 502 for a deny with %s even when failMode is open, logging the cause once', async (_what, response) => {
    const fake = await startFakePingAuthorize((call, res) => reply(res, { ...call.body, response }));
    const { logger, entries } = recordingLogger();
    const guard = guardFor({ endpoints: [fake.url], failMode: 'open' }, { logger });
    for (let i = 0; i < 3; i++) {
      expect(await guard.handleRequest(requestInit('/shop'))).toMatchObject({
        action: 'respond',
        status: 502,
        reason: 'sideband-unavailable',
      });
    }
    const errors = entries.filter((entry) => entry.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.context.cause).toMatch(/^pingauthorize:request:invalid-deny:/);
  });

  it('lets the request through unchanged on an unusable reply when failMode is open', async () => {
    const fake = await startFakePingAuthorize((_call, res) => reply(res, { headers: 'nope' }));
    const guard = guardFor({ endpoints: [fake.url], failMode: 'open', responsePhase: false });
    const decision = continued(await guard.handleRequest(requestInit('/shop')));
    expect(decision.reason).toBe('sideband-fail-open');
    expect(decision.request).toBe(decision.exchange.original);
  });
});

describe('PingAuthorize error statuses', () => {
  it('turns 401 into 502 and logs a shared-secret mismatch without the secret, whatever the fail mode', async () => {
    const fake = await startFakePingAuthorize((_call, res) =>
      reply(res, { message: 'The Gateway Token is invalid', id: 'x' }, 401),
    );
    for (const failMode of ['closed', 'open'] as const) {
      const { logger, entries } = recordingLogger();
      const guard = guardFor({ endpoints: [fake.url], failMode, sharedSecret: 'hunter2-very-secret' }, { logger });
      expect(await guard.handleRequest(requestInit('/shop'))).toMatchObject({
        action: 'respond',
        status: 502,
        reason: 'sideband-unavailable',
      });
      const errors = entries.filter((entry) => entry.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]?.message).toMatch(/shared secret mismatch/i);
      expect(JSON.stringify(entries)).not.toContain('hunter2');
    }
    expect(fake.calls[0]?.headers['client-token']).toBe('hunter2-very-secret');
  });

  it('sends the secret in the configured header', async () => {
    const fake = await startFakePingAuthorize();
    const guard = guardFor({ endpoints: [fake.url], sharedSecretHeader: 'PDG-TOKEN' });
    continued(await guard.handleRequest(requestInit('/shop')));
    expect(fake.calls[0]?.headers['pdg-token']).toBe('test-secret');
    expect(fake.calls[0]?.headers).not.toHaveProperty('client-token');
  });

  it('passes 413 on to the client', async () => {
    const fake = await startFakePingAuthorize((_call, res) => reply(res, { message: 'too large' }, 413));
    const guard = guardFor({ endpoints: [fake.url] });
    expect(await guard.handleRequest(requestInit('/shop'))).toMatchObject({
      action: 'respond',
      status: 413,
      reason: 'sideband-rejected',
    });
  });

  it.each([
    ['7', '7'],
    ['Wed, 21 Oct 2037 07:28:00 GMT', 'Wed, 21 Oct 2037 07:28:00 GMT'],
    ['soon', undefined],
    ['-1', undefined],
    [undefined, undefined],
  ])('passes 429 on with Retry-After %j → %j, for that request only', async (sent, expected) => {
    let limited = true;
    const fake = await startFakePingAuthorize((call, res) => {
      if (!limited) return echo(call, res);
      limited = false;
      reply(res, { code: 'LIMIT_EXCEEDED' }, 429, sent === undefined ? {} : { 'retry-after': sent });
    });
    const guard = guardFor({ endpoints: [fake.url] });
    const decision = responded(await guard.handleRequest(requestInit('/shop')));
    expect(decision).toMatchObject({ status: 429, reason: 'sideband-rejected' });
    const retryAfter = decision.headers.filter(([name]) => name === 'retry-after').map(([, value]) => value);
    expect(retryAfter).toEqual(expected === undefined ? [] : [expected]);
    // No breaker: the next request asks the engine again and is let through.
    continued(await guard.handleRequest(requestInit('/shop')));
    expect(fake.calls).toHaveLength(2);
  });

  it.each([500, 503, 400, 404, 302])('fails closed with 502 on status %i, or open when configured', async (status) => {
    const fake = await startFakePingAuthorize((_call, res) => reply(res, { message: 'no' }, status));
    const closed = guardFor({ endpoints: [fake.url] });
    expect(await closed.handleRequest(requestInit('/shop'))).toMatchObject({ status: 502 });
    const open = guardFor({ endpoints: [fake.url], failMode: 'open' });
    const decision = continued(await open.handleRequest(requestInit('/shop')));
    expect(decision.reason).toBe('sideband-fail-open');
    // The response phase still runs, so upstream must still answer unencoded.
    expect(decision.request.headers).toContainEqual(['Accept-Encoding', 'identity']);
  });

  it('asks the app for an unencoded body in its own charset when the response phase is on', async () => {
    const fake = await startFakePingAuthorize((call, res) => reply(res, call.body));
    const decision = continued(
      await guardFor({ endpoints: [fake.url] }).handleRequest(
        requestInit('/shop', {
          headers: [
            ['Host', 'shop.example.com'],
            ['Accept-Encoding', 'gzip, br'],
            ['Accept-Charset', 'utf-16'],
          ],
        }),
      ),
    );
    expect(decision.request.headers).toEqual([
      ['Host', 'shop.example.com'],
      ['Accept-Encoding', 'identity'],
    ]);
  });

  it('answers within the timeout when the engine hangs', async () => {
    const fake = await startFakePingAuthorize(() => {});
    const guard = guardFor({ endpoints: [fake.url], timeoutMs: 300 });
    const started = performance.now();
    expect(await guard.handleRequest(requestInit('/shop'))).toMatchObject({ status: 502 });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(800);
  });

  it('retries a transport failure once on the next endpoint', async () => {
    const fake = await startFakePingAuthorize();
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const guard = guardFor({ endpoints: [dead, fake.url], responsePhase: false });
    continued(await guard.handleRequest(requestInit('/shop')));
    expect(fake.calls).toHaveLength(1);
  });

  it('fails closed when every endpoint is down, or open when configured', async () => {
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const { logger, entries } = recordingLogger();
    const closed = guardFor({ endpoints: [dead] }, { logger });
    expect(await closed.handleRequest(requestInit('/shop'))).toMatchObject({ status: 502 });
    expect(entries.find((entry) => entry.level === 'error')?.context.cause).toBe('pingauthorize:request:unreachable');
    const open = guardFor({ endpoints: [dead], failMode: 'open' });
    expect(await open.handleRequest(requestInit('/shop'))).toMatchObject({
      action: 'continue',
      reason: 'sideband-fail-open',
    });
  });
});
