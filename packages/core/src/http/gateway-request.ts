import type { TrustedProxies } from '../net/client-resolver';
import { resolveClient } from '../net/client-resolver';
import { type BodyReader, type BodySource, createBodyReader, createBufferedBody } from './body';
import { type HeaderList, headerValue, headerValues } from './headers';
import { hostnameOf, parseTarget } from './target';

/**
 * What an adapter knows about a request straight from the transport, before any policy:
 * the raw facts the core turns into a {@link GatewayRequest}.
 */
export interface GatewayRequestInit {
  /** Method as received, e.g. `GET`. */
  readonly method: string;
  /** Request target as received (origin-form or absolute-form). */
  readonly target: string;
  /** `1.1`, `2.0`, … */
  readonly httpVersion: string;
  /** Header lines in order, original case, duplicates kept. */
  readonly headers: HeaderList;
  /** The socket peer's address as reported by the transport. */
  readonly remoteAddress: string | undefined;
  /** The socket peer's port. */
  readonly remotePort: number | undefined;
  /** Whether the connection to this process is TLS. */
  readonly encrypted: boolean;
  /** Starts reading the body; omit for requests that cannot have one. */
  readonly body?: BodySource | undefined;
  /** DER of the leaf certificate the client presented over TLS, when it presented one. */
  readonly clientCertificate?: Uint8Array | undefined;
}

/**
 * A request in Sideguard's framework-free model. Immutable: stages that change a request make a new
 * one with {@link withRequestChanges}.
 */
export interface GatewayRequest {
  readonly method: string;
  /** Origin-form target: path and query as sent. */
  readonly url: string;
  /** Path as sent, without the query. */
  readonly path: string;
  /** Query without `?`; `''` when absent. */
  readonly query: string;
  /** Hostname the client asked for (lower case, no port); `''` when absent or unreadable. */
  readonly host: string;
  /**
   * The request names its host ambiguously: several `Host` lines, an unreadable one, or an
   * absolute-form target naming another host than `Host`. Frameworks would disagree on the host, so
   * routing refuses such requests.
   */
  readonly ambiguousHost: boolean;
  /** Scheme the client used, as seen after trusted proxies. */
  readonly scheme: 'http' | 'https';
  readonly httpVersion: string;
  /** Header lines in order, original case, duplicates kept. */
  readonly headers: HeaderList;
  /** The socket peer's address as reported. */
  readonly remoteAddress: string;
  /** The socket peer's port; 0 when unknown. */
  readonly remotePort: number;
  /** Canonical client address after trusted proxies (IPv4-mapped IPv6 folded to IPv4). */
  readonly clientIp: string;
  /** The body, read lazily and within the configured limit. */
  readonly body: BodyReader;
  /** DER of the client's TLS certificate (leaf), when it presented one. */
  readonly clientCertificate: Uint8Array | undefined;
}

/** Settings that shape how a request is read. */
export interface RequestReadOptions {
  /** Trusted proxies; `undefined` trusts none. */
  readonly trustedProxies: TrustedProxies | undefined;
  /** Most body bytes buffered. */
  readonly maxBodyBytes: number;
}

/**
 * Builds a {@link GatewayRequest} from transport facts: splits the target, reads the host, resolves
 * client address and scheme through trusted proxies only, and wraps the body in a bounded lazy reader.
 * @param init - transport facts from an adapter
 * @param options - trusted proxies and body limit
 */
export function createGatewayRequest(init: GatewayRequestInit, options: RequestReadOptions): GatewayRequest {
  const target = parseTarget(init.target);
  const hostLines = headerValues(init.headers, 'host');
  const hostHeader = hostLines[0] ?? headerValue(init.headers, ':authority');
  const host = hostnameOf(target.authority ?? hostHeader);
  const ambiguousHost =
    hostLines.length > 1 ||
    (hostHeader !== undefined && hostnameOf(hostHeader) === '') ||
    (target.authority !== undefined && (host === '' || (hostHeader !== undefined && hostnameOf(hostHeader) !== host)));
  const client = resolveClient(init.remoteAddress, init.encrypted, init.headers, options.trustedProxies);
  const lengthHeader = headerValue(init.headers, 'content-length');
  const declaredLength = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  return {
    method: init.method,
    url: target.url,
    path: target.path,
    query: target.query,
    host,
    ambiguousHost,
    scheme: client.scheme,
    httpVersion: init.httpVersion,
    headers: init.headers,
    remoteAddress: init.remoteAddress ?? '',
    remotePort: init.remotePort ?? 0,
    clientIp: client.clientIp,
    body: createBodyReader(init.body, declaredLength, options.maxBodyBytes),
    clientCertificate: init.clientCertificate,
  };
}

/** Fields a stage may change on a request. */
export interface RequestChanges {
  readonly method?: string;
  readonly url?: string;
  readonly headers?: HeaderList;
  /** A new body; the request then carries it buffered, and adapters replay it to the app. */
  readonly body?: Uint8Array;
}

/**
 * A copy of a request with some fields changed; path and query follow a new `url`.
 * @param request - the request to start from
 * @param changes - the fields to replace
 */
export function withRequestChanges(request: GatewayRequest, changes: RequestChanges): GatewayRequest {
  const target = changes.url === undefined ? undefined : parseTarget(changes.url);
  return {
    ...request,
    method: changes.method ?? request.method,
    headers: changes.headers ?? request.headers,
    body: changes.body === undefined ? request.body : createBufferedBody(changes.body),
    ...(target === undefined ? {} : { url: target.url, path: target.path, query: target.query }),
  };
}
