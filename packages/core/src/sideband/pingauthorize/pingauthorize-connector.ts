import { jsonErrorResponse, type ResponseCapture, type StageResponse } from '../../decision/request-decision';
import { BodyTooLargeError } from '../../errors/body-errors';
import type { ExchangeState } from '../../guard/exchange';
import { validRetryAfter, withoutTransportHeaders } from '../../http/fields';
import { type GatewayRequest, withRequestChanges } from '../../http/gateway-request';
import type { GatewayResponse, ReplacementResponse } from '../../http/gateway-response';
import { type HeaderEntry, type HeaderList, headerValue, headerValues } from '../../http/headers';
import type { CauseLogger } from '../../telemetry/logger';
import { ConnectorUsers } from '../connector-users';
import type { SidebandClient, SidebandReply } from '../http/index';
import { applyAllowReply, withIdentityEncoding } from './apply-reply';
import type { MediaRanges } from './media-types';
import {
  accessTokenClaims,
  clientCertificateJwk,
  clientUrl,
  type PingAuthorizeContext,
  type PingAuthorizeRequestPayload,
  payloadHeaderCount,
  payloadHeaders,
  responsePayload,
} from './payloads';
import {
  type EngineResponse,
  type InvalidDeny,
  type InvalidReply,
  parseRequestReply,
  parseResponseReply,
} from './replies';
import { sameHeaders } from './same-headers';
import { bodyText, declaredCharset } from './text-body';

/** How the PingAuthorize connector behaves (protocol reference §9). */
export interface PingAuthorizeSettings {
  /** The shared secret, sent in {@link sharedSecretHeader}. */
  readonly sharedSecret: string;
  /** Header carrying the shared secret, lower case (PingAuthorize's default: `CLIENT-TOKEN`). */
  readonly sharedSecretHeader: string;
  /** Time for one sideband call, retry included, in ms. */
  readonly timeoutMs: number;
  /** Engine unreachable or answering nonsense: `open` lets the request (or response) through, `closed` answers 502. */
  readonly failMode: 'open' | 'closed';
  /**
   * Which request bodies are sent, and how large they may be (larger: 413). A body of these types
   * must be UTF-8 (declared `utf-8`, `utf8` or `us-ascii`, or no charset): anything else gets 415.
   */
  readonly requestBody: { readonly contentTypes: MediaRanges; readonly maxBytes: number };
  /** Most request header lines; more get 431. */
  readonly maxHeaders: number;
  /** Whether responses go to `/sideband/response`. */
  readonly responsePhase: boolean;
  /** What the response phase sends about the request: `auto` is `state` when received, else `request`. */
  readonly requestContext: 'auto' | 'state' | 'request' | 'none';
  /**
   * Which response bodies are sent, and how many bytes are captured for the response phase. Bodies
   * of other types are left out (policies cannot see or change them); a body of these types that is
   * content-encoded or not UTF-8 (by the {@link requestBody} rules) gets the fail mode.
   */
  readonly responseBody: { readonly contentTypes: MediaRanges; readonly maxBytes: number };
  /** Send the validated OAuth token's claims as `access_token`. */
  readonly sendAccessToken: boolean;
}

const noBody = new Uint8Array(0);

function unavailable(): StageResponse {
  return jsonErrorResponse(502, 'sideband-unavailable', 'The request could not be authorized.');
}

function tooLarge(): StageResponse {
  return jsonErrorResponse(413, 'body-too-large', 'The request body is too large.');
}

function notUtf8(): StageResponse {
  return jsonErrorResponse(415, 'body-encoding-unsupported', 'The request body must be UTF-8 text to be authorized.');
}

/** The 502 that replaces a response the engine could not judge (fail closed). */
function unavailableResponse(): ReplacementResponse {
  const {
    status,
    headers = [],
    body = '',
  } = jsonErrorResponse(502, 'sideband-unavailable', 'The response could not be authorized.');
  return Object.freeze({ status, headers, body: Buffer.from(body, 'utf8') });
}

/**
 * The PingAuthorize Sideband API connector (gateway side): `/sideband/request` decides whether and
 * how a request goes on, `/sideband/response` may rewrite the response. Everything about one exchange
 * — the sent payload, the engine's `state` — lives on that exchange, never here. It never throws for
 * the engine's sake: every failure becomes an answer under the configured fail mode.
 */
export class PingAuthorizeConnector {
  readonly name = 'pingauthorize';
  readonly client: SidebandClient;
  /** How adapters capture responses for the response phase; `undefined` when it is off. */
  readonly capture: ResponseCapture | undefined;
  /** Exchanges from their request phase until their response phase settled (a reload waits for them). */
  readonly users = new ConnectorUsers();
  readonly #settings: PingAuthorizeSettings;
  readonly #failures: CauseLogger;
  readonly #callHeaders: Record<string, string>;
  readonly #unavailable: ReplacementResponse;

  /**
   * @param client - the sideband HTTP client for the PingAuthorize endpoints
   * @param settings - secret, limits, policies
   * @param failures - logs each failure cause once
   */
  constructor(client: SidebandClient, settings: PingAuthorizeSettings, failures: CauseLogger) {
    this.client = client;
    this.#settings = settings;
    this.#failures = failures;
    this.#callHeaders = {
      'content-type': 'application/json',
      accept: 'application/json',
      [settings.sharedSecretHeader]: settings.sharedSecret,
    };
    this.#unavailable = unavailableResponse();
    this.capture = settings.responsePhase
      ? {
          maxBytes: settings.responseBody.maxBytes,
          onOverflow: settings.failMode === 'closed' ? this.#unavailable : undefined,
        }
      : undefined;
  }

  /** Whether responses go to the engine (the guard then needs `handleResponse`). */
  get reportsResponses(): boolean {
    return this.#settings.responsePhase;
  }

  /** Whether the client's response waits for the engine (it may be replaced). */
  get holdsResponses(): boolean {
    return this.#settings.responsePhase;
  }

  /**
   * Request phase. Resolves to a response for the client (deny, 413/429 relayed, 431, 502), or to
   * `undefined` after replacing `exchange.request` with the request the engine wants forwarded.
   * Rejects only when the client's body cannot be read (a `BodyReadError`), which the guard handles
   * like any failing stage.
   * @param exchange - the exchange, already authenticated and rate limited
   */
  async checkRequest(exchange: ExchangeState): Promise<StageResponse | undefined> {
    this.users.enter(exchange);
    const { request } = exchange;
    if (payloadHeaderCount(request.headers) > this.#settings.maxHeaders) {
      return jsonErrorResponse(431, 'request-headers-too-large', 'The request has too many header lines.');
    }
    const body = await this.#body(request);
    if (typeof body === 'object') return body;
    const payload = this.#requestPayload(exchange, body);
    let reply: SidebandReply;
    try {
      reply = await this.client.send({
        method: 'POST',
        path: '/sideband/request',
        headers: this.#callHeaders,
        body: JSON.stringify(payload),
        budgetMs: this.#settings.timeoutMs,
      });
    } catch (error) {
      this.#failures.error(
        'pingauthorize:request:unreachable',
        { err: describe(error) },
        'PingAuthorize unreachable; applying its fail mode',
      );
      return this.#failRequest(exchange, payload);
    }
    if (reply.status !== 200) return this.#refusedRequest(exchange, payload, reply);
    const parsed = parseRequestReply(reply.body);
    if (parsed.kind === 'deny') return this.#deny(exchange, parsed.response);
    if (parsed.kind === 'invalid-deny') return this.#invalidDeny(parsed);
    if (parsed.kind === 'invalid') return this.#invalidRequestReply(exchange, payload, parsed);
    const applied = applyAllowReply(request, payload, parsed, { identityEncoding: this.#settings.responsePhase });
    if ('kind' in applied) return this.#invalidRequestReply(exchange, payload, applied);
    exchange.request = applied;
    this.#remember(exchange, payload, parsed.state);
    return undefined;
  }

  /**
   * Response phase: sends the captured response and resolves to what the engine's reply asks for
   * (see {@link replyResponse}), or, when the engine cannot judge it, to a 502 replacement (fail
   * closed) or the response unchanged (fail open). Never rejects. A response whose body passed the
   * capture limit is not sent: the adapter already applied `capture.onOverflow`. The exchange leaves
   * {@link users} when this settles.
   * @param exchange - the exchange of the response
   * @param response - what the app or upstream answered, with its body captured
   */
  filterResponse(exchange: ExchangeState, response: GatewayResponse): Promise<GatewayResponse> {
    if (!this.#settings.responsePhase || response.bodyOverflow === true) {
      this.users.leave(exchange);
      return Promise.resolve(response);
    }
    // Nothing below should throw; if something does, the response still gets the fail mode, not a rejection.
    return this.#filter(exchange, response)
      .catch((error: unknown) => {
        this.#failures.error(
          'pingauthorize:response:unexpected',
          { err: describe(error) },
          'PingAuthorize response phase failed unexpectedly; applying its fail mode',
        );
        return this.#failResponse(exchange, response);
      })
      .finally(() => this.users.leave(exchange));
  }

  async #filter(exchange: ExchangeState, response: GatewayResponse): Promise<GatewayResponse> {
    const bytes = response.body ?? noBody;
    const text = this.#responseText(response.headers, bytes);
    if (text === false) return this.#failResponse(exchange, response);
    const original = exchange.original;
    const payload = {
      ...responsePayload(original, this.#clientUrl(exchange, original), response.status, response.headers, text),
      ...requestContext(exchange.pingAuthorize),
    };
    let reply: SidebandReply;
    try {
      reply = await this.client.send({
        method: 'POST',
        path: '/sideband/response',
        headers: this.#callHeaders,
        body: JSON.stringify(payload),
        budgetMs: this.#settings.timeoutMs,
        // The engine may act on a response phase (audit, counters): a second call is not known to be safe.
        retry: false,
      });
    } catch (error) {
      this.#failures.error(
        'pingauthorize:response:unreachable',
        { err: describe(error) },
        'PingAuthorize unreachable for a response; applying its fail mode',
      );
      return this.#failResponse(exchange, response);
    }
    if (reply.status === 401) {
      this.#secretMismatch('response');
      return this.#withOwnHeaders(this.#unavailable, exchange);
    }
    if (reply.status !== 200) {
      this.#failures.error(
        `pingauthorize:response:status:${reply.status}`,
        { status: reply.status },
        `PingAuthorize answered a response phase with status ${reply.status}; applying its fail mode`,
      );
      return this.#failResponse(exchange, response);
    }
    const parsed = parseResponseReply(reply.body);
    if (parsed.kind === 'invalid') {
      this.#invalidReply('response', parsed);
      return this.#failResponse(exchange, response);
    }
    return replyResponse(response, bytes, text, parsed.response, exchange.responseHeaders);
  }

  /**
   * The response body as text for the payload: `undefined` to leave it out (not of a configured
   * type), or `false` (logged) when it is of a configured type but the engine cannot read it:
   * content-encoded although upstream was asked for `identity`, or not UTF-8 text. Policies that
   * must see such a body would be skipped, so the caller applies the fail mode.
   */
  #responseText(headers: HeaderList, bytes: Uint8Array): string | undefined | false {
    const types = headerValues(headers, 'content-type');
    if (!this.#settings.responseBody.contentTypes.matches(types[0])) return undefined;
    if (encoded(headers)) {
      this.#failures.error(
        'pingauthorize:response:encoded',
        {},
        'A response body is content-encoded, so PingAuthorize cannot read it; applying its fail mode',
      );
      return false;
    }
    // No bytes read the same in every charset (HEAD, 204): nothing to refuse.
    if (bytes.byteLength === 0) return '';
    const charset = declaredCharset(types);
    const text = charset === false ? undefined : bodyText(bytes, charset);
    if (text !== undefined) return text;
    this.#failures.error(
      'pingauthorize:response:not-utf8',
      {},
      'A response body of a configured content type is not UTF-8 text, so PingAuthorize cannot read it; applying its fail mode',
    );
    return false;
  }

  /** The body to send: `undefined` for none, or a response when it is refused. */
  async #body(request: GatewayRequest): Promise<string | undefined | StageResponse> {
    const { headers, body } = request;
    const declared = body.declaredLength;
    // HTTP/2 frames bodies without Content-Length or Transfer-Encoding: only reading tells.
    const mayHaveBody =
      (declared !== undefined && declared > 0) ||
      headerValue(headers, 'transfer-encoding') !== undefined ||
      (declared === undefined && Number.parseFloat(request.httpVersion) >= 2);
    const types = headerValues(headers, 'content-type');
    if (!mayHaveBody || !this.#settings.requestBody.contentTypes.matches(types[0])) return undefined;
    if (encoded(headers)) {
      return jsonErrorResponse(
        415,
        'body-encoding-unsupported',
        'The request body must not be content-encoded to be authorized.',
      );
    }
    // The app decodes by the declared charset (express.json honours utf-16le): the engine must read the same text.
    const charset = declaredCharset(types);
    if (charset === false) return notUtf8();
    const { maxBytes } = this.#settings.requestBody;
    if (declared !== undefined && declared > maxBytes) return tooLarge();
    let bytes: Uint8Array;
    try {
      bytes = await body.read();
    } catch (error) {
      if (error instanceof BodyTooLargeError) return tooLarge();
      throw error;
    }
    if (bytes.byteLength > maxBytes) return tooLarge();
    if (bytes.byteLength === 0) return undefined;
    return bodyText(bytes, charset) ?? notUtf8();
  }

  #requestPayload(exchange: ExchangeState, body: string | undefined): PingAuthorizeRequestPayload {
    const { request } = exchange;
    const payload: {
      -readonly [K in keyof PingAuthorizeRequestPayload]: PingAuthorizeRequestPayload[K];
    } = {
      source_ip: request.clientIp,
      source_port: request.remotePort,
      method: request.method,
      url: this.#clientUrl(exchange, request),
      http_version: request.httpVersion,
      headers: payloadHeaders(request.headers),
    };
    if (body !== undefined) payload.body = body;
    if (request.clientCertificate !== undefined) {
      try {
        payload.client_certificate = clientCertificateJwk(request.clientCertificate);
      } catch (error) {
        this.#failures.error(
          'pingauthorize:client-certificate',
          { err: describe(error) },
          'A client certificate could not be read; it is not sent to PingAuthorize',
        );
      }
    }
    if (this.#settings.sendAccessToken && exchange.claims !== undefined) {
      payload.access_token = accessTokenClaims(exchange.claims);
    }
    return payload;
  }

  #clientUrl(exchange: ExchangeState, request: GatewayRequest): string {
    return clientUrl(request, exchange.route?.host ?? 'localhost');
  }

  /** Keeps what the response phase will send about the request, on the exchange only. */
  #remember(exchange: ExchangeState, payload: PingAuthorizeRequestPayload, state: unknown): void {
    if (!this.#settings.responsePhase) return;
    const mode = this.#settings.requestContext;
    if (mode === 'none' || (mode === 'state' && state === undefined)) return;
    exchange.pingAuthorize =
      (mode === 'auto' || mode === 'state') && state !== undefined ? { state } : { request: payload };
  }

  #refusedRequest(
    exchange: ExchangeState,
    payload: PingAuthorizeRequestPayload,
    reply: SidebandReply,
  ): StageResponse | undefined {
    switch (reply.status) {
      case 401:
        this.#secretMismatch('request');
        return unavailable();
      case 413:
        return jsonErrorResponse(413, 'sideband-rejected', 'The request is too large to be authorized.');
      case 429: {
        // This request only: later requests ask the engine again, with no breaker shared between them.
        const retryAfter = validRetryAfter(reply.headers['retry-after']);
        return jsonErrorResponse(
          429,
          'sideband-rejected',
          'Too many requests; try again later.',
          retryAfter === undefined ? [] : [['retry-after', retryAfter]],
        );
      }
      default:
        this.#failures.error(
          `pingauthorize:request:status:${reply.status}`,
          { status: reply.status },
          `PingAuthorize answered status ${reply.status}; applying its fail mode`,
        );
        return this.#failRequest(exchange, payload);
    }
  }

  #deny(exchange: ExchangeState, response: EngineResponse): StageResponse {
    return {
      reason: 'sideband-blocked',
      status: response.status,
      headers: ownHeaders(withoutTransportHeaders(response.headers), exchange.responseHeaders),
      body: response.body ?? '',
    };
  }

  /** A deny the engine meant but wrote unusably: 502 whatever the fail mode, so it never becomes an allow. */
  #invalidDeny(reply: InvalidDeny): StageResponse {
    this.#failures.error(
      `pingauthorize:request:invalid-deny:${reply.cause}`,
      { problem: reply.detail },
      'PingAuthorize sent a deny it wrote unusably; answered 502 whatever the fail mode',
    );
    return unavailable();
  }

  #invalidRequestReply(
    exchange: ExchangeState,
    payload: PingAuthorizeRequestPayload,
    reply: InvalidReply,
  ): StageResponse | undefined {
    this.#invalidReply('request', reply);
    return this.#failRequest(exchange, payload);
  }

  #invalidReply(phase: 'request' | 'response', reply: InvalidReply): void {
    this.#failures.error(
      `pingauthorize:${phase}:invalid:${reply.cause}`,
      { problem: reply.detail },
      `PingAuthorize sent an unusable ${phase}-phase reply; applying its fail mode`,
    );
  }

  #secretMismatch(phase: 'request' | 'response'): void {
    this.#failures.error(
      `pingauthorize:${phase}:status:401`,
      { status: 401, header: this.#settings.sharedSecretHeader },
      'PingAuthorize refused the shared secret (401): shared secret mismatch; the value of sideband.pingAuthorize.sharedSecret is not one the server accepts',
    );
  }

  /** Fail mode of the request phase; failing open still prepares the response phase. */
  #failRequest(exchange: ExchangeState, payload: PingAuthorizeRequestPayload): StageResponse | undefined {
    if (this.#settings.failMode === 'closed') return unavailable();
    exchange.failedOpen = 'sideband-fail-open';
    if (this.#settings.responsePhase) {
      exchange.request = withRequestChanges(exchange.request, {
        headers: withIdentityEncoding(exchange.request.headers),
      });
      this.#remember(exchange, payload, undefined);
    }
    return undefined;
  }

  #failResponse(exchange: ExchangeState, response: GatewayResponse): GatewayResponse {
    return this.#settings.failMode === 'closed' ? this.#withOwnHeaders(this.#unavailable, exchange) : response;
  }

  #withOwnHeaders(response: ReplacementResponse, exchange: ExchangeState): ReplacementResponse {
    return exchange.responseHeaders.length === 0
      ? response
      : { ...response, headers: ownHeaders(response.headers, exchange.responseHeaders) };
  }
}

/**
 * The response a response-phase reply asks for. The app's response itself when the reply changes
 * neither status, headers (compared as {@link sameHeaders} does) nor body, so its bytes go out exactly
 * as written. Otherwise a replacement with the reply's status and headers; its body is the reply's
 * (absent counts as empty) when that differs from the text sent, or, when no text was sent, when the
 * reply changes the status or supplies a non-empty body; else the original bytes, with their
 * `Content-Encoding`.
 * @param response - the app's response
 * @param bytes - its body
 * @param sent - the body text sent to the engine; `undefined` when it was left out
 * @param reply - the engine's validated reply
 * @param own - the gateway's own response headers (RateLimit)
 */
function replyResponse(
  response: GatewayResponse,
  bytes: Uint8Array,
  sent: string | undefined,
  reply: EngineResponse,
  own: HeaderList,
): GatewayResponse | ReplacementResponse {
  let body: string | undefined;
  if (sent !== undefined) {
    if ((reply.body ?? '') !== sent) body = reply.body ?? '';
  } else if (reply.status !== response.status || (reply.body !== undefined && reply.body !== '')) {
    // The engine never saw these bytes: under another status (a deny, say) they must not go out.
    body = reply.body ?? '';
  }
  if (body === undefined && reply.status === response.status && sameHeaders(reply.headers, response.headers)) {
    return response;
  }
  const headers = withoutTransportHeaders(reply.headers);
  if (body === undefined)
    headers.push(...response.headers.filter(([name]) => name.toLowerCase() === 'content-encoding'));
  return {
    status: reply.status,
    headers: ownHeaders(headers, own),
    body: body === undefined ? bytes : Buffer.from(body, 'utf8'),
  };
}

/** The request context the response phase sends: `state` or `request`, never both. */
function requestContext(context: PingAuthorizeContext | undefined): PingAuthorizeContext {
  if (context?.state !== undefined) return { state: context.state };
  if (context?.request !== undefined) return { request: context.request };
  return {};
}

/**
 * The engine's headers plus the gateway's own response headers (RateLimit) whose names the engine
 * did not write: a response the engine rewrote keeps them.
 */
function ownHeaders(engine: HeaderList, own: HeaderList): HeaderEntry[] {
  if (own.length === 0) return [...engine];
  const written = new Set(engine.map(([name]) => name.toLowerCase()));
  return [...engine, ...own.filter(([name]) => !written.has(name.toLowerCase()))];
}

/** Whether a message's body carries a content coding other than `identity`. */
function encoded(headers: HeaderList): boolean {
  return headerValues(headers, 'content-encoding').some((value) =>
    value.split(',').some((coding) => {
      const name = coding.trim().toLowerCase();
      return name !== '' && name !== 'identity';
    }),
  );
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof Error)
    return { type: error.name, message: error.message, code: (error as { code?: unknown }).code };
  return { type: typeof error };
}
