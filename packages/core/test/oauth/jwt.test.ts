import { base64url, exportSPKI, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BearerResult } from '../../src/auth/oauth/index';
import { createBearerValidator } from '../../src/auth/oauth/index';
import {
  deadEndpoint,
  type FakeServer,
  makeKey,
  NOW,
  NOW_S,
  sign,
  spyLogger,
  startServer,
  type TestKey,
} from './fixtures';

const AUDIENCE = 'https://api.example.test';
let issuer: FakeServer;
let jwks: JWK[] = [];
let jwksReply: 'ok' | 'error' | 'garbage' = 'ok';
let discoveryReply: 'ok' | 'error' | 'other-issuer' = 'ok';
let rsa: TestKey;
let ec: TestKey;
let spare: TestKey;

beforeAll(async () => {
  [rsa, ec, spare] = await Promise.all([
    makeKey('RS256', 'rsa-1'),
    makeKey('ES256', 'ec-1'),
    makeKey('RS256', 'spare'),
  ]);
  jwks = [rsa.jwk, ec.jwk];
  issuer = await startServer(({ url }) => {
    if (url.pathname === '/jwks') {
      if (jwksReply === 'error') return { status: 500, json: { error: 'boom' } };
      if (jwksReply === 'garbage') return { text: '<html>' };
      return { json: { keys: jwks } };
    }
    if (url.pathname === '/jwks-without-kids') {
      const withoutKid = (jwk: JWK) => ({ ...jwk, kid: undefined });
      return { json: { keys: [withoutKid(ec.jwk), withoutKid(spare.jwk), withoutKid(rsa.jwk)] } };
    }
    if (url.pathname === '/.well-known/openid-configuration') {
      if (discoveryReply === 'error') return { status: 503, text: 'down' };
      const iss = discoveryReply === 'other-issuer' ? 'https://evil.example.test' : issuer.base;
      return {
        json: { issuer: iss, jwks_uri: `${issuer.base}/jwks`, id_token_signing_alg_values_supported: ['RS256'] },
      };
    }
    return { status: 404, json: {} };
  });
});

afterAll(() => issuer.close());

function claims(overrides: Record<string, unknown> = {}) {
  return { iss: issuer.base, aud: AUDIENCE, sub: 'user-1', iat: NOW_S - 10, exp: NOW_S + 300, ...overrides };
}

function jwtValidator(options: { requiredScopes?: string[]; clockToleranceSeconds?: number; jwksUri?: string } = {}) {
  return createBearerValidator(
    {
      kind: 'jwt',
      issuer: issuer.base,
      jwksUri: options.jwksUri ?? `${issuer.base}/jwks`,
      audience: AUDIENCE,
      requiredScopes: options.requiredScopes,
      clockToleranceSeconds: options.clockToleranceSeconds,
    },
    { now: () => NOW, logger: spyLogger(), timeoutMs: 1000 },
  );
}

function expectInvalid(result: BearerResult, description: string) {
  expect(result).toEqual({ ok: false, error: 'invalid_token', description });
}

describe('JWT bearer tokens', () => {
  it('accepts a valid RS256 token and exposes claims and `scope` scopes', async () => {
    const token = await sign(rsa, claims({ scope: 'read write', tenant: 't-1' }));
    const result = await jwtValidator().validate(token);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.principal).toMatchObject({
      subject: 'user-1',
      scopes: ['read', 'write'],
      expiresAt: (NOW_S + 300) * 1000,
    });
    expect(result.principal.claims).toMatchObject({ tenant: 't-1', iss: issuer.base, aud: AUDIENCE });
    expect(Object.isFrozen(result.principal.claims)).toBe(true);
  });

  it('accepts ES256 and reads `scp` as an array or a string', async () => {
    const validator = jwtValidator({ requiredScopes: ['orders:read'] });
    const asArray = await validator.validate(await sign(ec, claims({ scp: ['orders:read', 'orders:write'] })));
    expect(asArray.ok && asArray.principal.scopes).toEqual(['orders:read', 'orders:write']);
    const asString = await validator.validate(await sign(ec, claims({ scp: 'orders:read' })));
    expect(asString.ok && asString.principal.scopes).toEqual(['orders:read']);
  });

  it('fetches the JWKS once for concurrent first validations and then serves from cache', async () => {
    const before = issuer.count('/jwks');
    const validator = jwtValidator();
    const token = await sign(rsa, claims());
    const results = await Promise.all(Array.from({ length: 10 }, () => validator.validate(token)));
    expect(results.every((result) => result.ok)).toBe(true);
    await validator.validate(token);
    expect(issuer.count('/jwks') - before).toBe(1);
  });

  it('picks up a rotated key after a refetch, respecting the refetch cooldown', async () => {
    const validator = jwtValidator();
    const realNow = Date.now.bind(Date);
    const before = issuer.count('/jwks');
    expect((await validator.validate(await sign(rsa, claims()))).ok).toBe(true);
    const rotated = await makeKey('RS256', 'rsa-2');
    jwks = [rsa.jwk, ec.jwk, rotated.jwk];
    try {
      const token = await sign(rotated, claims());
      // Within jose's 30 s cooldown an unknown kid does not trigger a fetch.
      expectInvalid(await validator.validate(token), 'The access token is signed with an unknown key');
      expect(issuer.count('/jwks') - before).toBe(1);
      vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 31_000);
      expect((await validator.validate(token)).ok).toBe(true);
      expect(issuer.count('/jwks') - before).toBe(2);
    } finally {
      jwks = [rsa.jwk, ec.jwk];
    }
  });

  it('rejects expired tokens, unless within the configured clock tolerance', async () => {
    const token = await sign(rsa, claims({ exp: NOW_S - 5 }));
    expectInvalid(await jwtValidator().validate(token), 'The access token expired');
    expect((await jwtValidator({ clockToleranceSeconds: 10 }).validate(token)).ok).toBe(true);
  });

  it('rejects tokens that are not yet valid', async () => {
    const token = await sign(rsa, claims({ nbf: NOW_S + 60 }));
    expectInvalid(await jwtValidator().validate(token), 'The access token is not yet valid');
  });

  it('rejects a wrong audience and a wrong issuer', async () => {
    const validator = jwtValidator();
    expectInvalid(
      await validator.validate(await sign(rsa, claims({ aud: 'https://other.example.test' }))),
      'The access token is not intended for this audience',
    );
    expectInvalid(
      await validator.validate(await sign(rsa, claims({ iss: 'https://evil.example.test' }))),
      'The access token was not issued by a trusted issuer',
    );
  });

  it('rejects an unsigned `alg: none` token', async () => {
    const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
    const token = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims())}.`;
    expectInvalid(
      await jwtValidator().validate(token),
      'The access token is signed with an algorithm that is not allowed',
    );
  });

  it('rejects HS256 signed with the RSA public key as HMAC secret (key confusion)', async () => {
    const secret = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: rsa.kid }).sign(secret);
    expectInvalid(
      await jwtValidator().validate(token),
      'The access token is signed with an algorithm that is not allowed',
    );
  });

  it('rejects a forged signature and malformed tokens', async () => {
    const token = await sign(rsa, claims());
    const [header, , signature] = token.split('.');
    const forged = `${header}.${base64url.encode(JSON.stringify(claims({ sub: 'admin' })))}.${signature}`;
    const validator = jwtValidator();
    expectInvalid(await validator.validate(forged), 'The access token signature is invalid');
    expectInvalid(await validator.validate('not a token'), 'The access token is malformed');
    expectInvalid(await validator.validate(''), 'The access token is malformed');
    expectInvalid(await validator.validate('abc.def'), 'The access token is invalid');
  });

  it('tries each candidate key when a token without `kid` matches several', async () => {
    const validator = jwtValidator({ jwksUri: `${issuer.base}/jwks-without-kids` });
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(rsa.privateKey);
    expect((await validator.validate(token)).ok).toBe(true);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${base64url.encode(JSON.stringify(claims({ sub: 'admin' })))}.${signature}`;
    expectInvalid(await validator.validate(forged), 'The access token signature is invalid');
  });

  it('never rejects, even when called with a non-string', async () => {
    await expect(jwtValidator().validate(undefined as unknown as string)).resolves.toMatchObject({
      error: 'invalid_token',
    });
  });

  it('answers insufficient_scope naming the missing scopes', async () => {
    const token = await sign(rsa, claims({ scope: 'read' }));
    expect(await jwtValidator({ requiredScopes: ['read', 'admin', 'audit'] }).validate(token)).toEqual({
      ok: false,
      error: 'insufficient_scope',
      description: 'The access token lacks the required scopes: admin audit',
    });
  });

  it('is unavailable when the JWKS endpoint is down, failing or answering garbage', async () => {
    const token = await sign(rsa, claims());
    const down = await jwtValidator({ jwksUri: `${await deadEndpoint()}/jwks` }).validate(token);
    expect(down).toMatchObject({
      ok: false,
      error: 'unavailable',
      description: 'The authorization server is unavailable',
    });
    for (const mode of ['error', 'garbage'] as const) {
      jwksReply = mode;
      try {
        expect(await jwtValidator().validate(token)).toMatchObject({ ok: false, error: 'unavailable' });
      } finally {
        jwksReply = 'ok';
      }
    }
  });

  it('logs JWKS failures without the token', async () => {
    const logger = spyLogger();
    const token = await sign(rsa, claims());
    const validator = createBearerValidator(
      { kind: 'jwt', issuer: issuer.base, jwksUri: `${await deadEndpoint()}/jwks` },
      { now: () => NOW, logger },
    );
    await validator.validate(token);
    await validator.validate(token);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(logger.error.mock.calls)).not.toContain(token.slice(-20));
  });

  it('refuses `none`, HMAC and unknown algorithms at creation', () => {
    const base = { kind: 'jwt' as const, issuer: 'https://issuer.test', jwksUri: 'https://issuer.test/jwks' };
    expect(() => createBearerValidator({ ...base, algorithms: ['HS256'] })).toThrow(/HS256.*not allowed/);
    expect(() => createBearerValidator({ ...base, algorithms: ['RS256', 'none'] })).toThrow(/"none" is not allowed/);
    expect(() => createBearerValidator({ ...base, algorithms: ['hs512'] })).toThrow(/not allowed/);
    expect(() => createBearerValidator({ ...base, algorithms: [] })).toThrow(/non-empty/);
    expect(() => createBearerValidator({ ...base, algorithms: ['RS1'] })).toThrow(/unknown JWS algorithm/);
    expect(() => createBearerValidator({ ...base, jwksUri: 'ftp://issuer.test/jwks' })).toThrow(/jwksUri/);
    expect(() => createBearerValidator({ ...base, requiredScopes: ['two words'] })).toThrow(/requiredScopes/);
    expect(() => createBearerValidator(base, { timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});

describe('OIDC discovery', () => {
  function oidcValidator(now: () => number = () => NOW) {
    return createBearerValidator(
      { kind: 'oidc', issuer: issuer.base, audience: AUDIENCE, requiredScopes: ['read'] },
      { now, logger: spyLogger(), timeoutMs: 1000 },
    );
  }

  it('reads jwks_uri from the discovery document once, shared by concurrent validations', async () => {
    const before = issuer.count('/.well-known/openid-configuration');
    const validator = oidcValidator();
    const token = await sign(rsa, claims({ scope: 'read' }));
    const results = await Promise.all(Array.from({ length: 5 }, () => validator.validate(token)));
    expect(results.every((result) => result.ok)).toBe(true);
    expect((await validator.validate(token)).ok).toBe(true);
    expect(issuer.count('/.well-known/openid-configuration') - before).toBe(1);
  });

  it('refuses a discovery document naming another issuer', async () => {
    discoveryReply = 'other-issuer';
    try {
      const result = await oidcValidator().validate(await sign(rsa, claims({ scope: 'read' })));
      expect(result).toMatchObject({ ok: false, error: 'unavailable' });
    } finally {
      discoveryReply = 'ok';
    }
  });

  it('retries a failed discovery only after the cooldown', async () => {
    let now = NOW;
    const validator = oidcValidator(() => now);
    const token = await sign(rsa, claims({ scope: 'read' }));
    const before = issuer.count('/.well-known/openid-configuration');
    discoveryReply = 'error';
    try {
      expect(await validator.validate(token)).toMatchObject({ ok: false, error: 'unavailable' });
      discoveryReply = 'ok';
      expect(await validator.validate(token)).toMatchObject({ ok: false, error: 'unavailable' });
      expect(issuer.count('/.well-known/openid-configuration') - before).toBe(1);
      now += 10_001;
      expect((await validator.validate(token)).ok).toBe(true);
      expect(issuer.count('/.well-known/openid-configuration') - before).toBe(2);
    } finally {
      discoveryReply = 'ok';
    }
  });

  it('builds the default discovery URL from an issuer with a trailing slash', async () => {
    // The configured issuer keeps its slash (it must match the document and `iss` exactly).
    const slashed = `${issuer.base}/`;
    const validator = createBearerValidator({ kind: 'oidc', issuer: slashed }, { now: () => NOW, logger: spyLogger() });
    const result = await validator.validate(await sign(rsa, claims({ iss: slashed })));
    // Our fake names the issuer without the slash, so discovery is reached but refused as a mismatch.
    expect(result).toMatchObject({ ok: false, error: 'unavailable' });
    expect(issuer.requests.at(-1)?.url.pathname).toBe('/.well-known/openid-configuration');
  });
});
