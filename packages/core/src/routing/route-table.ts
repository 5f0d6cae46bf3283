/** A routable API: bound to a hostname (or every host) and a base path. */
export interface Routable {
  /** Lower-case hostname, or `undefined` for every host. */
  readonly host: string | undefined;
  /** `/` or a path without trailing slash. */
  readonly basePath: string;
}

/**
 * Finds the API for a host and path by longest base-path prefix on segment boundaries
 * (`/api` matches `/api`, `/api/`, `/api/x`, never `/apix`), among the APIs bound to the request's
 * host and the host-less ones together; on a tie the host-bound API wins. So a host-bound catch-all
 * `/` never shadows a longer, protected host-less `/admin`. A lookup costs one map probe per path
 * segment, whatever the number of APIs.
 */
export class RouteTable<T extends Routable> {
  readonly #byHost = new Map<string, Map<string, T>>();
  readonly #anyHost = new Map<string, T>();
  readonly #caseSensitive: boolean;

  /**
   * @param apis - the APIs; keys must be unique (config validation guarantees it)
   * @param caseSensitive - compare paths case-sensitively
   */
  constructor(apis: readonly T[], caseSensitive: boolean) {
    this.#caseSensitive = caseSensitive;
    for (const api of apis) {
      let table = this.#anyHost;
      if (api.host !== undefined) {
        table = this.#byHost.get(api.host) ?? new Map<string, T>();
        this.#byHost.set(api.host, table);
      }
      table.set(this.#key(api.basePath), api);
    }
  }

  /**
   * The API serving this host and path, or `undefined`.
   * @param host - lower-case hostname without port
   * @param path - request path without query
   */
  match(host: string, path: string): T | undefined {
    const key = this.#key(path);
    const table = this.#byHost.get(host);
    const own = table === undefined ? undefined : lookup(table, key);
    const any = lookup(this.#anyHost, key);
    if (own === undefined) return any?.api;
    return any !== undefined && any.length > own.length ? any.api : own.api;
  }

  #key(path: string): string {
    return this.#caseSensitive ? path : path.toLowerCase();
  }
}

/** The API with the longest base path covering `path`, and that base path's length. */
function lookup<T>(table: Map<string, T>, path: string): { api: T; length: number } | undefined {
  if (table.size === 0) return undefined;
  let candidate = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  for (;;) {
    const hit = table.get(candidate);
    if (hit !== undefined) return { api: hit, length: candidate.length };
    if (candidate === '/' || candidate === '') return undefined;
    const slash = candidate.lastIndexOf('/');
    if (slash === -1) return undefined;
    candidate = slash === 0 ? '/' : candidate.slice(0, slash);
  }
}
