import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { GatewayRequest, GatewayRequestInit, HeaderEntry } from '@sideguard/core';
import { bodySourceOf } from './body-source';

/**
 * Reads the transport facts of a Node request for the core. Headers come from `rawHeaders`, so order,
 * original case and duplicates survive. Client address and scheme are resolved by the core, through
 * trusted proxies only. Over TLS, the DER of the certificate the client presented comes along.
 * @param req - the incoming request
 */
export function toGatewayRequestInit(req: IncomingMessage): GatewayRequestInit {
  const raw = req.rawHeaders;
  const headers: HeaderEntry[] = new Array(raw.length >> 1);
  for (let i = 0, j = 0; i + 1 < raw.length; i += 2, j++) headers[j] = [raw[i] as string, raw[i + 1] as string];
  const socket = req.socket as IncomingMessage['socket'] & { encrypted?: boolean };
  const encrypted = socket.encrypted === true;
  return {
    method: req.method ?? 'GET',
    target: req.url ?? '/',
    httpVersion: req.httpVersion,
    headers,
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    encrypted,
    body: bodySourceOf(req),
    clientCertificate: encrypted ? peerCertificateOf(socket as TLSSocket) : undefined,
  };
}

/**
 * The DER of the client's leaf certificate. `getPeerX509Certificate` wraps the certificate without
 * decoding its fields, unlike `getPeerCertificate`, which builds a whole object (a chain, with `true`)
 * for every call; it is asked per request, not per socket, since a renegotiation can change the peer.
 */
function peerCertificateOf(socket: TLSSocket): Uint8Array | undefined {
  return socket.getPeerX509Certificate?.()?.raw;
}

/**
 * Writes a request changed by the core back onto the Node request, so the app sees the change.
 * Does nothing when the request is unchanged.
 * @param req - the incoming request
 * @param original - the request the core started from
 * @param request - the request the core decided to forward
 */
export function applyRequestChanges(req: IncomingMessage, original: GatewayRequest, request: GatewayRequest): void {
  if (request === original) return;
  if (request.method !== original.method) req.method = request.method;
  if (request.url !== original.url) req.url = request.url;
  if (request.headers !== original.headers) {
    const rawHeaders: string[] = [];
    const headers: Record<string, string | string[]> = Object.create(null);
    for (const [name, value] of request.headers) {
      rawHeaders.push(name, value);
      addNodeHeader(headers, name.toLowerCase(), value);
    }
    req.rawHeaders = rawHeaders;
    req.headers = headers;
  }
}

/** Joins duplicates the way Node's parser does: `set-cookie` as an array, `cookie` with `; `, others with `, `. */
function addNodeHeader(headers: Record<string, string | string[]>, name: string, value: string): void {
  const existing = headers[name];
  if (existing === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
  else if (Array.isArray(existing)) existing.push(value);
  else headers[name] = `${existing}${name === 'cookie' ? '; ' : ', '}${value}`;
}
