import { performance } from 'node:perf_hooks';
import { isFieldValue, isToken } from '../../http/fields';
import { type Logger, stderrLogger } from '../../telemetry/logger';
import { EndpointHealth, type SidebandStatus } from './endpoint-health';
import { EndpointPool, type SidebandReply } from './endpoint-pool';
import { parseEndpointUrl } from './endpoint-url';
import { type SidebandAttemptFailure, SidebandTransportError } from './errors';
import { type SidebandHealthCheckOptions, startHealthChecks } from './health-check';
import { resolveTlsOptions, type SidebandTlsOptions } from './tls-options';

/** Options of {@link SidebandClient}. */
export interface SidebandClientOptions {
  /** Ordered base URLs, primary first: `http(s)://host:port[/base-path]`. At least one. */
  endpoints: readonly string[];
  /** TCP + TLS connect timeout in ms. Default 500. */
  connectTimeoutMs?: number;
  /** Time allowed for one attempt (connect, send, headers and body) in ms. Default 500. */
  requestTimeoutMs?: number;
  /** Keep-alive connections per endpoint. Default 16. */
  connections?: number;
  /**
   * How long an idle connection stays open, in ms; a shorter `Keep-Alive: timeout` from the endpoint
   * wins. Default: undici's (4 s).
   */
  keepAliveMs?: number;
  /** Largest accepted reply body in bytes; a larger reply fails the attempt. Default 64 KiB. */
  maxResponseBytes?: number;
  /**
   * After a more preferred endpoint (the primary) failed, one call tries it again this long after the
   * failure (passive recovery). Default 30 000 ms. Not used when `healthCheck` is set: the probes decide.
   */
  recoveryCooldownMs?: number;
  /** Optional active health checks, e.g. `{ path: '/ase', intervalMs: 5000 }` for ASE. */
  healthCheck?: SidebandHealthCheckOptions;
  /** TLS settings for `https:` endpoints. */
  tls?: SidebandTlsOptions;
  /** Where state changes and the TLS warning are logged. Default: warnings and errors on stderr. */
  logger?: Logger;
}

/** One sideband call. */
export interface SidebandRequest {
  /** HTTP method. */
  method: 'GET' | 'POST';
  /** Path appended to the endpoint's base path, starting with `/`, e.g. `/ase/request`. */
  path: string;
  /** Request headers. Their values are never logged nor put in errors. */
  headers: Record<string, string>;
  /** Request body. */
  body?: string | Uint8Array;
  /** Total time for the call including a retry, in ms. Default 2 × `requestTimeoutMs`. */
  budgetMs?: number;
  /** Retry once on another endpoint after a transport failure (never after an HTTP status). Default true. */
  retry?: boolean;
}

const DEFAULTS = {
  connectTimeoutMs: 500,
  requestTimeoutMs: 500,
  connections: 16,
  maxResponseBytes: 64 * 1024,
  recoveryCooldownMs: 30_000,
} as const;

/** Largest delay Node timers accept; larger values would fire after 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;
/** A retry with less time than this left could not complete a TLS handshake; it is not worth starting. */
const MIN_RETRY_MS = 10;

function number(value: unknown, name: string, options: { min: number; integer?: boolean }): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= options.min &&
    value <= MAX_TIMER_MS &&
    (options.integer !== true || Number.isInteger(value));
  if (!ok) {
    const kind = options.integer === true ? 'an integer' : 'a number';
    throw new Error(`Sideband: \`${name}\` must be ${kind} from ${options.min} to ${MAX_TIMER_MS}`);
  }
  return value;
}

function healthCheckOptions(
  value: SidebandHealthCheckOptions | undefined,
  requestTimeoutMs: number,
): Required<SidebandHealthCheckOptions> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw new Error('Sideband: `healthCheck` must be an object');
  if (typeof value.path !== 'string' || !value.path.startsWith('/')) {
    throw new Error("Sideband: `healthCheck.path` must start with '/'");
  }
  return {
    path: value.path,
    intervalMs: number(value.intervalMs, 'healthCheck.intervalMs', { min: 1 }),
    timeoutMs: number(value.timeoutMs ?? requestTimeoutMs, 'healthCheck.timeoutMs', { min: 1 }),
  };
}

/** What undici accepts in a request path. */
const pathCharacters = /^[\x21-\xff]*$/;

function checkRequest(request: SidebandRequest): void {
  if (typeof request !== 'object' || request === null) throw new TypeError('Sideband: a request object is required');
  if (request.method !== 'GET' && request.method !== 'POST') {
    throw new TypeError("Sideband: `method` must be 'GET' or 'POST'");
  }
  if (typeof request.path !== 'string' || !request.path.startsWith('/') || !pathCharacters.test(request.path)) {
    throw new TypeError("Sideband: `path` must start with '/' and hold no spaces or control characters");
  }
  // undici refuses such a request only once it holds a pooled connection, which then stays stuck
  // waiting for a drain that never comes: refuse it before it reaches the pool.
  for (const name in request.headers) {
    const value = request.headers[name];
    if (!isToken(name) || typeof value !== 'string' || !isFieldValue(value)) {
      throw new TypeError('Sideband: header names must be tokens and values must be valid header values');
    }
  }
  if (request.budgetMs !== undefined) number(request.budgetMs, 'budgetMs', { min: 1 });
}

function describeAttempts(attempts: readonly SidebandAttemptFailure[]): string {
  return attempts
    .map(({ endpoint, code, detail }) => `${endpoint} ${code}${detail === undefined ? '' : ` (${detail})`}`)
    .join(', ');
}

/**
 * The HTTP transport shared by the sideband connectors (PingIntelligence ASE, PingAuthorize): one
 * keep-alive undici pool per endpoint, failover to the next endpoint on transport failures with at most
 * one retry per call within its time budget, passive recovery to the primary after a cooldown or active
 * health checks, bounded reply sizes, and TLS with custom CAs and client certificates.
 *
 * An HTTP status of any value is a reply: judging it is the connector's job. Only failures to get a
 * complete reply (see {@link SidebandTransportError}) mark an endpoint unhealthy.
 */
export class SidebandClient {
  readonly #pools: readonly EndpointPool[];
  readonly #health: EndpointHealth;
  readonly #requestTimeoutMs: number;
  readonly #stopHealthChecks: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  /**
   * Checks the options, reads TLS files and creates one pool per endpoint. No connection is opened yet.
   * @param options - endpoints, limits, TLS, health checks, logger
   * @throws Error with a message naming the bad option (no endpoints, bad URL, unreadable CA file…)
   */
  constructor(options: SidebandClientOptions) {
    if (typeof options !== 'object' || options === null) throw new Error('Sideband: options are required');
    const { endpoints } = options;
    if (!Array.isArray(endpoints) || endpoints.length === 0) {
      throw new Error('Sideband: `endpoints` must list at least one base URL');
    }
    const addresses = endpoints.map((value, index) => parseEndpointUrl(value, index));
    const urls = addresses.map((address) => address.url);
    const duplicate = urls.findIndex((url, index) => urls.indexOf(url) !== index);
    if (duplicate !== -1) throw new Error(`Sideband: \`endpoints[${duplicate}]\` repeats an earlier endpoint`);

    const connectTimeoutMs = number(options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs, 'connectTimeoutMs', {
      min: 1,
    });
    const requestTimeoutMs = number(options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs, 'requestTimeoutMs', {
      min: 1,
    });
    const connections = number(options.connections ?? DEFAULTS.connections, 'connections', { min: 1, integer: true });
    const keepAliveMs =
      options.keepAliveMs === undefined ? undefined : number(options.keepAliveMs, 'keepAliveMs', { min: 1 });
    const maxResponseBytes = number(options.maxResponseBytes ?? DEFAULTS.maxResponseBytes, 'maxResponseBytes', {
      min: 0,
      integer: true,
    });
    const recoveryCooldownMs = number(options.recoveryCooldownMs ?? DEFAULTS.recoveryCooldownMs, 'recoveryCooldownMs', {
      min: 0,
    });
    const healthCheck = healthCheckOptions(options.healthCheck, requestTimeoutMs);
    const logger = options.logger ?? stderrLogger;
    const tls = resolveTlsOptions(options.tls, logger);

    this.#requestTimeoutMs = requestTimeoutMs;
    this.#health = new EndpointHealth(urls, {
      recoveryCooldownMs: healthCheck === undefined ? recoveryCooldownMs : undefined,
      logger,
    });
    this.#pools = addresses.map(
      (address) =>
        new EndpointPool(address, {
          connections,
          connectTimeoutMs,
          requestTimeoutMs,
          maxResponseBytes,
          tls,
          keepAliveMs,
        }),
    );
    this.#stopHealthChecks =
      healthCheck === undefined ? undefined : startHealthChecks(this.#pools, this.#health, healthCheck, Date.now);
  }

  /**
   * Sends a request to the active endpoint; after a transport failure, retries once on the next endpoint
   * when `retry` allows and the budget has time left.
   * @param request - method, path, headers, body, budget
   * @returns the reply, whatever its status
   * @throws SidebandTransportError (as a rejection) when every attempt failed or the client is closed;
   *   TypeError for a malformed request
   */
  async send(request: SidebandRequest): Promise<SidebandReply> {
    if (this.#closing !== undefined) throw closedError();
    checkRequest(request);
    const budgetMs = request.budgetMs ?? 2 * this.#requestTimeoutMs;
    const maxAttempts = request.retry === false ? 1 : 2;
    const started = performance.now();
    const failures: SidebandAttemptFailure[] = [];
    let index = this.#health.first(Date.now());
    for (;;) {
      const pool = this.#pools[index];
      if (pool === undefined || this.#closing !== undefined) throw closedError(failures);
      const remaining = budgetMs - (performance.now() - started);
      const attemptStartedAt = Date.now();
      const result = await pool.attempt(
        {
          method: request.method,
          path: `${pool.address.basePath}${request.path}`,
          headers: request.headers,
          body: request.body,
        },
        Math.max(1, Math.min(this.#requestTimeoutMs, remaining)),
      );
      if (result.ok) {
        this.#health.markSuccess(index, attemptStartedAt);
        return result.reply;
      }
      if (!result.endpointFault) throw result.error;
      this.#health.markFailure(index, Date.now(), result.failure.code);
      failures.push(result.failure);
      const next = this.#health.retryTarget(index);
      const left = budgetMs - (performance.now() - started);
      if (failures.length >= maxAttempts || next === undefined || left < MIN_RETRY_MS) {
        throw failures.length === 1
          ? result.error
          : new SidebandTransportError(
              result.failure.code,
              `Sideband call failed on every attempt: ${describeAttempts(failures)}`,
              { endpoint: result.failure.endpoint, cause: result.error.cause, attempts: failures },
            );
      }
      index = next;
    }
  }

  /** The active endpoint and the health of every endpoint. */
  status(): SidebandStatus {
    return this.#health.snapshot();
  }

  /**
   * Stops health checks and closes every pool once its in-flight requests end, waiting at most
   * `requestTimeoutMs` (no attempt lasts longer). Idempotent. Calls made afterwards reject with code `closed`.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#stopHealthChecks?.();
      this.#closing = Promise.all(this.#pools.map((pool) => pool.close(this.#requestTimeoutMs))).then(() => undefined);
    }
    return this.#closing;
  }
}

function closedError(attempts: readonly SidebandAttemptFailure[] = []): SidebandTransportError {
  return new SidebandTransportError('closed', 'Sideband client is closed', { attempts });
}
