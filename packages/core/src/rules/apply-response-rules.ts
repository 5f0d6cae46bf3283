import type { ExchangeState } from '../guard/exchange';
import type { GatewayResponse, ReplacementResponse } from '../http/gateway-response';
import { headerValue } from '../http/headers';
import { JsonTooDeepError, removeJsonPath } from './json-path';

const unchecked: ReplacementResponse = Object.freeze({
  status: 502,
  headers: Object.freeze([['content-type', 'application/json; charset=utf-8'] as const]),
  body: Buffer.from(JSON.stringify({ error: 'response-unchecked', message: 'The response could not be checked.' })),
});

/**
 * What a response that cannot be checked is replaced with: its contents might be what a rule removes.
 * One shared frozen value (adapters only read it), since every captured exchange carries it.
 */
export function uncheckedResponse(): ReplacementResponse {
  return unchecked;
}

/**
 * Applies the response rules an exchange matched: removes their JSON paths from a JSON body. A body
 * that is not JSON is left alone; one that claims to be JSON but cannot be read, is compressed, or
 * nests too deep is replaced with 502 — passing it on could leak what a rule removes.
 * @param exchange - the exchange, with `responseRules` from the request
 * @param response - the response with its captured body
 * @returns the same response when nothing changed, else a replacement
 */
export function applyResponseRules(
  exchange: ExchangeState,
  response: GatewayResponse,
): GatewayResponse | ReplacementResponse {
  const rules = exchange.responseRules;
  // An overflowing body was already answered by the capture's own fail-closed response.
  if (rules.length === 0 || response.bodyOverflow === true) return response;
  const type = headerValue(response.headers, 'content-type')?.toLowerCase() ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/.test(type)) return response;
  const encoding = headerValue(response.headers, 'content-encoding')?.trim().toLowerCase();
  const body = response.body;
  if ((encoding !== undefined && encoding !== 'identity') || body === undefined) return refuse(exchange, 'unreadable');
  if (body.byteLength === 0) return response;
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return refuse(exchange, 'invalid-json');
  }
  let removed = 0;
  try {
    for (const rule of rules) for (const path of rule.removeFields) removed += removeJsonPath(document, path);
  } catch (error) {
    if (error instanceof JsonTooDeepError) return refuse(exchange, 'too-deep');
    throw error;
  }
  if (removed === 0) return response;
  return {
    status: response.status,
    headers: response.headers.filter(([name]) => name.toLowerCase() !== 'content-length'),
    body: Buffer.from(JSON.stringify(document)),
  };
}

function refuse(exchange: ExchangeState, cause: string): ReplacementResponse {
  exchange.runtime.failures.error(
    `rules:response:${cause}`,
    { api: exchange.route?.info.name, cause },
    'A response that response rules must check could not be read; answered 502',
  );
  return uncheckedResponse();
}
