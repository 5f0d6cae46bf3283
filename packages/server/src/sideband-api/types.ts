import type { AuditSink, Logger, RedisClientLike, SideguardConfigInput } from '@sideguard/core';
import type { SecretStore, SecretStoreState } from './secrets/secret-store';

/**
 * Default largest sideband call: 8 MiB. A gateway sends bodies up to 1 MiB by default, and JSON can
 * escape a body to six times its size (`\u0000`) before headers are added; Ping's own test set-up uses
 * 1 MiB, which refuses such calls.
 */
export const defaultRequestLimitBytes = 8 * 1024 * 1024;

/** Options of {@link startSidebandApiServer}. */
export interface SidebandApiServerOptions {
  /** The Sideguard configuration deciding requests (APIs, profiles, rate limits, rules); default `{}`. */
  config?: SideguardConfigInput;
  /** The named shared secrets; default an empty store, which refuses every call until a secret is added. */
  secrets?: SecretStore;
  /** Header carrying the shared secret, matched in any case; default `CLIENT-TOKEN`. */
  sharedSecretHeader?: string;
  /** Largest call body in bytes, answered 413 beyond; default {@link defaultRequestLimitBytes}. */
  requestLimitBytes?: number;
  /**
   * 32-byte key sealing `state`. Default: random per process, so a `state` only opens on the server that
   * made it — several servers behind one load balancer need the same key.
   */
  stateKey?: Uint8Array;
  /** How long a `state` can be sent back, in seconds; default 300. */
  stateTtlSeconds?: number;
  /** Address to listen on; default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; default 0 (a free port, see {@link SidebandApiServer.url}). */
  port?: number;
  /** PEM certificate and key: HTTPS when given, HTTP otherwise. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** A pino-compatible logger for the server and its guard; default: warnings and errors as JSON on stderr. */
  logger?: Logger;
  /** Receives one audit event per exchange of a configured API (passed to the guard). */
  onAudit?: AuditSink;
  /** A connected Redis client, for `rateLimits.store.type: "redis"` (passed to the guard). */
  redis?: RedisClientLike;
}

/** What {@link SidebandApiServer.reload} can change while serving; everything else needs a restart. */
export interface SidebandApiReload {
  /** A new Sideguard configuration. */
  config?: SideguardConfigInput;
  /** Replaces every secret and the accepted set (see {@link SecretStore.load}). */
  secrets?: SecretStoreState;
  sharedSecretHeader?: string;
  requestLimitBytes?: number;
  stateTtlSeconds?: number;
}

/** A running Sideband API server. */
export interface SidebandApiServer {
  /** Base URL of the endpoints, `http(s)://host:port`; gateways post to `{url}/sideband/request`. */
  readonly url: string;
  readonly port: number;
  /** The shared secrets; changes apply to the next call. */
  readonly secrets: SecretStore;
  /**
   * Applies new settings at once, all or nothing: calls under way finish on the old ones, new calls use
   * the new ones, and nothing stops listening.
   * @param changes - what to change
   * @throws ConfigError for an invalid configuration, SecretStoreError for invalid secrets, TypeError
   *   for another bad value; nothing has changed then
   */
  reload(changes: SidebandApiReload): void;
  /** Stops accepting calls, lets calls under way finish (up to 10 s), closes the guard. */
  close(): Promise<void>;
}
