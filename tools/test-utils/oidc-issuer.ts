import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { close, listen } from './http-client';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** A local OpenID Connect issuer on loopback: discovery document, JWKS with rotation, token minting. */
export interface TestIssuer {
  /** `http://127.0.0.1:port`, also the `iss` of its tokens. */
  readonly issuer: string;
  readonly jwksUri: string;
  /** How many times the JWKS was fetched. */
  jwksFetches(): number;
  /**
   * Signs an RS256 access token with the current key.
   * @param claims - claims to add or override (`sub`, `aud`, `scope`, `exp`…)
   */
  mint(claims?: Record<string, unknown>): Promise<string>;
  /** Replaces the signing key with a new one under a new `kid`; the JWKS then lists only the new key. */
  rotate(): Promise<void>;
  /** Makes the JWKS and discovery endpoints answer 503 (true) or work again (false). */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

/**
 * Starts a test issuer on 127.0.0.1 with a free port.
 * @param audience - default `aud` of minted tokens
 */
export async function startTestIssuer(audience = 'sideguard-test'): Promise<TestIssuer> {
  let key: { kid: string; privateKey: SigningKey; jwk: JWK } = await newKey(1);
  let generation = 1;
  let fetches = 0;
  let down = false;
  let issuer = '';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (down) return json(503, { error: 'down' });
    if (req.url === '/.well-known/openid-configuration') return json(200, { issuer, jwks_uri: `${issuer}/jwks` });
    if (req.url === '/jwks') {
      fetches++;
      return json(200, { keys: [key.jwk] });
    }
    return json(404, { error: 'not found' });
  });
  const address = await listen(server);
  issuer = `http://${address.host}:${address.port}`;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    jwksFetches: () => fetches,
    async mint(claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ sub: 'user-1', aud: audience, iss: issuer, iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })
        .sign(key.privateKey);
    },
    async rotate() {
      generation++;
      key = await newKey(generation);
    },
    setDown(value) {
      down = value;
    },
    close: () => close(server),
  };
}

async function newKey(generation: number) {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = `key-${generation}`;
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}
