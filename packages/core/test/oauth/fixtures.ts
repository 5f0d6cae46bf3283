import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { type Mock, vi } from 'vitest';
import { close, listen } from '../../../../tools/test-utils/http-client';
import type { Logger, LogMethod } from '../../src/telemetry/logger';

/** A fixed "now" for token times: 2030-03-17T17:46:40Z. */
export const NOW = 1_900_000_000_000;
/** NOW in JWT NumericDate seconds. */
export const NOW_S = NOW / 1000;

/** A request as the fake server saw it. */
export interface SeenRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What a fake endpoint answers; `hang` never answers (the connection is closed with the server). */
export type Reply = { status?: number; json?: unknown; text?: string } | 'hang';

/** A real HTTP server on 127.0.0.1:0 whose answers come from `route`. */
export interface FakeServer {
  readonly base: string;
  readonly requests: SeenRequest[];
  /** Requests seen for one path. */
  count(path: string): number;
  close(): Promise<void>;
}

/**
 * Starts a fake authorization server.
 * @param route - answers each request
 */
export async function startServer(route: (request: SeenRequest) => Reply | Promise<Reply>): Promise<FakeServer> {
  const requests: SeenRequest[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const seen: SeenRequest = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', base),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(seen);
      const reply = await route(seen);
      if (reply === 'hang') return;
      const body = reply.text ?? JSON.stringify(reply.json ?? {});
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  const address = await listen(server);
  base = `http://${address.host}:${address.port}`;
  return {
    base,
    requests,
    count: (path) => requests.filter((request) => request.url.pathname === path).length,
    close: () => close(server),
  };
}

/** A base URL where nothing listens (a port that was just freed). */
export async function deadEndpoint(): Promise<string> {
  const server = await startServer(() => ({ json: {} }));
  await server.close();
  return server.base;
}

/** A signing key with its public JWK. */
export interface TestKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

/**
 * Generates a key pair for `alg` and its public JWK with `kid` and `alg` set.
 * @param alg - RS256, ES256, …
 * @param kid - key id
 */
export async function makeKey(alg: string, kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicKey, jwk };
}

/**
 * Signs a JWT with `key`.
 * @param key - the signing key
 * @param claims - the payload
 */
export function sign(key: TestKey, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
}

/** A logger whose methods are spies. */
export function spyLogger(): Logger & { error: Mock<LogMethod> } {
  return { debug: vi.fn<LogMethod>(), info: vi.fn<LogMethod>(), warn: vi.fn<LogMethod>(), error: vi.fn<LogMethod>() };
}

/**
 * Decodes an RFC 6749 2.3.1 Basic header (form-encoded id and secret), or `undefined`.
 * @param header - the Authorization header
 */
export function decodeBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (header === undefined || !header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}
