import type { Agent } from 'node:http';
import type { Logger, SideguardConfigInput } from '@sideguard/core';
import { SecretStore } from '@sideguard/server';
import { type CallResult, call } from '../ase-emulator/helpers';

/** The shared secret most tests send (Ping's documentation example). */
export const secretA = 'secret123';
/** scrypt cost for tests: the minimum, so creating secrets stays fast. */
export const testCost = 10;

/**
 * A store with one secret in use, cheap to hash.
 * @param value - its value
 * @param name - its name
 */
export async function storeWith(value = secretA, name = 'Shared Secret A'): Promise<SecretStore> {
  const store = new SecretStore(undefined, { scryptCost: testCost });
  await store.create(name, value);
  store.add(name);
  return store;
}

/** Basic credentials of the test user `ann`. */
export const annAuth = `Basic ${Buffer.from('ann:pw').toString('base64')}`;

/**
 * A guard config exercising the features the server relies on: a Basic profile (audit identity), a
 * public API, and rules that add `SH-USER: {identity}`, remove `X-App-Id`, deny DELETE and remove
 * `audit` from JSON responses.
 */
export const guardConfig: SideguardConfigInput = {
  environments: { prod: { profiles: { staff: { type: 'basic', users: [{ username: 'ann', password: 'pw' }] } } } },
  apis: [
    { name: 'persons', basePath: '/persons', environment: 'prod', profiles: ['staff'] },
    { name: 'public', basePath: '/public' },
  ],
  rules: [
    {
      name: 'no-delete',
      match: { methods: ['DELETE'] },
      deny: { status: 403, body: { errorMessage: 'Access Denied', status: 403 } },
    },
    {
      name: 'identity-header',
      match: { apis: ['persons'] },
      request: { setHeaders: { 'sh-user': '{identity}' }, removeHeaders: ['x-app-id'] },
    },
    { name: 'hide-audit', match: { apis: ['persons'] }, response: { removeFields: ['$.audit'] } },
  ],
};

/**
 * Ping's request-phase trace (protocol reference §2.1) with overrides, exactly as PingDataGovernance
 * logged it: `url` on `localhost:6443`, `Host: localhost:8080`, headers in the gateway's case.
 */
export function pingTrace(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source_ip: '::1',
    source_port: 46248,
    method: 'GET',
    http_version: '1.1',
    url: 'http://localhost:6443/persons/7d9fc465-ec1a-460c-ab38-435471f4918b',
    headers: [
      { 'X-App-Id': 'PNG' },
      { Accept: 'application/json' },
      { Authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln' },
      { 'User-Agent': 'PostmanRuntime/7.26.5' },
      { 'Cache-Control': 'no-cache' },
      { Host: 'localhost:8080' },
      { 'Accept-Encoding': 'gzip, deflate, br' },
      { Connection: 'keep-alive' },
    ],
    ...overrides,
  };
}

/** The trace with Basic credentials for `ann` instead of the bearer token. */
export function annTrace(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const headers = (pingTrace().headers as Record<string, string>[]).map((entry) =>
    'Authorization' in entry ? { Authorization: annAuth } : entry,
  );
  return pingTrace({ headers, ...overrides });
}

/** A response-phase payload (protocol reference §3.1) with overrides. */
export function upstreamResponse(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const body = JSON.stringify({ id: '7d9fc465', name: 'Bruce Heller', audit: { by: 'ops' } });
  return {
    response_code: '200',
    response_status: 'OK',
    // The client request it answers, as the connector sends it (and as Ping's Postman example does).
    method: 'GET',
    url: pingTrace().url,
    http_version: '1.1',
    headers: [{ 'Content-Type': 'application/json' }, { 'Content-Length': String(body.length) }],
    body,
    ...overrides,
  };
}

/**
 * Posts to a sideband endpoint with a shared secret.
 * @param url - the server's base URL
 * @param phase - `request` or `response`
 * @param body - the payload (a string is sent as is)
 * @param options - the secret (`null` sends none), other headers, agent
 */
export function sideband(
  url: string,
  phase: 'request' | 'response',
  body: unknown,
  options: { secret?: string | null; header?: string; headers?: Record<string, string>; agent?: Agent } = {},
): Promise<CallResult> {
  const { secret = secretA, header = 'CLIENT-TOKEN', headers = {} } = options;
  return call(url, {
    path: `/sideband/${phase}`,
    body,
    headers: secret === null ? headers : { [header]: secret, ...headers },
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    timeoutMs: 10_000,
  });
}

/** A logger that keeps every entry as a JSON line, to check what was logged (and that no secret was). */
export function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (context: Record<string, unknown>, message: string) =>
    lines.push(JSON.stringify({ level, ...context, msg: message }));
  return {
    logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
    lines,
  };
}

/** The parsed JSON body of a reply. */
export function json(result: CallResult): Record<string, unknown> {
  return JSON.parse(result.body) as Record<string, unknown>;
}
