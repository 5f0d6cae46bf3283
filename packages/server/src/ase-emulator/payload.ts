import { isRecord } from './options';

/** One metadata header: a single-key object, as ASE payloads carry headers. */
export interface PayloadHeader {
  readonly name: string;
  readonly value: string;
}

/** The `/ase/request` fields the emulator uses (protocol reference §2). */
export interface RequestPayload {
  readonly sourceIp: string;
  readonly method: string;
  readonly url: string;
  readonly headers: readonly PayloadHeader[];
  readonly usernames: readonly string[];
}

/**
 * Reads a request-phase body. Required: `source_ip`, `method`, `url` (strings) and `headers` (an array of
 * single-key objects with string values); `user_info`, when present, must be an array of objects. Other
 * fields (`source_port`, `http_version`, …) are ignored because gateways disagree on their types.
 * @param body - the parsed JSON body
 * @returns the fields, or `undefined` when the body is malformed
 */
export function readRequestPayload(body: unknown): RequestPayload | undefined {
  if (!isRecord(body)) return undefined;
  const { source_ip: sourceIp, method, url, user_info: userInfo } = body;
  if (typeof sourceIp !== 'string' || sourceIp === '') return undefined;
  if (typeof method !== 'string' || method === '') return undefined;
  if (typeof url !== 'string') return undefined;
  const headers = readHeaders(body.headers);
  if (headers === undefined) return undefined;
  const usernames: string[] = [];
  if (userInfo !== undefined) {
    if (!Array.isArray(userInfo)) return undefined;
    for (const entry of userInfo) {
      if (!isRecord(entry)) return undefined;
      if (typeof entry.username === 'string') usernames.push(entry.username);
    }
  }
  return { sourceIp, method, url, headers, usernames };
}

/**
 * Checks a response-phase body loosely: `response_code` (string or number, as gateways send either) and a
 * `headers` array of objects (protocol reference §3). Looser than the request phase because gateways ignore
 * the outcome of this call anyway.
 * @param body - the parsed JSON body
 */
export function isResponsePayload(body: unknown): boolean {
  if (!isRecord(body)) return false;
  const code = body.response_code;
  if (typeof code !== 'string' && typeof code !== 'number') return false;
  return Array.isArray(body.headers) && body.headers.every(isRecord);
}

/**
 * Values of every entry of a header, in order; names compared case-insensitively because gateways send
 * both lower-case (Ping, Mashery) and original case (WSO2, Axway).
 * @param headers - the payload headers
 * @param name - the header name
 */
export function headerValues(headers: readonly PayloadHeader[], name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter((header) => header.name.toLowerCase() === lower).map((header) => header.value);
}

function readHeaders(value: unknown): PayloadHeader[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const headers: PayloadHeader[] = [];
  for (const entry of value) {
    if (!isRecord(entry)) return undefined;
    const keys = Object.keys(entry);
    const [name] = keys;
    if (keys.length !== 1 || name === undefined) return undefined;
    const headerValue = entry[name];
    if (typeof headerValue !== 'string') return undefined;
    headers.push({ name, value: headerValue });
  }
  return headers;
}
