import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBearerValidator } from '../../src/auth/oauth/index';
import {
  decodeBasic,
  type FakeServer,
  makeKey,
  NOW,
  NOW_S,
  sign,
  spyLogger,
  startServer,
  type TestKey,
} from './fixtures';

const CONSUMER_KEY = '3MVG9-consumer-key';
const CONSUMER_SECRET = 'consumer-secret';
// Salesforce opaque access tokens contain `!`, outside RFC 6750's b64token alphabet.
const OPAQUE = '00Dxx0000001gPL!AR8AQOpaqueTokenValue';

let server: FakeServer;
let key: TestKey;

beforeAll(async () => {
  key = await makeKey('RS256', 'sf-1');
  server = await startServer(({ method, url, headers, body }) => {
    if (url.pathname === '/id/keys' && method === 'GET') return { json: { keys: [key.jwk] } };
    if (url.pathname !== '/services/oauth2/introspect' || method !== 'POST') return { status: 404, json: {} };
    const credentials = decodeBasic(headers.authorization);
    if (credentials?.id !== CONSUMER_KEY || credentials.secret !== CONSUMER_SECRET) {
      return { status: 401, json: { error: 'invalid_client' } };
    }
    if (new URLSearchParams(body).get('token') !== OPAQUE) return { json: { active: false } };
    return {
      json: {
        active: true,
        scope: 'api refresh_token',
        client_id: CONSUMER_KEY,
        sub: 'https://login/id/00D/005',
        exp: NOW_S + 900,
      },
    };
  });
});

afterAll(() => server.close());

const deps = () => ({ now: () => NOW, logger: spyLogger(), timeoutMs: 1000 });

describe('Salesforce introspection mode', () => {
  const validator = () =>
    createBearerValidator(
      {
        kind: 'salesforce',
        mode: 'introspection',
        loginUrl: `${server.base}/`,
        clientId: CONSUMER_KEY,
        clientSecret: CONSUMER_SECRET,
        requiredScopes: ['api'],
      },
      deps(),
    );

  it('introspects opaque tokens at <loginUrl>/services/oauth2/introspect', async () => {
    const v = validator();
    const before = server.count('/services/oauth2/introspect');
    const result = await v.validate(OPAQUE);
    expect(result.ok && result.principal).toMatchObject({
      subject: 'https://login/id/00D/005',
      scopes: ['api', 'refresh_token'],
    });
    expect((await v.validate(OPAQUE)).ok).toBe(true);
    expect(server.count('/services/oauth2/introspect') - before).toBe(1);
    expect(await v.validate('00Dxx!revoked')).toMatchObject({
      error: 'invalid_token',
      description: 'The access token is not active',
    });
  });

  it('requires the connected app secret at creation', () => {
    expect(() => createBearerValidator({ kind: 'salesforce', mode: 'introspection', clientId: CONSUMER_KEY })).toThrow(
      /Salesforce introspection needs the connected app `clientSecret`/,
    );
    expect(() => createBearerValidator({ kind: 'salesforce', mode: 'jwt', clientId: CONSUMER_KEY })).not.toThrow();
  });
});

describe('Salesforce JWT mode', () => {
  const claims = (overrides: Record<string, unknown> = {}) => ({
    iss: server.base,
    aud: ['https://org.my.salesforce.test'],
    sub: 'https://login/id/00D/005',
    client_id: CONSUMER_KEY,
    scp: ['api', 'web'],
    iat: NOW_S - 5,
    exp: NOW_S + 900,
    ...overrides,
  });
  const validator = () =>
    createBearerValidator(
      { kind: 'salesforce', mode: 'jwt', loginUrl: server.base, clientId: CONSUMER_KEY, requiredScopes: ['api'] },
      deps(),
    );

  it('verifies JWT access tokens with <loginUrl>/id/keys and issuer loginUrl', async () => {
    const result = await validator().validate(await sign(key, claims()));
    expect(result.ok && result.principal).toMatchObject({
      subject: 'https://login/id/00D/005',
      scopes: ['api', 'web'],
    });
    expect(server.count('/id/keys')).toBeGreaterThan(0);
  });

  it('rejects tokens of another connected app or issuer', async () => {
    const v = validator();
    expect(await v.validate(await sign(key, claims({ client_id: 'another-app' })))).toMatchObject({
      error: 'invalid_token',
      description: 'The access token is not intended for this audience',
    });
    expect(await v.validate(await sign(key, claims({ iss: 'https://login.salesforce.com' })))).toMatchObject({
      error: 'invalid_token',
      description: 'The access token was not issued by a trusted issuer',
    });
    expect(await v.validate(await sign(key, claims({ scp: ['web'] })))).toMatchObject({ error: 'insufficient_scope' });
  });
});
