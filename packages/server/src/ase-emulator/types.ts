/**
 * An ASE API definition, reduced to what the emulator needs: where the API lives (host + URL prefix)
 * and which client identifiers ASE reads from its calls (protocol reference §6 and §8).
 */
export interface AseApiDefinition {
  /** Name of the API, for people reading the configuration. */
  name: string;
  /** Host name the API is served on, compared case-insensitively without the port; `'*'` matches any host. */
  hostname: string;
  /** URL prefix such as `/shop`, matched on whole path segments; `'/'` matches every path. */
  url: string;
  /**
   * Out-of-context decoy API: any call under it puts the caller's `source_ip` on the ip deny list, so its
   * later calls to real APIs get 403 (seed 000 honeypot).
   */
  decoy?: boolean;
  /** Client identifier: request header holding an API key (name compared case-insensitively). */
  apiKeyHeader?: string;
  /** Client identifier: query parameter holding an API key. */
  apiKeyQuery?: string;
  /** Client identifier: name of a cookie in the `cookie` header. */
  cookie?: string;
  /** Client identifier: the bearer token of the `authorization` header. */
  oauthToken?: boolean;
}

/** Deny lists by client identifier, as ABS would push them to ASE; a listed identifier is answered 403. */
export interface AseDenyLists {
  /** Client IP addresses, compared with `source_ip` as sent. */
  ip?: string[];
  /** User names, compared with every `user_info[].username`. */
  username?: string[];
  /** API keys, read from the header or query parameter the matched definition names. */
  apiKey?: string[];
  /** OAuth access tokens, read from `authorization: Bearer …` when the definition has `oauthToken`. */
  oauthToken?: string[];
  /** Cookie values of the cookie the matched definition names. */
  cookie?: string[];
}

/** Fault injected into every call: see {@link AseEmulator.setFault}. */
export type AseFault = 'normal' | 'hang' | 'garbage' | { status: number };

/** Options of {@link startAseEmulator}. */
export interface AseEmulatorOptions {
  /** Address to listen on; default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; default 0 (a free port, see {@link AseEmulator.url}). */
  port?: number;
  /** PEM certificate and key: the emulator serves HTTPS when given, HTTP otherwise. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** When set, sideband calls must carry `ASE-Token` with this value, else they are answered 401. */
  token?: string;
  /** API definitions; default one catch-all `{ name: 'all', hostname: '*', url: '/' }`. */
  apis?: AseApiDefinition[];
  /** Initial deny lists (copied; change them later with {@link AseEmulator.deny} and {@link AseEmulator.allow}). */
  denyLists?: AseDenyLists;
  /** Largest accepted call body in bytes; default 1 MiB. Larger bodies are answered 413. */
  maxBodyBytes?: number;
  /** How many calls {@link AseEmulator.records} keeps, the oldest dropped first; default 1,000. */
  maxRecords?: number;
  /** Keep connections open between calls (ase.conf `enable_sideband_keepalive`); default true. False answers `Connection: close`. */
  keepAlive?: boolean;
}

/** One sideband call the emulator received, with the status it answered. */
export interface AseRecord {
  /** `request` for `POST /ase/request`, `response` for `POST /ase/response`. */
  phase: 'request' | 'response';
  /** The `X-CorrelationID` header, if sent. */
  correlationId: string | undefined;
  /** The `ASE-Token` header, if sent (so tests can check what a client sends). */
  token: string | undefined;
  /** The parsed JSON body; the raw text when it was not JSON; `undefined` when it was not read (401, 413). */
  body: unknown;
  /** The status the emulator answered. */
  verdict: number;
  /** When the call was answered (milliseconds since the epoch). */
  at: number;
}

/** A running ASE emulator. */
export interface AseEmulator {
  /** Base URL of the sideband endpoints, `http(s)://host:port`. */
  readonly url: string;
  /** The calls received, oldest first (a snapshot, bounded by `maxRecords`). */
  readonly records: readonly AseRecord[];
  /** Connections accepted so far (to prove keep-alive in tests). */
  readonly connections: number;
  /**
   * Adds a value to a deny list.
   * @param list - which identifier the value is
   * @param value - the identifier to block
   */
  deny(list: keyof AseDenyLists, value: string): void;
  /**
   * Removes a value from a deny list.
   * @param list - which identifier the value is
   * @param value - the identifier to unblock
   */
  allow(list: keyof AseDenyLists, value: string): void;
  /** Forgets every recorded call. */
  clearRecords(): void;
  /**
   * Test hook for fault injection, applied to every later call (health checks included):
   * `'normal'` behaves; `'hang'` accepts and never answers; `'garbage'` writes bytes that are not HTTP and
   * drops the connection; `{ status }` answers every call with that status.
   * @param fault - the fault to inject
   */
  setFault(fault: AseFault): void;
  /** Stops listening and destroys every connection, hanging ones included. */
  close(): Promise<void>;
}
