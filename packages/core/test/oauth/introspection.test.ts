import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BearerValidatorDeps } from '../../src/auth/oauth/index';
import { createBearerValidator } from '../../src/auth/oauth/index';
import { deadEndpoint, decodeBasic, type FakeServer, NOW, NOW_S, type Reply, spyLogger, startServer } from './fixtures';

const CLIENT_ID = 'gateway client';
// A colon and form-special characters prove the RFC 6749 2.3.1 encoding of Basic credentials.
const CLIENT_SECRET = 'p@ss:w+rd/ü';
const ISSUER = 'https://as.example.test';

const answers: Record<string, Reply | (() => Reply | Promise<Reply>)> = {
  'active-token': {
    json: {
      active: true,
      sub: 'user-1',
      scope: 'read write',
      exp: NOW_S + 60,
      iss: ISSUER,
      aud: 'api',
      client_id: 'c',
    },
  },
  'no-exp-token': { json: { active: true, sub: 'user-2', scope: 'read' } },
  'inactive-token': { json: { active: false } },
  'slow-token': () =>
    new Promise((resolve) => setTimeout(() => resolve({ json: { active: true, sub: 's', scope: 'read' } }), 50)),
  'hang-token': 'hang',
  'garbage-token': { text: 'this is not json' },
  'array-token': { json: [true] },
  'no-active-token': { json: { sub: 'x' } },
  'boom-token': { status: 502, text: 'bad gateway' },
  'huge-token': { json: { active: true, padding: 'x'.repeat(100_000) } },
  'other-issuer-token': { json: { active: true, iss: 'https://evil.example.test', aud: 'api' } },
  'other-audience-token': { json: { active: true, iss: ISSUER, aud: 'other-api' } },
};

let server: FakeServer;

beforeAll(async () => {
  server = await startServer(async ({ method, url, headers, body }) => {
    if (method !== 'POST' || url.pathname !== '/introspect') return { status: 404, json: {} };
    const credentials = decodeBasic(headers.authorization);
    if (credentials?.id !== CLIENT_ID || credentials.secret !== CLIENT_SECRET) {
      return { status: 401, json: { error: 'invalid_client' } };
    }
    if (headers['content-type'] !== 'application/x-www-form-urlencoded') return { status: 400, json: {} };
    const form = new URLSearchParams(body);
    if (form.get('token_type_hint') !== 'access_token') return { status: 400, json: {} };
    const answer = answers[form.get('token') ?? ''] ?? { json: { active: false } };
    return typeof answer === 'function' ? answer() : answer;
  });
});

afterAll(() => server.close());

function validator(deps: BearerValidatorDeps = {}, overrides: { clientSecret?: string; url?: string } = {}) {
  return createBearerValidator(
    {
      kind: 'introspection',
      introspectionUrl: overrides.url ?? `${server.base}/introspect`,
      clientId: CLIENT_ID,
      clientSecret: overrides.clientSecret ?? CLIENT_SECRET,
      requiredScopes: ['read'],
    },
    { now: () => NOW, logger: spyLogger(), timeoutMs: 1000, ...deps },
  );
}

/** Introspection calls made while `run` ran. */
async function callsDuring(run: () => Promise<unknown>): Promise<number> {
  const before = server.count('/introspect');
  await run();
  return server.count('/introspect') - before;
}

describe('RFC 7662 introspection', () => {
  it('accepts an active token and serves the second validation from cache', async () => {
    const v = validator();
    const calls = await callsDuring(async () => {
      const first = await v.validate('active-token');
      expect(first.ok).toBe(true);
      if (!first.ok) return;
      expect(first.principal).toMatchObject({
        subject: 'user-1',
        scopes: ['read', 'write'],
        expiresAt: (NOW_S + 60) * 1000,
      });
      expect(first.principal.claims).toMatchObject({ client_id: 'c', iss: ISSUER });
      expect(await v.validate('active-token')).toEqual(first);
    });
    expect(calls).toBe(1);
  });

  it('rejects an inactive token and caches the rejection for 30 s', async () => {
    let now = NOW;
    const v = validator({ now: () => now });
    const rejection = { ok: false, error: 'invalid_token', description: 'The access token is not active' };
    expect(await callsDuring(async () => expect(await v.validate('inactive-token')).toEqual(rejection))).toBe(1);
    now += 29_000;
    expect(await callsDuring(async () => expect(await v.validate('inactive-token')).toEqual(rejection))).toBe(0);
    now += 2000;
    expect(await callsDuring(() => v.validate('inactive-token'))).toBe(1);
  });

  it('is unavailable with wrong client credentials, logging once without token or secret', async () => {
    const logger = spyLogger();
    const wrongSecret = 'definitely-wrong-secret';
    const v = validator({ logger }, { clientSecret: wrongSecret });
    const result = await v.validate('active-token');
    expect(result).toMatchObject({
      ok: false,
      error: 'unavailable',
      description: 'The authorization server is unavailable',
    });
    // Not cached: our credentials being wrong says nothing about the token.
    expect(await callsDuring(() => v.validate('active-token'))).toBe(1);
    expect(logger.error).toHaveBeenCalledTimes(1);
    const logged = JSON.stringify(logger.error.mock.calls);
    expect(logged).toContain('client credentials');
    const cause = 'cause' in result ? result.cause : undefined;
    const causeText = cause instanceof Error ? `${cause.message} ${String(cause.cause)}` : String(cause);
    for (const secret of [wrongSecret, CLIENT_SECRET, 'active-token']) {
      expect(logged).not.toContain(secret);
      expect(JSON.stringify(result)).not.toContain(secret);
      expect(causeText).not.toContain(secret);
    }
  });

  it('makes one call for 20 concurrent validations of the same token', async () => {
    const v = validator();
    const calls = await callsDuring(async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => v.validate('slow-token')));
      expect(results.every((result) => result.ok && result.principal.subject === 's')).toBe(true);
    });
    expect(calls).toBe(1);
  });

  it('keeps a positive answer until `exp` and asks again afterwards', async () => {
    let now = NOW;
    const v = validator({ now: () => now });
    expect(await callsDuring(() => v.validate('active-token'))).toBe(1);
    now = NOW + 59_999;
    expect(await callsDuring(async () => expect((await v.validate('active-token')).ok).toBe(true))).toBe(0);
    now = NOW + 60_000;
    const calls = await callsDuring(async () =>
      expect(await v.validate('active-token')).toMatchObject({
        error: 'invalid_token',
        description: 'The access token expired',
      }),
    );
    expect(calls).toBe(1);
  });

  it('keeps a positive answer without `exp` for 5 minutes', async () => {
    let now = NOW;
    const v = validator({ now: () => now });
    expect(await callsDuring(() => v.validate('no-exp-token'))).toBe(1);
    now = NOW + 299_000;
    expect(await callsDuring(() => v.validate('no-exp-token'))).toBe(0);
    now = NOW + 301_000;
    expect(await callsDuring(() => v.validate('no-exp-token'))).toBe(1);
  });

  it('gives up on a slow server within the timeout', async () => {
    const v = validator({ timeoutMs: 200 });
    const started = performance.now();
    const result = await v.validate('hang-token');
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ ok: false, error: 'unavailable' });
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(200 + 400);
  });

  it('is unavailable on garbage, non-objects, a missing `active`, 5xx, oversized bodies and no server', async () => {
    const v = validator();
    for (const token of ['garbage-token', 'array-token', 'no-active-token', 'boom-token', 'huge-token']) {
      expect(await v.validate(token), token).toMatchObject({ ok: false, error: 'unavailable' });
    }
    // Never cached: the next request asks again.
    expect(await callsDuring(() => v.validate('boom-token'))).toBe(1);
    const dead = validator({}, { url: `${await deadEndpoint()}/introspect` });
    expect(await dead.validate('active-token')).toMatchObject({ ok: false, error: 'unavailable' });
  });

  it('checks issuer and audience of the response when configured', async () => {
    const v = createBearerValidator(
      {
        kind: 'introspection',
        introspectionUrl: `${server.base}/introspect`,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        issuer: ISSUER,
        audience: ['api'],
      },
      { now: () => NOW, logger: spyLogger() },
    );
    expect((await v.validate('active-token')).ok).toBe(true);
    expect(await v.validate('other-issuer-token')).toMatchObject({ error: 'invalid_token' });
    expect(await v.validate('other-audience-token')).toMatchObject({
      error: 'invalid_token',
      description: 'The access token is not intended for this audience',
    });
  });

  it('rejects malformed tokens without calling the server', async () => {
    const v = validator();
    expect(
      await callsDuring(async () => {
        for (const token of ['', 'has space', 'a"b', 'a\\b', 'tökén', 'x'.repeat(20_000), 'tok\r\nen']) {
          expect(await v.validate(token)).toMatchObject({
            error: 'invalid_token',
            description: 'The access token is malformed',
          });
        }
      }),
    ).toBe(0);
  });
});

describe('token lookups under load', () => {
  it('bounds lookups under way, answering unavailable past the bound', async () => {
    const { TokenVerdictCache } = await import('../../src/auth/oauth/token-cache');
    const releases: (() => void)[] = [];
    let calls = 0;
    const cache = new TokenVerdictCache(
      () => {
        calls++;
        return new Promise((resolve) =>
          releases.push(() => resolve({ ok: false, error: 'invalid_token', description: 'x' })),
        );
      },
      () => 0,
      { maxInFlight: 3 },
    );
    const results = Promise.all(Array.from({ length: 5 }, (_, i) => cache.get(`token-${i}`)));
    expect(calls).toBe(3);
    for (const release of releases) release();
    const verdicts = await results;
    expect(verdicts.map((v) => (v.ok ? 'ok' : v.error))).toEqual([
      'invalid_token',
      'invalid_token',
      'invalid_token',
      'unavailable',
      'unavailable',
    ]);
  });
});
