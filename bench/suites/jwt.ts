import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createBearerValidator } from '../../packages/core/src/auth/oauth/index';
import { close, listen } from '../../tools/test-utils/http-client';
import { microbench } from '../microbench';
import type { BenchSuite } from '../suite';

const AUDIENCE = 'https://api.bench.test';

async function keyPair(alg: 'RS256' | 'ES256', kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/**
 * Cost of `validate()` per request once keys and answers are cached: local RS256 and ES256 JWT
 * verification against a warmed remote JWKS, and an introspection answer served from cache.
 */
async function run(): Promise<string> {
  const [rsa, ec] = await Promise.all([keyPair('RS256', 'bench-rsa'), keyPair('ES256', 'bench-ec')]);
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/jwks') {
      res.end(JSON.stringify({ keys: [rsa.jwk, ec.jwk] }));
      return;
    }
    // Fake RFC 7662 endpoint: every token is active for an hour.
    req.resume();
    req.on('end', () =>
      res.end(JSON.stringify({ active: true, sub: 'bench', scope: 'read', exp: Math.floor(Date.now() / 1000) + 3600 })),
    );
  });
  const { host, port } = await listen(server);
  const base = `http://${host}:${port}`;
  try {
    const jwt = createBearerValidator({ kind: 'jwt', issuer: base, jwksUri: `${base}/jwks`, audience: AUDIENCE });
    const introspection = createBearerValidator({
      kind: 'introspection',
      introspectionUrl: `${base}/introspect`,
      clientId: 'bench',
      clientSecret: 'bench-secret',
    });
    const claims = { iss: base, aud: AUDIENCE, sub: 'bench', scope: 'read write' };
    const sign = (key: typeof rsa) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: key.alg, kid: key.kid })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(key.privateKey);
    const [rsToken, esToken] = await Promise.all([sign(rsa), sign(ec)]);
    const opaque = 'bench-opaque-access-token-0123456789';
    // Warm the JWKS cache and the introspection cache; fail loudly rather than measure error paths.
    for (const [validator, token] of [
      [jwt, rsToken],
      [jwt, esToken],
      [introspection, opaque],
    ] as const) {
      const result = await validator.validate(token);
      if (!result.ok) throw new Error(`bench warm-up failed: ${result.error}`);
    }
    const table = await microbench([
      { name: 'validate RS256 JWT (2048-bit key, JWKS cached)', fn: () => jwt.validate(rsToken) },
      { name: 'validate ES256 JWT (P-256, JWKS cached)', fn: () => jwt.validate(esToken) },
      { name: 'validate opaque token (introspection cache hit)', fn: () => introspection.validate(opaque) },
    ]);
    return `${table}\n\nSetup: one \`createBearerValidator\` of kind \`jwt\` against a local JWKS on 127.0.0.1 (fetched once before measuring), tokens signed with jose; the introspection row is a cache hit (HMAC-SHA256 of the token + LRU lookup) after one call to a local fake RFC 7662 endpoint. Each row includes signature, issuer, audience and expiry checks.`;
  } finally {
    await close(server);
  }
}

/** JWT verification and cached introspection cost per request. */
export const jwtSuite: BenchSuite = { id: 'jwt', title: 'JWT verification', run };
