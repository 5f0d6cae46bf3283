import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import {
  type AuditEvent,
  ConfigError,
  createGuard,
  type GuardDeps,
  hashPassword,
  type Logger,
  type SideguardConfigInput,
} from '@sideguard/core';
import { sideguard } from '@sideguard/express';
import express from 'express';
import { type JWK, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { close, listen, send, type TestResponse } from '../../../tools/test-utils/http-client';
import { startTestIssuer, type TestIssuer } from '../../../tools/test-utils/oidc-issuer';
import { testTls } from '../../../tools/test-utils/tls';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

interface App {
  address: { host: string; port: number };
  events: AuditEvent[];
  get(path: string, headers?: Record<string, string> | string[]): Promise<TestResponse>;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => close(server)));
});

/** An Express app behind Sideguard whose handler echoes what Sideguard decided. */
async function start(config: SideguardConfigInput, deps: GuardDeps = {}, tls = false): Promise<App> {
  const events: AuditEvent[] = [];
  const app = express();
  app.use(sideguard(createGuard(config, { logger: quiet, onAudit: (e) => events.push(e), ...deps })));
  app.use((req, res) => {
    res.json({ api: req.sideguard?.api?.name, profile: req.sideguard?.profile, identity: req.sideguard?.identity });
  });
  const server = tls ? createHttpsServer({ cert: testTls.cert, key: testTls.key }, app) : createHttpServer(app);
  servers.push(server);
  const address = await listen(server);
  return { address, events, get: (path, headers) => send(address, { path, headers: headers ?? {} }) };
}

describe('seed 002 §1: APIs are anonymous and public until a profile is assigned', () => {
  it('admits anyone as Anonymous on an API with no profile, with a startup warning', async () => {
    const warnings: string[] = [];
    const app = await start(
      { apis: [{ name: 'open', basePath: '/open' }] },
      { logger: { ...quiet, warn: (_c, m) => warnings.push(m) } },
    );
    const res = await app.get('/open/things');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ api: 'open', identity: 'Anonymous' });
    expect(warnings).toEqual([expect.stringContaining('API "open" has no security profile')]);
  });

  it('refuses such APIs with 401 under defaultAccess "deny"', async () => {
    const app = await start({ apis: [{ name: 'open', basePath: '/open' }], defaultAccess: 'deny' });
    expect((await app.get('/open')).status).toBe(401);
  });
});

describe('seed 002 §2–3: several Basic profiles, environments, and the forbidden mixes', () => {
  // The seed's classic set-up: Finance and Accounting on API-1, Accounting only on API-2, in both
  // environments, with the same names and different credentials.
  const environment = (prefix: string) => ({
    profiles: {
      finance: {
        type: 'basic' as const,
        realm: `${prefix} finance`,
        users: [{ username: 'fin', password: `${prefix}-fin-pw` }],
      },
      accounting: {
        type: 'basic' as const,
        users: [
          { username: 'acc', password: `${prefix}-acc-pw` },
          { username: 'acc2', password: `${prefix}-acc2-pw` },
        ],
      },
    },
  });
  const config: SideguardConfigInput = {
    environments: { development: environment('dev'), production: environment('prod') },
    apis: [
      { name: 'api-1-dev', basePath: '/dev/api-1', environment: 'development', profiles: ['finance', 'accounting'] },
      { name: 'api-2-dev', basePath: '/dev/api-2', environment: 'development', profiles: ['accounting'] },
      { name: 'api-1', basePath: '/api-1', environment: 'production', profiles: ['finance', 'accounting'] },
      { name: 'api-2', basePath: '/api-2', environment: 'production', profiles: ['accounting'] },
    ],
  };
  it('admits the users of every Basic profile on API-1 and only Accounting on API-2', async () => {
    const app = await start(config);
    expect(JSON.parse((await app.get('/api-1', { authorization: basic('fin', 'prod-fin-pw') })).body)).toEqual({
      api: 'api-1',
      profile: 'finance',
      identity: 'fin',
    });
    expect(
      JSON.parse((await app.get('/api-1/x', { authorization: basic('acc2', 'prod-acc2-pw') })).body),
    ).toMatchObject({
      profile: 'accounting',
      identity: 'acc2',
    });
    expect((await app.get('/api-2', { authorization: basic('acc', 'prod-acc-pw') })).status).toBe(200);
    expect((await app.get('/api-2', { authorization: basic('fin', 'prod-fin-pw') })).status).toBe(401);
  });

  it('keeps environments apart: same names, separate credentials', async () => {
    const app = await start(config);
    expect((await app.get('/dev/api-1', { authorization: basic('fin', 'dev-fin-pw') })).status).toBe(200);
    expect((await app.get('/dev/api-1', { authorization: basic('fin', 'prod-fin-pw') })).status).toBe(401);
    expect((await app.get('/api-1', { authorization: basic('fin', 'dev-fin-pw') })).status).toBe(401);
  });

  it('challenges with a correct Basic WWW-Authenticate', async () => {
    const app = await start(config);
    const missing = await app.get('/api-1');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Basic realm="prod finance", charset="UTF-8"');
    const wrong = await app.get('/api-2', { authorization: basic('acc', 'nope') });
    expect(wrong.headers['www-authenticate']).toBe('Basic realm="api-2", charset="UTF-8"');
    expect(JSON.parse(wrong.body)).toMatchObject({ error: 'unauthenticated' });
  });

  it('refuses at load every combination the seed forbids', () => {
    const mixed = (profiles: string[]): SideguardConfigInput => ({
      environments: {
        prod: {
          profiles: {
            b: { type: 'basic', users: [{ username: 'u', password: 'p' }] },
            o: { type: 'oauth2', provider: { kind: 'jwt', issuer: 'https://i.test', jwksUri: 'https://i.test/jwks' } },
            o2: { type: 'oauth2', provider: { kind: 'jwt', issuer: 'https://i.test', jwksUri: 'https://i.test/jwks' } },
            a: { type: 'anonymous' },
            a2: { type: 'anonymous' },
          },
        },
      },
      apis: [{ name: 'x', basePath: '/x', environment: 'prod', profiles }],
    });
    for (const profiles of [
      ['b', 'o'],
      ['b', 'a'],
      ['o', 'a'],
      ['o', 'o2'],
      ['a', 'a2'],
      ['b', 'b'],
    ]) {
      expect(() => createGuard(mixed(profiles), { logger: quiet }), profiles.join('+')).toThrow(ConfigError);
    }
    expect(() => createGuard(mixed(['b']), { logger: quiet })).not.toThrow();
  });
});

describe('seed 002 §4–5: Anonymous, Basic, OAuth 2.0 and the audit identity', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer('orders-api');
  });
  afterAll(() => issuer.close());

  function config(): SideguardConfigInput {
    return {
      environments: {
        prod: {
          profiles: {
            everyone: { type: 'anonymous' },
            keyed: { type: 'anonymous', auditHeader: 'X-App-Key' },
            staff: { type: 'basic', users: [{ username: 'ann', password: 'pw-ann' }] },
            partners: {
              type: 'oauth2',
              realm: 'orders',
              provider: { kind: 'oidc', issuer: issuer.issuer, audience: 'orders-api' },
              requiredScopes: ['orders:read'],
              identityClaim: 'email',
            },
          },
        },
      },
      apis: [
        { name: 'catalog', basePath: '/catalog', environment: 'prod', profiles: ['everyone'] },
        { name: 'feed', basePath: '/feed', environment: 'prod', profiles: ['keyed'] },
        { name: 'staff', basePath: '/staff', environment: 'prod', profiles: ['staff'] },
        { name: 'orders', basePath: '/orders', environment: 'prod', profiles: ['partners'] },
      ],
    };
  }

  it('records Anonymous, the Basic username, the token claim, or the audit header', async () => {
    const app = await start(config());
    await app.get('/catalog');
    await app.get('/feed', { 'x-app-key': 'mobile-app-7' });
    await app.get('/feed');
    await app.get('/staff', { authorization: basic('ann', 'pw-ann') });
    await app.get('/orders', {
      authorization: `Bearer ${await issuer.mint({ scope: 'orders:read', email: 'p@partner.test' })}`,
    });
    await waitFor(() => app.events.length === 5);
    expect(app.events.map((e) => [e.api, e.profile, e.identity, e.status])).toEqual([
      ['catalog', 'everyone', 'Anonymous', 200],
      ['feed', 'keyed', 'mobile-app-7', 200],
      ['feed', 'keyed', 'Anonymous', 200],
      ['staff', 'staff', 'ann', 200],
      ['orders', 'partners', 'p@partner.test', 200],
    ]);
  });

  it('answers bearer failures with RFC 6750 challenges', async () => {
    const app = await start(config());
    const none = await app.get('/orders');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="orders"');

    const expired = await app.get('/orders', {
      authorization: `Bearer ${await issuer.mint({ scope: 'orders:read', exp: Math.floor(Date.now() / 1000) - 60 })}`,
    });
    expect(expired.status).toBe(401);
    expect(expired.headers['www-authenticate']).toMatch(
      /^Bearer realm="orders", error="invalid_token", error_description="[^"]+"$/,
    );

    const wrongAudience = await app.get('/orders', {
      authorization: `Bearer ${await issuer.mint({ scope: 'orders:read', aud: 'another-api' })}`,
    });
    expect(wrongAudience.status).toBe(401);

    const noScope = await app.get('/orders', { authorization: `Bearer ${await issuer.mint({ scope: 'profile' })}` });
    expect(noScope.status).toBe(403);
    expect(noScope.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="orders:read"/);

    const basicOnBearer = await app.get('/orders', { authorization: basic('ann', 'pw-ann') });
    expect(basicOnBearer.status).toBe(401);
    expect(basicOnBearer.headers['www-authenticate']).toBe('Bearer realm="orders"');
  });

  it('rejects forged and foreign tokens: alg none, HS256 keyed with the public key, another issuer', async () => {
    const app = await start(config());
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: 'mallory',
      aud: 'orders-api',
      iss: issuer.issuer,
      scope: 'orders:read',
      iat: now,
      exp: now + 300,
    };
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: JWK[] };
    const publicPem = createPublicKey({ key: jwks.keys[0] as JsonWebKey, format: 'jwk' }).export({
      format: 'pem',
      type: 'spki',
    });
    const confused = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: jwks.keys[0]?.kid })
      .sign(new Uint8Array(Buffer.from(publicPem)));
    const foreign = await startTestIssuer('orders-api');
    const elsewhere = await foreign.mint({ scope: 'orders:read', iss: issuer.issuer });
    await foreign.close();
    for (const token of [unsigned, confused, elsewhere]) {
      const res = await app.get('/orders', { authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    }
    // Refused hits are audited too, with no identity.
    expect(app.events.map((e) => [e.status, e.decision, e.reason, e.identity])).toEqual(
      Array(3).fill([401, 'respond', 'unauthenticated', undefined]),
    );
  });

  it('follows key rotation at the issuer', async () => {
    const app = await start(config());
    const before = await issuer.mint({ scope: 'orders:read', email: 'a@partner.test' });
    expect((await app.get('/orders', { authorization: `Bearer ${before}` })).status).toBe(200);
    await issuer.rotate();
    // jose refetches a key set for an unknown kid at most every 30 s; step past that cooldown.
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 31_000);
    const after = await issuer.mint({ scope: 'orders:read', email: 'a@partner.test' });
    expect((await app.get('/orders', { authorization: `Bearer ${after}` })).status).toBe(200);
    // The old key is gone from the JWKS; its tokens stop working once the key set is refreshed.
    expect((await app.get('/orders', { authorization: `Bearer ${before}` })).status).toBe(401);
  });

  it('answers 503 while the identity provider is down, and recovers', async () => {
    const down = await startTestIssuer('orders-api');
    const app = await start({
      environments: {
        prod: {
          profiles: { p: { type: 'oauth2', provider: { kind: 'jwt', issuer: down.issuer, jwksUri: down.jwksUri } } },
        },
      },
      apis: [{ name: 'orders', basePath: '/orders', environment: 'prod', profiles: ['p'] }],
    });
    const token = await down.mint({ aud: undefined });
    down.setDown(true);
    expect((await app.get('/orders', { authorization: `Bearer ${token}` })).status).toBe(503);
    down.setDown(false);
    await waitFor(async () => (await app.get('/orders', { authorization: `Bearer ${token}` })).status === 200, 5_000);
    await down.close();
  });
});

describe('Basic hardening', () => {
  it('verifies a hashed password once, then serves the credential from the cache', async () => {
    const app = await start({
      environments: {
        prod: {
          profiles: {
            p: {
              type: 'basic',
              users: [{ username: 'svc', passwordHash: await hashPassword('long secret', { cost: 12 }) }],
            },
          },
        },
      },
      apis: [{ name: 'svc', basePath: '/svc', environment: 'prod', profiles: ['p'] }],
      authentication: { bruteForce: { maxFailures: 2, windowSeconds: 60, lockoutSeconds: 60 } },
    });
    const token = Buffer.from('svc:long secret').toString('base64');
    expect((await app.get('/svc', { authorization: `Basic ${token}` })).status).toBe(200);
    // Lock the user out; a verification would now be refused before it starts.
    for (let i = 0; i < 2; i++)
      expect((await app.get('/svc', { authorization: basic('svc', `guess-${i}`) })).status).toBe(401);
    expect((await app.get('/svc', { authorization: `basic ${token}` })).status).toBe(429);
    // The exact header verified before is known good: served from the cache, not verified again.
    expect((await app.get('/svc', { authorization: `Basic ${token}` })).status).toBe(200);
  });

  it('locks a username out after repeated failures, with Retry-After', async () => {
    const app = await start({
      environments: { prod: { profiles: { p: { type: 'basic', users: [{ username: 'ann', password: 'right' }] } } } },
      apis: [{ name: 'x', basePath: '/x', environment: 'prod', profiles: ['p'] }],
      authentication: { bruteForce: { maxFailures: 3, windowSeconds: 60, lockoutSeconds: 120 } },
    });
    for (let i = 0; i < 3; i++)
      expect((await app.get('/x', { authorization: basic('ann', `guess-${i}`) })).status).toBe(401);
    const locked = await app.get('/x', { authorization: basic('ann', 'right') });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(100);
    expect(JSON.parse(locked.body)).toMatchObject({ error: 'login-locked' });
  });
});

describe('seed 002 §7: trusted IP ranges per profile', () => {
  const config = (
    ipRanges: string[],
    trustedProxies?: SideguardConfigInput['trustedProxies'],
  ): SideguardConfigInput => ({
    environments: { prod: { profiles: { office: { type: 'anonymous', ipRanges } } } },
    apis: [{ name: 'intranet', basePath: '/intranet', environment: 'prod', profiles: ['office'] }],
    ...(trustedProxies === undefined ? {} : { trustedProxies }),
  });

  it('admits addresses inside any range (start–end or CIDR) and blocks the rest with 403', async () => {
    expect((await (await start(config(['10.0.0.1-10.0.0.9', '127.0.0.1-127.0.0.1']))).get('/intranet')).status).toBe(
      200,
    );
    expect((await (await start(config(['127.0.0.0/8']))).get('/intranet')).status).toBe(200);
    const blocked = await (await start(config(['10.0.0.0/8', '2001:db8::/32']))).get('/intranet');
    expect(blocked.status).toBe(403);
    expect(JSON.parse(blocked.body)).toMatchObject({ error: 'ip-denied' });
  });

  it('checks the client address resolved through trusted proxies', async () => {
    const app = await start(config(['203.0.113.0-203.0.113.255'], { addresses: ['loopback'] }));
    expect((await app.get('/intranet', { 'x-forwarded-for': '203.0.113.77' })).status).toBe(200);
    expect((await app.get('/intranet', { 'x-forwarded-for': '198.51.100.1' })).status).toBe(403);
    const untrusted = await start(config(['203.0.113.0-203.0.113.255'], { addresses: ['10.0.0.0/8'] }));
    expect((await untrusted.get('/intranet', { 'x-forwarded-for': '203.0.113.77' })).status).toBe(403);
  });
});

describe('seed 002 §8: SSL-only APIs', () => {
  const config = (
    sslOnly: 'redirect' | 'reject',
    trustedProxies?: SideguardConfigInput['trustedProxies'],
  ): SideguardConfigInput => ({
    apis: [
      { name: 'pay', basePath: '/pay', sslOnly },
      { name: 'info', basePath: '/info' },
    ],
    ...(trustedProxies === undefined ? {} : { trustedProxies }),
  });

  it('redirects plain HTTP to the same host and path on https with 308', async () => {
    const app = await start(config('redirect'));
    const res = await send(app.address, { path: '/pay/invoices?id=7', headers: { host: 'shop.example.com:8080' } });
    expect(res.status).toBe(308);
    expect(res.headers.location).toBe('https://shop.example.com/pay/invoices?id=7');
    expect((await app.get('/info')).status).toBe(200);
  });

  it('refuses plain HTTP with 403 in reject mode', async () => {
    const res = await (await start(config('reject'))).get('/pay');
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'https-required' });
  });

  it('serves the API over real TLS', async () => {
    const app = await start(config('reject'), {}, true);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: app.address.port, path: '/pay', ca: testTls.ca, servername: 'localhost' },
        (r) => {
          let body = '';
          r.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ api: 'pay' });
  });

  it('believes X-Forwarded-Proto only from a trusted proxy', async () => {
    const behindProxy = await start(config('reject', { addresses: ['127.0.0.1'] }));
    expect((await behindProxy.get('/pay', { 'x-forwarded-proto': 'https' })).status).toBe(200);
    const spoofed = await start(config('reject'));
    expect((await spoofed.get('/pay', { 'x-forwarded-proto': 'https' })).status).toBe(403);
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
