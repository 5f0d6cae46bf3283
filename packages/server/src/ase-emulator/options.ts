import type { AseApiDefinition, AseDenyLists, AseEmulatorOptions } from './types';

/** The deny list names, in the order they are checked. */
export const denyListNames = [
  'ip',
  'username',
  'apiKey',
  'oauthToken',
  'cookie',
] as const satisfies readonly (keyof AseDenyLists)[];

/** Options with defaults applied and every value checked. */
export interface ResolvedOptions {
  host: string;
  port: number;
  tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  token: string | undefined;
  apis: AseApiDefinition[];
  denyLists: AseDenyLists;
  maxBodyBytes: number;
  maxRecords: number;
  keepAlive: boolean;
}

const catchAll: AseApiDefinition = { name: 'all', hostname: '*', url: '/' };

/**
 * Applies defaults and checks the options, so a mistake (often from a hand-written JSON file) fails at
 * startup with the path of the bad value rather than as puzzling verdicts later.
 * @param options - the caller's options
 * @throws TypeError naming the first bad value
 */
export function resolveOptions(options: AseEmulatorOptions): ResolvedOptions {
  const { port = 0, maxBodyBytes = 1024 * 1024, maxRecords = 1000 } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('port', 'must be an integer from 0 to 65535');
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) fail('maxBodyBytes', 'must be a positive integer');
  if (!Number.isSafeInteger(maxRecords) || maxRecords < 0) fail('maxRecords', 'must be a non-negative integer');
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token === '')) {
    fail('token', 'must be a non-empty string');
  }
  if (options.tls !== undefined && !(isRecord(options.tls) && isPem(options.tls.cert) && isPem(options.tls.key))) {
    fail('tls', 'needs cert and key (PEM strings or Buffers)');
  }
  const apis = options.apis ?? [catchAll];
  if (!Array.isArray(apis)) fail('apis', 'must be an array');
  apis.forEach(checkApi);
  return {
    host: options.host ?? '127.0.0.1',
    port,
    tls: options.tls,
    token: options.token,
    apis: apis.map((api) => ({ ...api })),
    denyLists: checkDenyLists(options.denyLists ?? {}),
    maxBodyBytes,
    maxRecords,
    keepAlive: options.keepAlive ?? true,
  };
}

function checkApi(api: unknown, index: number): void {
  const at = `apis[${index}]`;
  if (!isRecord(api)) fail(at, 'must be an object');
  if (typeof api.name !== 'string' || api.name === '') fail(`${at}.name`, 'must be a non-empty string');
  if (typeof api.hostname !== 'string' || api.hostname === '') fail(`${at}.hostname`, 'must be a non-empty string');
  if (typeof api.url !== 'string' || !api.url.startsWith('/')) fail(`${at}.url`, 'must start with "/"');
  for (const key of ['apiKeyHeader', 'apiKeyQuery', 'cookie'] as const) {
    const value = api[key];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      fail(`${at}.${key}`, 'must be a non-empty string');
    }
  }
  for (const key of ['decoy', 'oauthToken'] as const) {
    if (api[key] !== undefined && typeof api[key] !== 'boolean') fail(`${at}.${key}`, 'must be true or false');
  }
}

function checkDenyLists(lists: unknown): AseDenyLists {
  if (!isRecord(lists)) fail('denyLists', 'must be an object');
  const out: AseDenyLists = {};
  for (const [name, values] of Object.entries(lists)) {
    if (!isDenyListName(name)) fail(`denyLists.${name}`, `is not a deny list (use ${denyListNames.join(', ')})`);
    if (!Array.isArray(values) || !values.every((value) => typeof value === 'string')) {
      fail(`denyLists.${name}`, 'must be an array of strings');
    }
    out[name] = [...values];
  }
  return out;
}

/**
 * Whether a name is one of the deny lists.
 * @param name - a candidate list name
 */
export function isDenyListName(name: string): name is keyof AseDenyLists {
  return (denyListNames as readonly string[]).includes(name);
}

/**
 * Whether a value is a non-array object.
 * @param value - anything
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPem(value: unknown): boolean {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

function fail(path: string, message: string): never {
  throw new TypeError(`ASE emulator option ${path}: ${message}`);
}
