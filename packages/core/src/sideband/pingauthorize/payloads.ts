import { X509Certificate } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { GatewayRequest } from '../../http/gateway-request';
import { type HeaderList, headerValue } from '../../http/headers';

/** One header in a PingAuthorize payload: an object with a single key, in the case it was received. */
export type PayloadHeader = Readonly<Record<string, string>>;

/** The `/sideband/request` body (protocol reference §2.1, §9.2). */
export interface PingAuthorizeRequestPayload {
  readonly source_ip: string;
  readonly source_port: number;
  readonly method: string;
  /** Absolute client-facing URL with the query as sent. */
  readonly url: string;
  readonly http_version: string;
  readonly headers: readonly PayloadHeader[];
  /** The body, only when the request has one of a configured content type; always valid UTF-8 (else 415). */
  readonly body?: string;
  /** The client certificate's public key as a JWK, with `x5c: [base64 DER]`. */
  readonly client_certificate?: Readonly<Record<string, unknown>>;
  /** The validated access token's claims, RFC 7662 style. */
  readonly access_token?: Readonly<Record<string, unknown>>;
}

/** The `/sideband/response` body (protocol reference §3.1). */
export interface PingAuthorizeResponsePayload {
  readonly method: string;
  readonly url: string;
  readonly response_code: string;
  readonly response_status: string;
  readonly http_version: string;
  readonly headers: readonly PayloadHeader[];
  /** The body as text, only when it is readable text of a configured content type (left out otherwise). */
  readonly body?: string;
  /** The request phase's `state`, verbatim. */
  readonly state?: unknown;
  /** The original `/sideband/request` body. */
  readonly request?: PingAuthorizeRequestPayload;
}

/** What the response phase sends back about the request, kept on the exchange between the phases. */
export interface PingAuthorizeContext {
  /** The `state` of the request-phase reply. */
  readonly state?: unknown;
  /** The request-phase payload. */
  readonly request?: PingAuthorizeRequestPayload;
}

/**
 * The URL the client asked for: scheme (as seen after trusted proxies), the `Host` header (or
 * HTTP/2 `:authority`) as sent, and the origin-form target as sent, query untouched.
 * @param request - the request
 * @param fallbackHost - used when the request names no host (HTTP/1.0)
 */
export function clientUrl(request: GatewayRequest, fallbackHost: string): string {
  const authority = headerValue(request.headers, 'host') ?? headerValue(request.headers, ':authority');
  return `${request.scheme}://${authority === undefined || authority === '' ? fallbackHost : authority}${request.url}`;
}

/**
 * Header lines as payload entries: every line, in order and original case, duplicates repeated.
 * HTTP/2 pseudo-headers are left out: they are not fields, and `method` and `url` carry them.
 * @param headers - the header lines
 */
export function payloadHeaders(headers: HeaderList): PayloadHeader[] {
  const out: PayloadHeader[] = [];
  for (const [name, value] of headers) {
    if (!name.startsWith(':')) out.push({ [name]: value });
  }
  return out;
}

/**
 * How many header lines {@link payloadHeaders} would send.
 * @param headers - the header lines
 */
export function payloadHeaderCount(headers: HeaderList): number {
  let count = 0;
  for (const [name] of headers) if (!name.startsWith(':')) count++;
  return count;
}

/**
 * The client certificate as PingAuthorize reads it (`HttpRequest.ClientCertificate`): the public
 * key as a JWK plus `x5c` holding the certificate.
 * @param der - the leaf certificate, DER
 * @throws Error when the bytes are not a certificate with an exportable key
 */
export function clientCertificateJwk(der: Uint8Array): Record<string, unknown> {
  const certificate = new X509Certificate(der);
  const jwk = certificate.publicKey.export({ format: 'jwk' });
  return { ...jwk, x5c: [Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64')] };
}

/**
 * A validated token's claims in the RFC 7662 shape PingAuthorize documents: `active: true`, `scope`
 * as a list, `aud` as a list; every other claim as it is.
 * @param claims - the validated claims
 */
export function accessTokenClaims(claims: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const token: Record<string, unknown> = { active: true, ...claims };
  if (typeof claims.scope === 'string') token.scope = claims.scope.split(' ').filter((scope) => scope !== '');
  if (typeof claims.aud === 'string') token.aud = [claims.aud];
  return token;
}

/**
 * The response-phase body, without the request context.
 * @param original - the request as the client sent it
 * @param url - {@link clientUrl} of the original request
 * @param status - the response status
 * @param headers - the response headers
 * @param body - the response body as text; `undefined` leaves `body` out
 */
export function responsePayload(
  original: GatewayRequest,
  url: string,
  status: number,
  headers: HeaderList,
  body: string | undefined,
): PingAuthorizeResponsePayload {
  const payload = {
    method: original.method,
    url,
    response_code: String(status),
    response_status: (STATUS_CODES[status] ?? '').toUpperCase(),
    http_version: original.httpVersion,
    headers: payloadHeaders(headers),
  };
  return body === undefined ? payload : { ...payload, body };
}
