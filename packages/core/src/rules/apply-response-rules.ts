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
 * Applies the response rules an exchange matched: removes their JSON paths from the body. Any body
 * that reads as JSON is filtered, whatever its `Content-Type` says — apps send JSON as `text/html` or
 * without a type — and newline-delimited JSON line by line. A body labelled JSON that cannot be read,
 * a compressed body, or one nested deeper than the limit is replaced with 502: passing it on could
 * leak what a rule removes. Anything else passes unchanged.
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
  const body = response.body;
  if (body === undefined) return refuse(exchange, 'uncaptured');
  if (body.byteLength === 0) return response;
  const encoding = headerValue(response.headers, 'content-encoding')?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') return refuse(exchange, 'encoded');
  const type = headerValue(response.headers, 'content-type')?.toLowerCase() ?? '';
  const lines = ndjsonType.test(type);
  const labelled = lines || jsonType.test(type);
  // Lenient: a stray invalid byte must not let a JSON body past the filter. Bodies left unchanged
  // go out as the original bytes anyway.
  const text = lenientUtf8.decode(body);
  if (!labelled && !looksLikeJson.test(text)) return response;
  let filtered: string | undefined;
  try {
    filtered = filterBody(text, rules, lines ? 'lines' : labelled ? 'document' : 'either');
  } catch (error) {
    if (error instanceof JsonTooDeepError) return refuse(exchange, 'too-deep');
    // Not JSON after all: only a body that says it is JSON must be readable.
    if (error instanceof SyntaxError) return labelled ? refuse(exchange, 'invalid-json') : response;
    throw error;
  }
  if (filtered === undefined) return response;
  return {
    status: response.status,
    headers: response.headers.filter(([name]) => name.toLowerCase() !== 'content-length'),
    body: Buffer.from(filtered),
  };
}

const jsonType = /^(?:application|text)\/(?:[\w.+-]+\+)?json\b/;
const ndjsonType = /^application\/(?:x-ndjson|jsonl|x-jsonlines)\b/;
/** A JSON object or array, possibly after white space: the only JSON bodies rules can remove fields from. */
const looksLikeJson = /^[\s\uFEFF]*[[{]/;
const lenientUtf8 = new TextDecoder('utf-8');

/**
 * Filters a body as one JSON document, as JSON lines, or (`either`, for an unlabelled body) as a
 * document and, failing that, as lines: NDJSON is often sent as `text/plain` or untyped.
 * @throws SyntaxError when the body is none of them
 */
function filterBody(
  text: string,
  rules: ExchangeState['responseRules'],
  as: 'document' | 'lines' | 'either',
): string | undefined {
  if (as === 'lines') return filterLines(text, rules);
  try {
    return filterDocument(text, rules);
  } catch (error) {
    if (as === 'document' || !(error instanceof SyntaxError)) throw error;
    return filterLines(text, rules);
  }
}

/** The document without the rules' paths, or `undefined` when none of them was there. */
function filterDocument(text: string, rules: ExchangeState['responseRules']): string | undefined {
  // A byte-order mark is not JSON, but clients skip it: so must the filter.
  const document: unknown = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  let removed = 0;
  for (const rule of rules) for (const path of rule.removeFields) removed += removeJsonPath(document, path);
  return removed === 0 ? undefined : JSON.stringify(document);
}

function filterLines(text: string, rules: ExchangeState['responseRules']): string | undefined {
  let changed = false;
  const lines = text.split('\n').map((line) => {
    if (line.trim() === '') return line;
    const filtered = filterDocument(line, rules);
    if (filtered === undefined) return line;
    changed = true;
    return filtered;
  });
  return changed ? lines.join('\n') : undefined;
}

function refuse(exchange: ExchangeState, cause: string): ReplacementResponse {
  exchange.runtime.failures.error(
    `rules:response:${cause}`,
    { api: exchange.route?.info.name, cause },
    'A response that response rules must check could not be read; answered 502',
  );
  return uncheckedResponse();
}
