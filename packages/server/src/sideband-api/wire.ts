import { STATUS_CODES } from 'node:http';
import type { BodySource, GatewayRequestInit, HeaderList } from '@sideguard/core';
import type { PayloadUrl, RequestPayload } from './payload';

/** Headers in the wire shape: an array of single-key objects, duplicates repeated, order kept. */
export type WireHeaders = Record<string, string>[];

/**
 * Headers in the wire shape.
 * @param headers - header lines
 */
export function toWireHeaders(headers: HeaderList): WireHeaders {
  return headers.map(([name, value]) => ({ [name]: value }));
}

/**
 * The reason phrase Ping writes in `response_status`: upper case, `''` for an unknown status.
 * @param status - an HTTP status
 */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status]?.toUpperCase() ?? '';
}

/**
 * The request a gateway describes, as transport facts for the guard. Routing must see the host the
 * client asked for, which is the URL's authority, not the gateway's `Host` (Ping's trace has
 * `url` on `localhost:6443` and `Host: localhost:8080`), so the guard's `Host` is the authority.
 * @param payload - a validated request-phase payload
 */
export function toGatewayInit(payload: RequestPayload): GatewayRequestInit {
  const body = payload.body === undefined || payload.body === '' ? undefined : Buffer.from(payload.body, 'utf8');
  return {
    method: payload.method,
    target: payload.url.target,
    httpVersion: payload.http_version,
    headers: [['Host', payload.url.authority], ...payload.headers.filter(([name]) => name.toLowerCase() !== 'host')],
    remoteAddress: payload.source_ip,
    remotePort: payload.source_port,
    encrypted: payload.url.scheme === 'https',
    body: body === undefined ? undefined : bodyOf(body),
  };
}

/**
 * What little is known of a request from a response phase without context: method and URL.
 * @param method - the request's method
 * @param url - its absolute URL
 */
export function requestFromUrl(method: string, url: PayloadUrl): GatewayRequestInit {
  return {
    method,
    target: url.target,
    httpVersion: '1.1',
    headers: [['Host', url.authority]],
    remoteAddress: undefined,
    remotePort: undefined,
    encrypted: url.scheme === 'https',
  };
}

function bodyOf(bytes: Uint8Array): BodySource {
  return async function* () {
    yield bytes;
  };
}
