import { isIP } from 'node:net';

/** A checked endpoint base URL. */
export interface EndpointAddress {
  /** `scheme://host[:port][/base-path]` without a trailing slash; safe to log (no credentials, no query). */
  readonly url: string;
  /** `scheme://host[:port]`, what the undici pool connects to. */
  readonly origin: string;
  /** Path prefix of every request, `''` or `/segment…` without a trailing slash. */
  readonly basePath: string;
  /** Whether the endpoint uses TLS. */
  readonly secure: boolean;
  /** TLS server name (SNI and certificate check); `undefined` for IP addresses, which SNI may not carry. */
  readonly servername: string | undefined;
}

function endpointProblem(url: URL | undefined): string | undefined {
  if (url === undefined) return 'must be an absolute URL';
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http: or https:';
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  if (url.search !== '' || url.hash !== '') return 'must not contain a query or a fragment';
  return undefined;
}

/**
 * Parses one configured endpoint. The value is not echoed in errors: a mistyped URL may hold credentials.
 * @param value - the configured base URL
 * @param index - its position in `endpoints`, for the error message
 * @throws Error when the value is not an absolute http(s) URL without credentials, query or fragment
 */
export function parseEndpointUrl(value: unknown, index: number): EndpointAddress {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  const problem = endpointProblem(url);
  if (url === undefined || problem !== undefined) throw new Error(`Sideband: \`endpoints[${index}]\` ${problem}`);
  const basePath = url.pathname.replace(/\/+$/, '');
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const secure = url.protocol === 'https:';
  return Object.freeze({
    url: `${url.origin}${basePath}`,
    origin: url.origin,
    basePath,
    secure,
    servername: secure && isIP(hostname) === 0 ? hostname : undefined,
  });
}
