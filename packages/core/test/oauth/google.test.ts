import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBearerValidator } from '../../src/auth/oauth/index';
import {
  type FakeServer,
  makeKey,
  NOW,
  NOW_S,
  type Reply,
  sign,
  spyLogger,
  startServer,
  type TestKey,
} from './fixtures';

const CLIENT_ID = '1234-abc.apps.googleusercontent.com';
const future = String(NOW_S + 3600);

const tokenInfo: Record<string, Reply> = {
  'ya29.aud-match': {
    json: { aud: CLIENT_ID, azp: 'other', sub: '1001', scope: 'openid email', exp: future, expires_in: '3599' },
  },
  'ya29.azp-match': { json: { aud: 'other-aud', azp: CLIENT_ID, sub: '1002', scope: 'email', expires_in: 120 } },
  'ya29.wrong-aud': {
    json: { aud: 'someone-else', azp: 'someone-else', sub: '1003', exp: future, expires_in: '3599' },
  },
  'ya29.expired': { json: { aud: CLIENT_ID, sub: '1004', exp: String(NOW_S - 5), expires_in: '0' } },
  'ya29.no-expiry': { json: { aud: CLIENT_ID, sub: '1005' } },
  'ya29.boom': { status: 503, text: 'unavailable' },
};

let server: FakeServer;
let key: TestKey;
let otherKey: TestKey;

beforeAll(async () => {
  [key, otherKey] = await Promise.all([makeKey('RS256', 'g-1'), makeKey('ES256', 'g-es')]);
  server = await startServer(({ method, url }) => {
    if (url.pathname === '/oauth2/v3/certs') return { json: { keys: [key.jwk, otherKey.jwk] } };
    if (url.pathname !== '/tokeninfo' || method !== 'GET') return { status: 404, json: {} };
    return (
      tokenInfo[url.searchParams.get('access_token') ?? ''] ?? {
        status: 400,
        json: { error_description: 'Invalid Value' },
      }
    );
  });
});

afterAll(() => server.close());

function google(options: { issuer?: string; requiredScopes?: string[] } = {}) {
  return createBearerValidator(
    {
      kind: 'google',
      clientId: CLIENT_ID,
      tokenInfoUrl: `${server.base}/tokeninfo`,
      jwksUri: `${server.base}/oauth2/v3/certs`,
      ...options,
    },
    { now: () => NOW, logger: spyLogger(), timeoutMs: 1000 },
  );
}

describe('Google access tokens (tokeninfo)', () => {
  it('accepts a token whose `aud` is our client id, once per token', async () => {
    const v = google({ requiredScopes: ['email'] });
    const before = server.count('/tokeninfo');
    const result = await v.validate('ya29.aud-match');
    expect(result.ok && result.principal).toMatchObject({
      subject: '1001',
      scopes: ['openid', 'email'],
      expiresAt: (NOW_S + 3600) * 1000,
    });
    expect((await v.validate('ya29.aud-match')).ok).toBe(true);
    expect(server.count('/tokeninfo') - before).toBe(1);
    expect(server.requests.at(-1)?.url.searchParams.get('access_token')).toBe('ya29.aud-match');
  });

  it('accepts a token whose `azp` is our client id, expiring from `expires_in`', async () => {
    const result = await google().validate('ya29.azp-match');
    expect(result.ok && result.principal).toMatchObject({ subject: '1002', expiresAt: NOW + 120_000 });
  });

  it('rejects tokens for another client, expired tokens, tokens without expiry and unknown tokens', async () => {
    const v = google();
    expect(await v.validate('ya29.wrong-aud')).toEqual({
      ok: false,
      error: 'invalid_token',
      description: 'The access token is not intended for this audience',
    });
    expect(await v.validate('ya29.expired')).toMatchObject({
      error: 'invalid_token',
      description: 'The access token expired',
    });
    expect(await v.validate('ya29.no-expiry')).toMatchObject({ error: 'invalid_token' });
    expect(await v.validate('ya29.unknown')).toMatchObject({
      error: 'invalid_token',
      description: 'The access token is invalid',
    });
  });

  it('is unavailable when tokeninfo fails, and checks required scopes', async () => {
    expect(await google().validate('ya29.boom')).toMatchObject({ ok: false, error: 'unavailable' });
    expect(await google({ requiredScopes: ['drive'] }).validate('ya29.aud-match')).toMatchObject({
      error: 'insufficient_scope',
      description: 'The access token lacks the required scope: drive',
    });
  });
});

describe('Google ID tokens (JWT)', () => {
  const idClaims = (overrides: Record<string, unknown> = {}) => ({
    iss: 'https://accounts.google.com',
    aud: CLIENT_ID,
    azp: CLIENT_ID,
    sub: '1001',
    email: 'user@example.test',
    iat: NOW_S - 60,
    exp: NOW_S + 3000,
    ...overrides,
  });

  it('verifies ID tokens locally with both Google issuer spellings', async () => {
    const v = google();
    const before = server.count('/tokeninfo');
    const result = await v.validate(await sign(key, idClaims()));
    expect(result.ok && result.principal).toMatchObject({ subject: '1001', claims: { email: 'user@example.test' } });
    expect((await v.validate(await sign(key, idClaims({ iss: 'accounts.google.com' })))).ok).toBe(true);
    expect(server.count('/tokeninfo') - before).toBe(0);
  });

  it('rejects ID tokens for another audience, issuer or algorithm', async () => {
    const v = google();
    expect(await v.validate(await sign(key, idClaims({ aud: 'other-client' })))).toMatchObject({
      error: 'invalid_token',
    });
    expect(await v.validate(await sign(key, idClaims({ iss: 'https://evil.example.test' })))).toMatchObject({
      error: 'invalid_token',
    });
    // Google signs with RS256 only.
    expect(await v.validate(await sign(otherKey, idClaims()))).toMatchObject({ error: 'invalid_token' });
  });

  it('uses an overridden issuer instead of Google', async () => {
    const v = google({ issuer: server.base });
    expect((await v.validate(await sign(key, idClaims({ iss: server.base })))).ok).toBe(true);
    expect(await v.validate(await sign(key, idClaims()))).toMatchObject({ error: 'invalid_token' });
  });
});
