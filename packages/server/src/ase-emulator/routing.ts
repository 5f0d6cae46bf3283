import type { AseApiDefinition } from './types';

/**
 * Finds the API definition a call belongs to, as ASE routes: by host name first, then by the longest URL
 * prefix. Definitions naming the host win over `'*'` ones whenever one of them matches the path, even
 * when a `'*'` definition has a longer prefix.
 * @param apis - the definitions
 * @param host - the `host` header entry (any case, port allowed), or `undefined` when absent
 * @param url - the call's `url` (path and query)
 * @returns the definition, or `undefined` (ASE answers `503 Error: Unknown API`)
 */
export function findApi(
  apis: readonly AseApiDefinition[],
  host: string | undefined,
  url: string,
): AseApiDefinition | undefined {
  const path = pathOf(url);
  const hostname = host === undefined ? undefined : hostnameOf(host);
  const specific = apis.filter((api) => api.hostname !== '*' && api.hostname.toLowerCase() === hostname);
  return (
    longestPrefix(specific, path) ??
    longestPrefix(
      apis.filter((api) => api.hostname === '*'),
      path,
    )
  );
}

/**
 * The host name of a `host` header value: lower-cased, port and IPv6 brackets removed.
 * @param host - e.g. `Shop.example:8443` or `[::1]:80`
 */
export function hostnameOf(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(1, end);
  }
  const colon = value.indexOf(':');
  // More than one colon is a bare IPv6 address, which has no port.
  return colon === -1 || value.indexOf(':', colon + 1) !== -1 ? value : value.slice(0, colon);
}

/**
 * Whether a path lies under a prefix on segment boundaries: `/shop` covers `/shop` and `/shop/books`,
 * not `/shopping`.
 * @param path - the call's path, without query
 * @param prefix - the definition's `url`
 */
export function underPrefix(path: string, prefix: string): boolean {
  const base = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return base === '/' || path === base || path.startsWith(`${base}/`);
}

function longestPrefix(apis: readonly AseApiDefinition[], path: string): AseApiDefinition | undefined {
  let best: AseApiDefinition | undefined;
  for (const api of apis) {
    if (underPrefix(path, api.url) && (best === undefined || segmentLength(api.url) > segmentLength(best.url))) {
      best = api;
    }
  }
  return best;
}

function segmentLength(prefix: string): number {
  return prefix.split('/').filter((segment) => segment !== '').length;
}

function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}
