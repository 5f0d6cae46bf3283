import { headerValues, type RequestPayload } from './payload';
import type { AseApiDefinition, AseDenyLists } from './types';

/** One client identifier found in a call, named by the deny list it is checked against. */
export interface ClientIdentifier {
  readonly list: keyof AseDenyLists;
  readonly value: string;
}

/**
 * Collects the client identifiers of a call (protocol reference §8): always the IP and every
 * `user_info[].username`; the API key, OAuth token and cookie only where the matched definition says to
 * look for them, as ASE reads identifiers per API definition.
 * @param payload - the request-phase fields
 * @param api - the matched definition
 */
export function clientIdentifiers(payload: RequestPayload, api: AseApiDefinition): ClientIdentifier[] {
  const found: ClientIdentifier[] = [{ list: 'ip', value: payload.sourceIp }];
  for (const value of payload.usernames) found.push({ list: 'username', value });
  if (api.apiKeyHeader !== undefined) {
    for (const value of headerValues(payload.headers, api.apiKeyHeader)) found.push({ list: 'apiKey', value });
  }
  if (api.apiKeyQuery !== undefined) {
    for (const value of queryValues(payload.url, api.apiKeyQuery)) found.push({ list: 'apiKey', value });
  }
  if (api.oauthToken === true) {
    for (const value of headerValues(payload.headers, 'authorization')) {
      const token = bearerToken(value);
      if (token !== undefined) found.push({ list: 'oauthToken', value: token });
    }
  }
  if (api.cookie !== undefined) {
    for (const value of headerValues(payload.headers, 'cookie')) {
      for (const cookie of cookieValues(value, api.cookie)) found.push({ list: 'cookie', value: cookie });
    }
  }
  return found;
}

/**
 * The token of a `Bearer` authorization value (scheme case-insensitive).
 * @param value - an `authorization` header value
 */
export function bearerToken(value: string): string | undefined {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}

/**
 * Values of one cookie in a `cookie` header value; names are case-sensitive, surrounding quotes dropped.
 * @param header - the header value, e.g. `a=1; sid="xyz"`
 * @param name - the cookie name
 */
export function cookieValues(header: string, name: string): string[] {
  const values: string[] = [];
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    const value = pair.slice(eq + 1).trim();
    values.push(value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);
  }
  return values;
}

/**
 * Values of a query parameter of a call's `url`, percent-decoded.
 * @param url - path and query
 * @param name - the parameter name
 */
export function queryValues(url: string, name: string): string[] {
  const start = url.indexOf('?');
  if (start === -1) return [];
  const end = url.indexOf('#', start);
  return new URLSearchParams(url.slice(start + 1, end === -1 ? undefined : end)).getAll(name);
}
