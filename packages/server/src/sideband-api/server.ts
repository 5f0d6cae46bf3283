import { randomBytes, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createGuard, type Guard, type Logger, type LogMethod } from '@sideguard/core';
import { readBody } from './http-body';
import { badRequest, type PhaseContext, type PhaseReply, requestPhase, responsePhase } from './phases';
import { checkSecretStoreState, SecretStore } from './secrets/secret-store';
import { StateSealer } from './state-seal';
import {
  defaultRequestLimitBytes,
  type SidebandApiReload,
  type SidebandApiServer,
  type SidebandApiServerOptions,
} from './types';

/** Settings a reload may change; replaced as a whole, read once per call. */
interface Settings {
  /** Shared-secret header name, lower case (as Node stores incoming names). */
  readonly header: string;
  readonly requestLimitBytes: number;
  readonly stateTtlMs: number;
}

const phases = { '/sideband/request': requestPhase, '/sideband/response': responsePhase } as const;
const invalidToken = { message: 'The Gateway Token is invalid' };
/** How long close() lets calls under way finish before cutting their connections. */
const closeGraceMs = 10_000;
/** Refused calls are logged at most this often, with a count of those held back (a flood must not flood logs). */
const refusalLogIntervalMs = 60_000;

/**
 * Starts a PingAuthorize-compatible Sideband API server deciding with a Sideguard guard, so any gateway
 * with a PingAuthorize plugin (Kong's ping-auth, Sideguard's own connector, …) can call it.
 *
 * `POST /sideband/request` answers the deny object or the request with the guard's changes and a sealed
 * `state`; `POST /sideband/response` answers the response, rewritten by response rules. Checks run in
 * the order: endpoint (404, 405), shared secret (401), size (413), JSON and shape (400).
 * @param options - guard configuration, secrets, listening address, TLS, limits
 * @returns the running server, already listening
 * @throws ConfigError for an invalid configuration; TypeError for other bad options; the listen error
 */
export async function startSidebandApiServer(options: SidebandApiServerOptions = {}): Promise<SidebandApiServer> {
  const server = new SidebandApi(options);
  await server.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return server;
}

class SidebandApi implements SidebandApiServer {
  readonly secrets: SecretStore;
  readonly #guard: Guard;
  readonly #logger: Logger;
  readonly #sealer: StateSealer;
  readonly #server: Server;
  readonly #tls: boolean;
  #settings: Settings;
  #url = '';
  #port = 0;
  #closing: Promise<void> | undefined;
  #lastRefusalLog = Number.NEGATIVE_INFINITY;
  #refusalsHeldBack = 0;

  constructor(options: SidebandApiServerOptions) {
    const { port = 0 } = options;
    if (!Number.isInteger(port) || port < 0 || port > 65_535) fail('port', 'must be an integer from 0 to 65535');
    this.#settings = resolveSettings(
      { header: 'client-token', requestLimitBytes: defaultRequestLimitBytes, stateTtlMs: 300_000 },
      options,
    );
    if (options.stateKey !== undefined && options.stateKey.byteLength !== 32) fail('stateKey', 'must be 32 bytes');
    if (options.tls !== undefined && !(isPem(options.tls.cert) && isPem(options.tls.key))) {
      fail('tls', 'needs cert and key (PEM strings or Buffers)');
    }
    this.#logger = options.logger ?? stderrLogger;
    this.secrets = options.secrets ?? new SecretStore();
    this.#sealer = new StateSealer(options.stateKey ?? randomBytes(32));
    this.#guard = createGuard(options.config ?? {}, {
      logger: this.#logger,
      ...(options.onAudit === undefined ? {} : { onAudit: options.onAudit }),
      ...(options.redis === undefined ? {} : { redis: options.redis }),
    });
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch((error: unknown) => {
        // Only a defect gets here: the guard never rejects and client failures are handled in place.
        this.#logger.error({ err: describe(error) }, 'Sideband API call failed unexpectedly');
        if (!res.headersSent && !res.destroyed)
          this.#send(res, { status: 500, correlationId: randomUUID(), body: { message: 'Internal error' } });
        else res.destroy();
      });
    };
    this.#tls = options.tls !== undefined;
    // Sideband calls are small and sent at once: a client trickling a call in is cut off after 30 s.
    const limits = { requestTimeout: 30_000, headersTimeout: 20_000 };
    this.#server = options.tls
      ? createHttpsServer({ ...limits, cert: options.tls.cert, key: options.tls.key }, handler)
      : createHttpServer(limits, handler);
    // Gateways keep idle connections for 60 s (ping-auth, Sideguard): closing sooner would race their reuse.
    this.#server.keepAliveTimeout = 65_000;
  }

  get url(): string {
    return this.#url;
  }

  get port(): number {
    return this.#port;
  }

  async listen(host: string, port: number): Promise<void> {
    try {
      await new Promise<void>((resolve, reject) => {
        this.#server.once('error', reject);
        this.#server.listen(port, host, () => {
          this.#server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      await this.#guard.close();
      throw error;
    }
    const address = this.#server.address();
    this.#port = typeof address === 'object' && address !== null ? address.port : port;
    this.#url = `${this.#tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${this.#port}`;
    if (!this.secrets.list().some((secret) => secret.inUse)) {
      this.#logger.warn({}, 'No shared secret is in use: every sideband call is refused until one is added');
    }
  }

  reload(changes: SidebandApiReload): void {
    // Everything is checked before anything changes; the guard's reload is itself all or nothing.
    const settings = resolveSettings(this.#settings, changes);
    if (changes.secrets !== undefined) checkSecretStoreState(changes.secrets);
    if (changes.config !== undefined) this.#guard.reload(changes.config);
    if (changes.secrets !== undefined) this.secrets.load(changes.secrets);
    this.#settings = settings;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await new Promise<void>((resolve) => {
        const cut = setTimeout(() => this.#server.closeAllConnections(), closeGraceMs);
        this.#server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        this.#server.closeIdleConnections();
      });
      await this.#guard.close();
    })();
    return this.#closing;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const phase = Object.hasOwn(phases, path) ? phases[path as keyof typeof phases] : undefined;
    if (phase === undefined) return this.#send(res, plain(404, 'Not found'));
    if (req.method !== 'POST') return this.#send(res, plain(405, 'Use POST'), { Allow: 'POST' });
    const settings = this.#settings;
    const presented = req.headersDistinct[settings.header];
    // A repeated header is ambiguous: refused rather than guessing which copy counts.
    const secret =
      presented?.length === 1
        ? await this.secrets.verify(presented[0], Date.now(), req.socket.remoteAddress ?? '')
        : undefined;
    if (secret === undefined) {
      this.#noteRefusal(req, presented === undefined ? 'missing' : 'wrong');
      return this.#send(res, { status: 401, correlationId: randomUUID(), body: invalidToken });
    }
    let raw: Buffer | undefined;
    try {
      raw = await readBody(req, settings.requestLimitBytes);
    } catch {
      res.destroy(); // The client went away mid-body: nobody to answer.
      return;
    }
    if (raw === undefined) {
      const message = `The request body is larger than ${settings.requestLimitBytes} bytes`;
      return this.#send(res, plain(413, message));
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      // The parser's message quotes the body, which may hold credentials: it is not passed on.
      return this.#send(res, badRequest('The request body is not valid JSON'));
    }
    const context: PhaseContext = {
      guard: this.#guard,
      sealer: this.#sealer,
      stateTtlMs: settings.stateTtlMs,
      now: Date.now(),
    };
    this.#send(res, await phase(context, body));
  }

  #send(res: ServerResponse, reply: PhaseReply, extra: Record<string, string> = {}): void {
    if (res.destroyed || res.writableEnded) return;
    const text = JSON.stringify(reply.body);
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      'Correlation-Id': reply.correlationId,
      ...extra,
    };
    // An unread body (refused call) or a server shutting down: end the connection after this answer.
    if (!res.req.complete || this.#closing !== undefined) headers.Connection = 'close';
    res.writeHead(reply.status, headers);
    res.end(text);
  }

  #noteRefusal(req: IncomingMessage, reason: 'missing' | 'wrong'): void {
    const now = Date.now();
    if (now - this.#lastRefusalLog < refusalLogIntervalMs) {
      this.#refusalsHeldBack++;
      return;
    }
    this.#logger.warn(
      { remoteAddress: req.socket.remoteAddress, reason, refusedSinceLastLog: this.#refusalsHeldBack },
      'Sideband call refused: missing or wrong shared secret',
    );
    this.#lastRefusalLog = now;
    this.#refusalsHeldBack = 0;
  }
}

function plain(status: number, message: string): PhaseReply {
  return { status, correlationId: randomUUID(), body: { message } };
}

function resolveSettings(
  base: Settings,
  changes: Pick<SidebandApiReload, 'sharedSecretHeader' | 'requestLimitBytes' | 'stateTtlSeconds'>,
): Settings {
  const { sharedSecretHeader, requestLimitBytes, stateTtlSeconds } = changes;
  if (sharedSecretHeader !== undefined && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(sharedSecretHeader)) {
    fail('sharedSecretHeader', 'must be an HTTP header name');
  }
  if (requestLimitBytes !== undefined && (!Number.isSafeInteger(requestLimitBytes) || requestLimitBytes < 1)) {
    fail('requestLimitBytes', 'must be a positive integer');
  }
  if (stateTtlSeconds !== undefined && (!Number.isSafeInteger(stateTtlSeconds) || stateTtlSeconds < 1)) {
    fail('stateTtlSeconds', 'must be a positive integer');
  }
  return {
    header: sharedSecretHeader?.toLowerCase() ?? base.header,
    requestLimitBytes: requestLimitBytes ?? base.requestLimitBytes,
    stateTtlMs: stateTtlSeconds === undefined ? base.stateTtlMs : stateTtlSeconds * 1000,
  };
}

function isPem(value: unknown): boolean {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

function fail(option: string, message: string): never {
  throw new TypeError(`Sideband API server option ${option}: ${message}`);
}

function describe(error: unknown): Record<string, unknown> {
  return error instanceof Error ? { type: error.name, message: error.message } : { type: typeof error };
}

function toStderr(level: string): LogMethod {
  return (context, message) => {
    process.stderr.write(
      `${JSON.stringify({ level, time: Date.now(), name: 'sideguard-sideband-api', ...context, msg: message })}\n`,
    );
  };
}

/** Warnings and errors as JSON lines on stderr, like the guard's default. */
const stderrLogger: Logger = { debug: () => {}, info: () => {}, warn: toStderr('warn'), error: toStderr('error') };
