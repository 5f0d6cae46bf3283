import { isFieldValue, isToken } from '../../http/fields';
import type { HeaderEntry } from '../../http/headers';

/** A response written by the policy engine: a deny object, or the response-phase reply. */
export interface EngineResponse {
  readonly status: number;
  /** Header lines in the engine's order and case, validated. */
  readonly headers: readonly HeaderEntry[];
  /** The body; `undefined` when the reply has none (absent or `null`). */
  readonly body: string | undefined;
}

/** An allow reply: the request as the engine wants it forwarded. Absent fields leave the request as it was. */
export interface AllowReply {
  readonly kind: 'allow';
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: readonly HeaderEntry[] | undefined;
  /** The body; `undefined` when the reply has none. */
  readonly body: string | undefined;
  /** Opaque request context for the response phase; `undefined` when none was given. */
  readonly state: unknown;
}

/** A reply the connector cannot use. `cause` is stable (it keys the failure log); `detail` names no values. */
export interface InvalidReply {
  readonly kind: 'invalid';
  readonly cause: string;
  readonly detail: string;
}

/**
 * A deny (top-level `response`) the connector cannot use. Unlike an {@link InvalidReply} it never
 * falls to the fail mode: the engine meant to refuse the request, so it is never let through.
 */
export interface InvalidDeny {
  readonly kind: 'invalid-deny';
  readonly cause: string;
  readonly detail: string;
}

/** What a `/sideband/request` reply asks for. */
export type RequestReply =
  | AllowReply
  | { readonly kind: 'deny'; readonly response: EngineResponse }
  | InvalidDeny
  | InvalidReply;

/** What a `/sideband/response` reply asks for. */
export type ResponseReply = { readonly kind: 'response'; readonly response: EngineResponse } | InvalidReply;

function invalid(cause: string, detail: string): InvalidReply {
  return { kind: 'invalid', cause, detail };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The reply as a JSON object, wrapped so that no reply content can pass for an {@link InvalidReply}. */
function parseJson(body: Uint8Array): { readonly object: Record<string, unknown> } | InvalidReply {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return invalid('bad-json', 'the reply is not JSON');
  }
  return isRecord(value) ? { object: value } : invalid('bad-shape', 'the reply is not a JSON object');
}

/**
 * Header entries from a payload array of single-key objects (several keys in one object are taken in
 * order). Names must be RFC 9110 tokens and values free of CR, LF, NUL and other controls.
 */
function parseHeaders(value: unknown, where: string): HeaderEntry[] | InvalidReply {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return invalid('bad-shape', `${where} is not an array`);
  const headers: HeaderEntry[] = [];
  for (let index = 0; index < value.length; index++) {
    const item: unknown = value[index];
    if (!isRecord(item)) return invalid('bad-shape', `${where}[${index}] is not an object`);
    for (const [name, text] of Object.entries(item)) {
      if (typeof text !== 'string') return invalid('bad-shape', `${where}[${index}] has a value that is not a string`);
      if (!isToken(name)) return invalid('header-name', `${where}[${index}] has an invalid header name`);
      if (!isFieldValue(text)) return invalid('header-value', `${where}[${index}] has a value with CR, LF or NUL`);
      headers.push([name, text]);
    }
  }
  return headers;
}

/** A final status (a 1xx cannot end an exchange): a number, or a string of three digits. */
function parseStatus(value: unknown): number | undefined {
  const status = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
  return typeof status === 'number' && Number.isInteger(status) && status >= 200 && status <= 599 ? status : undefined;
}

function parseResponse(value: unknown, where: string): EngineResponse | InvalidReply {
  if (!isRecord(value)) return invalid('bad-shape', `${where} is not an object`);
  const status = parseStatus(value.response_code);
  if (status === undefined) return invalid('bad-status', `${where}response_code is not a status from 200 to 599`);
  const headers = parseHeaders(value.headers, `${where}headers`);
  if (!Array.isArray(headers)) return headers;
  const body = optionalString(value.body);
  if (body === false) return invalid('bad-shape', `${where}body is not a string`);
  return { status, headers, body };
}

function optionalString(value: unknown): string | undefined | false {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : false;
}

/**
 * Reads a `/sideband/request` reply of status 200: a top-level `response` is a deny to return to
 * the client (an {@link InvalidDeny} when it cannot be used); anything else is the request to
 * forward, possibly modified.
 * @param body - the reply body
 */
export function parseRequestReply(body: Uint8Array): RequestReply {
  const parsed = parseJson(body);
  if ('kind' in parsed) return parsed;
  const reply = parsed.object;
  if (reply.response !== undefined && reply.response !== null) {
    const response = parseResponse(reply.response, 'response.');
    return 'kind' in response ? { ...response, kind: 'invalid-deny' } : { kind: 'deny', response };
  }
  const method = optionalString(reply.method);
  if (method === false || (method !== undefined && !isToken(method))) {
    return invalid('bad-method', 'method is not an HTTP method');
  }
  const url = optionalString(reply.url);
  if (url === false) return invalid('bad-url', 'url is not a string');
  const headers =
    reply.headers === undefined || reply.headers === null ? undefined : parseHeaders(reply.headers, 'headers');
  if (headers !== undefined && !Array.isArray(headers)) return headers;
  const text = optionalString(reply.body);
  if (text === false) return invalid('bad-shape', 'body is not a string');
  return { kind: 'allow', method, url, headers, body: text, state: reply.state ?? undefined };
}

/**
 * Reads a `/sideband/response` reply of status 200: the top-level response the client receives.
 * @param body - the reply body
 */
export function parseResponseReply(body: Uint8Array): ResponseReply {
  const parsed = parseJson(body);
  if ('kind' in parsed) return parsed;
  const response = parseResponse(parsed.object, '');
  return 'kind' in response ? response : { kind: 'response', response };
}
