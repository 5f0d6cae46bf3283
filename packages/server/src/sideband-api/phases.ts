import { randomUUID } from 'node:crypto';
import type {
  ContinueDecision,
  Exchange,
  ExchangeSnapshot,
  GatewayResponse,
  Guard,
  HeaderEntry,
  HeaderList,
  RespondDecision,
} from '@sideguard/core';
import { applyHeaderChanges } from './header-diff';
import {
  type PayloadUrl,
  parsePayload,
  type RequestPayload,
  requestPayloadSchema,
  responsePayloadSchema,
} from './payload';
import type { StateSealer } from './state-seal';
import { reasonPhrase, requestFromUrl, toGatewayInit, toWireHeaders } from './wire';

/** What the server answers a sideband call with (always JSON). */
export interface PhaseReply {
  readonly status: number;
  readonly body: unknown;
  /** The exchange id, sent as `Correlation-Id`. */
  readonly correlationId: string;
}

/** What a phase needs, read once per call so a reload never splits one call across two settings. */
export interface PhaseContext {
  readonly guard: Guard;
  readonly sealer: StateSealer;
  readonly stateTtlMs: number;
  readonly now: number;
}

/** The sealed `state`: the guard's snapshot plus the headers its decision wants on the response. */
interface SealedExchange {
  readonly s: ExchangeSnapshot;
  /** `ContinueDecision.responseHeaders` (rate-limit state), delivered with the response phase. */
  readonly h?: HeaderList;
}

/**
 * `POST /sideband/request`: decides the request a gateway describes. Replies with the deny object
 * (`response`), or with the request echoed with the guard's changes and a sealed `state`.
 * @param context - guard, sealer and settings
 * @param body - the parsed JSON body
 */
export async function requestPhase(context: PhaseContext, body: unknown): Promise<PhaseReply> {
  const payload = parsePayload(requestPayloadSchema, body);
  if (typeof payload === 'string') return badRequest(`Invalid sideband request: ${payload}`);
  const decision = await context.guard.handleRequest(toGatewayInit(payload));
  const correlationId = decision.exchange.id;
  if (decision.action === 'respond') return { status: 200, correlationId, body: { response: denied(decision) } };
  // Echoed as sent (ping-auth sends a string and logs a changed source_port as suspicious).
  const sentPort = (body as { source_port: number | string }).source_port;
  const reply = allowed(payload, sentPort, decision);
  const snapshot = context.guard.snapshot(decision.exchange);
  if (snapshot !== undefined) {
    const sealed: SealedExchange =
      decision.responseHeaders.length === 0 ? { s: snapshot } : { s: snapshot, h: decision.responseHeaders };
    reply.state = context.sealer.seal(sealed, context.now);
  }
  return { status: 200, correlationId, body: reply };
}

/**
 * `POST /sideband/response`: finishes an exchange with the upstream response. The exchange comes from
 * `state`, from `request` (routing and rules only), or from `method` + `url`; a response of no API is
 * echoed unchanged.
 * @param context - guard, sealer and settings
 * @param body - the parsed JSON body
 */
export async function responsePhase(context: PhaseContext, body: unknown): Promise<PhaseReply> {
  const payload = parsePayload(responsePayloadSchema, body);
  if (typeof payload === 'string') return badRequest(`Invalid sideband response: ${payload}`);
  const { guard } = context;
  let exchange: Exchange | undefined;
  let extraHeaders: HeaderList = [];
  if (payload.state !== undefined) {
    const sealed = context.sealer.open(payload.state, context.stateTtlMs, context.now) as SealedExchange | undefined;
    exchange = sealed === undefined ? undefined : guard.restore(sealed.s);
    // Forged, expired, from another key, or naming an API a reload removed: all the same to the gateway.
    if (exchange === undefined || sealed === undefined) return badRequest('invalid state');
    // A state is good for the request it was issued for only: sent with another request's response it
    // would apply that request's (perhaps weaker) response rules.
    if (!stateFits(guard, sealed.s, payload.method, payload.url)) {
      return badRequest('state does not belong to this request (method or url differ)');
    }
    extraHeaders = sealed.h ?? [];
  } else if (payload.request !== undefined) {
    exchange = guard.exchangeFor(toGatewayInit(payload.request), 'request');
  } else if (payload.method !== undefined && payload.url !== undefined) {
    exchange = guard.exchangeFor(requestFromUrl(payload.method, payload.url), 'target');
  }
  const httpVersion = payload.http_version ?? '1.1';
  const echo = {
    response_code: String(payload.response_code),
    response_status: payload.response_status,
    http_version: httpVersion,
    headers: toWireHeaders(withHeaders(payload.headers, extraHeaders)),
    ...(payload.body === undefined ? {} : { body: payload.body }),
  };
  if (exchange === undefined) return { status: 200, correlationId: randomUUID(), body: echo };
  const bytes = Buffer.from(payload.body ?? '', 'utf8');
  const response: GatewayResponse = {
    status: payload.response_code,
    headers: payload.headers,
    body: bytes,
    bodyBytes: bytes.byteLength,
  };
  const final = await guard.handleResponse(exchange, response);
  if (final === response) return { status: 200, correlationId: exchange.id, body: echo };
  const text = Buffer.from(final.body ?? new Uint8Array()).toString('utf8');
  // The body is whole: its true length replaces any the upstream sent (some gateways keep a stale one).
  const headers = withHeaders(final.headers, extraHeaders).filter(
    ([name]) => !/^(?:content-length|transfer-encoding)$/i.test(name),
  );
  headers.push(['content-length', String(Buffer.byteLength(text))]);
  return {
    status: 200,
    correlationId: exchange.id,
    body: {
      response_code: String(final.status),
      response_status: final.status === payload.response_code ? payload.response_status : reasonPhrase(final.status),
      http_version: httpVersion,
      headers: toWireHeaders(headers),
      body: text,
    },
  };
}

/** Whether a restored state was issued for the request this response answers: same method, target and API. */
function stateFits(
  guard: PhaseContext['guard'],
  snapshot: ExchangeSnapshot,
  method: string | undefined,
  url: PayloadUrl | undefined,
): boolean {
  if (method === undefined || url === undefined) return false;
  if (snapshot.method !== method || snapshot.url !== url.target) return false;
  return guard.exchangeFor(requestFromUrl(method, url), 'target')?.api?.name === snapshot.api;
}

/**
 * A 400 reply naming what is wrong.
 * @param message - what is wrong; never a value from the call
 */
export function badRequest(message: string): PhaseReply {
  return { status: 400, correlationId: randomUUID(), body: { message } };
}

/** The deny object the gateway returns to its client as is. */
function denied(decision: RespondDecision) {
  return {
    response_code: String(decision.status),
    response_status: reasonPhrase(decision.status),
    http_version: '1.1',
    headers: toWireHeaders(decision.headers),
    body: decision.body,
  };
}

/** The request payload echoed with the guard's changes to method, URL, headers and body. */
function allowed(
  payload: RequestPayload,
  sourcePort: number | string,
  decision: ContinueDecision,
): Record<string, unknown> {
  const { request, exchange } = decision;
  const original = exchange.original;
  const url =
    request.url === original.url ? payload.url.text : `${payload.url.scheme}://${payload.url.authority}${request.url}`;
  const bodyChanged = request.body !== original.body && request.body.bytes !== undefined;
  const body = bodyChanged ? Buffer.from(request.body.bytes as Uint8Array).toString('utf8') : payload.body;
  return {
    source_ip: payload.source_ip,
    source_port: sourcePort,
    method: request.method,
    url,
    http_version: payload.http_version,
    // Against the exchange's own original: a fail-open decision on a placeholder request changes nothing.
    headers: toWireHeaders(applyHeaderChanges(payload.headers, original.headers, request.headers)),
    ...(body === undefined ? {} : { body }),
    ...(payload.client_certificate === undefined ? {} : { client_certificate: payload.client_certificate }),
    ...(payload.access_token === undefined ? {} : { access_token: payload.access_token }),
  };
}

/** Headers with `extra` set on them: entries of the same names replaced, the rest appended. */
function withHeaders(headers: HeaderList, extra: HeaderList): HeaderEntry[] {
  if (extra.length === 0) return [...headers];
  const names = new Set(extra.map(([name]) => name.toLowerCase()));
  return [...headers.filter(([name]) => !names.has(name.toLowerCase())), ...extra];
}
