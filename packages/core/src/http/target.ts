/** A request target split into what routing needs. */
export interface RequestTarget {
  /** Origin-form target: path and query as sent (absolute-form is reduced to this). */
  readonly url: string;
  /** The path as sent, without the query. */
  readonly path: string;
  /** The query without `?`, `''` when there is none. */
  readonly query: string;
  /** Authority from an absolute-form target, which takes precedence over `Host`. */
  readonly authority: string | undefined;
}

const absoluteForm = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)(.*)$/i;

/**
 * Splits a request target. Absolute-form (`http://host/p?q`, sent to proxies) becomes origin-form
 * with its authority kept; `*` and other forms keep their text as the path and match no API.
 * @param target - the request target as received
 */
export function parseTarget(target: string): RequestTarget {
  let url = target;
  let authority: string | undefined;
  if (!target.startsWith('/')) {
    const match = absoluteForm.exec(target);
    if (match) {
      authority = match[1];
      url = match[2] === '' || match[2]?.startsWith('?') ? `/${match[2] ?? ''}` : (match[2] ?? '/');
    }
  }
  const hash = url.indexOf('#');
  if (hash !== -1) url = url.slice(0, hash);
  const q = url.indexOf('?');
  return {
    url,
    path: q === -1 ? url : url.slice(0, q),
    query: q === -1 ? '' : url.slice(q + 1),
    authority,
  };
}

/**
 * The hostname of an authority (`Host` header or absolute-form authority): lower case, without
 * port, brackets or a trailing dot. `''` when it is not a plain `host[:port]`: user info, a
 * non-numeric port or odd characters are refused, since frameworks would read them differently.
 * @param authority - e.g. `API.example.com:8443`, `[::1]:80`
 */
export function hostnameOf(authority: string | undefined): string {
  if (authority === undefined || authority === '') return '';
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(authority);
  if (match === null) return '';
  const host = (match[1] ?? '').toLowerCase();
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

const unreservedEscape = /%(2[dDeE]|3\d|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])/g;

/**
 * The path as a server that normalizes would see it: percent-escapes of unreserved characters
 * decoded, repeated slashes merged, `.` and `..` segments removed (RFC 3986 §5.2.4). Routing
 * compares this with the path as sent, so an encoding trick cannot pick a different API.
 * @param path - the path as sent
 */
export function normalizePath(path: string): string {
  let decoded = path.includes('%')
    ? path.replace(unreservedEscape, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    : path;
  if (!decoded.includes('//') && !decoded.includes('/.')) return decoded;
  decoded = decoded.replace(/\/{2,}/g, '/');
  const out: string[] = [];
  const segments = decoded.split('/');
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (segment === '.') {
      if (i === segments.length - 1) out.push('');
    } else if (segment === '..') {
      out.pop();
      if (i === segments.length - 1) out.push('');
    } else out.push(segment);
  }
  return `/${out.join('/')}`;
}
