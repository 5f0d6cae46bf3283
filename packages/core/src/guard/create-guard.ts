import { type CompiledConfig, compileConfig } from '../config/compile';
import { configDirOf } from '../config/load-config';
import { type SideguardConfigInput, sidebandConnectors } from '../config/schema';
import type { ContinueReason, RequestDecision, ResponseCapture, StageResponse } from '../decision/request-decision';
import { jsonErrorResponse, mergeResponseCapture } from '../decision/request-decision';
import { BodyTooLargeError } from '../errors/body-errors';
import { ConfigError } from '../errors/config-error';
import { isSideguardError } from '../errors/sideguard-error';
import { createGatewayRequest, type GatewayRequestInit } from '../http/gateway-request';
import type { GatewayResponse, ReplacementResponse } from '../http/gateway-response';
import { authStage } from '../pipeline/auth-stage';
import { ipRangeStage } from '../pipeline/ip-stage';
import { rateLimitStage } from '../pipeline/rate-limit-stage';
import { routeStage } from '../pipeline/route-stage';
import { rulesStage } from '../pipeline/rules-stage';
import { sidebandStage } from '../pipeline/sideband-stage';
import { sslStage } from '../pipeline/ssl-stage';
import { passThrough, type RequestStage } from '../pipeline/stage';
import type { RedisClientLike } from '../ratelimit/redis-client';
import { applyResponseRules, uncheckedResponse } from '../rules/apply-response-rules';
import { ruleMatches } from '../rules/match-rule';
import { pingAuthorizeCapture, pingAuthorizeResponse } from '../sideband/pingauthorize/response-phase';
import type { SidebandConnector } from '../sideband/sideband-connector';
import type { AuditSink } from '../telemetry/audit';
import { CauseLogger, type Logger, safeLogger, stderrLogger } from '../telemetry/logger';
import { buildRuntime, retireRuntime } from './build-runtime';
import { type ApiInfo, type Exchange, ExchangeState } from './exchange';
import { type ExchangeSnapshot, restoreExchange, snapshotExchange } from './exchange-snapshot';
import type { GuardRuntime } from './guard-runtime';

/** Services the guard uses; all optional. */
export interface GuardDeps {
  /** A pino-compatible logger; default: warnings and errors as JSON on stderr. */
  logger?: Logger;
  /** Receives one audit event per request that matched an API. */
  onAudit?: AuditSink;
  /** Monotonic clock in milliseconds, for latency; default `performance.now`. For tests. */
  now?: () => number;
  /** Wall clock in milliseconds, for cache, lockout and rate-limit windows; default `Date.now`. For tests. */
  wallClock?: () => number;
  /** A connected Redis client (ioredis or node-redis), for `rateLimits.store.type: "redis"`. */
  redis?: RedisClientLike;
}

/** Health of the guard's shared dependencies. */
export interface GuardStatus {
  /** The rate-limit store, and whether it is failing (its failure mode in force). */
  readonly rateLimitStore: { readonly kind: string; readonly degraded: boolean };
}

/** Sideguard's decision engine for one configuration, shared by all requests. */
export interface Guard {
  /**
   * Decides what happens to a request. Never rejects: failures become decisions under the
   * configured fail mode.
   * @param init - transport facts from an adapter
   */
  handleRequest(init: GatewayRequestInit): Promise<RequestDecision>;
  /**
   * Finishes an exchange the app or upstream answered: runs the response steps and records the audit
   * event. Resolves to the response to send: the same object when nothing changed, or a
   * `ReplacementResponse` (status, headers, whole body) that adapters send instead — only for
   * decisions with `captureResponse`. Never rejects.
   * @param exchange - from the `continue` decision
   * @param response - what the app or upstream produced
   */
  handleResponse(exchange: Exchange, response: GatewayResponse): Promise<GatewayResponse | ReplacementResponse>;
  /**
   * Captures an exchange that was let through so another process step can finish it later (the
   * Sideband API server's `state`). JSON-safe, without secrets, headers or body; `undefined` when the
   * request matched no API. Seal it before it leaves the process: restoring trusts it.
   * @param exchange - from a `continue` decision
   */
  snapshot(exchange: Exchange): ExchangeSnapshot | undefined;
  /**
   * Rebuilds an exchange from {@link Guard.snapshot} for `handleResponse`, against the config in
   * force. `undefined` when that config no longer has the API, profile or rules the snapshot names.
   * @param snapshot - a snapshot the caller has verified
   */
  restore(snapshot: ExchangeSnapshot): Exchange | undefined;
  /**
   * An exchange for a response whose request phase is not known here (a Sideband API response phase
   * without `state`): routing, and the response rules that may apply. Nobody is authenticated, so
   * conditions on profiles and claims — and with `target`, on headers too — count as met: a response
   * filter then removes rather than leaks. No counting; audited when the response is handled.
   * `undefined` when no API matches.
   * @param init - the request as far as it is known
   * @param known - `request` (method, URL and headers are known) or `target` (method and URL only)
   */
  exchangeFor(init: GatewayRequestInit, known?: 'request' | 'target'): Exchange | undefined;
  /**
   * Validates a new configuration and swaps it in atomically; exchanges already under way finish on
   * the old one. An invalid configuration leaves the current one in force.
   * @param config - the new configuration
   * @throws ConfigError listing every problem
   */
  reload(config: SideguardConfigInput): void;
  /** The APIs of the configuration in force. */
  readonly apis: readonly ApiInfo[];
  /** Health of shared dependencies, for readiness probes and dashboards. */
  status(): GuardStatus;
  /** Closes connection pools and timers (sideband clients); call on shutdown. */
  close(): Promise<void>;
}

const stages: readonly RequestStage[] = [
  routeStage,
  sslStage,
  authStage,
  ipRangeStage,
  rulesStage,
  rateLimitStage,
  sidebandStage,
];

/**
 * Creates a guard. The configuration is validated and compiled here, once.
 * @param config - the configuration
 * @param deps - logger, audit sink, clock
 * @throws ConfigError listing every problem with its path
 */
export function createGuard(config: SideguardConfigInput, deps: GuardDeps = {}): Guard {
  const logger = safeLogger(deps.logger ?? stderrLogger);
  const failures = new CauseLogger(logger);
  const now = deps.now ?? (() => performance.now());
  const onAudit = deps.onAudit;
  const wallClock = deps.wallClock ?? Date.now;
  const compile = (input: SideguardConfigInput): CompiledConfig => {
    const compiled = compileConfig(input, { baseDir: configDirOf(input), logger, now: wallClock });
    for (const warning of compiled.warnings) logger.warn({}, warning);
    return compiled;
  };
  let current = compile(config);
  const services = { failures, logger, wallClock, redis: deps.redis };
  let runtime = buildRuntime(current, undefined, services);
  /** Connectors a reload replaced, open until the exchanges using them are done. */
  const retiring = new Set<SidebandConnector>();

  function audit(
    exchange: ExchangeState,
    decision: 'continue' | 'respond',
    reason: string,
    status: number,
    responseBytes: number | undefined,
  ): void {
    if (onAudit === undefined || exchange.route === undefined) return;
    try {
      onAudit({
        exchangeId: exchange.id,
        api: exchange.route.info.name,
        profile: exchange.matchedProfile?.name,
        identity: exchange.identity,
        clientIp: exchange.request.clientIp,
        method: exchange.original.method,
        path: exchange.original.path,
        status,
        decision,
        reason,
        latencyMs: now() - exchange.startedAt,
        requestBytes: exchange.original.body.declaredLength ?? 0,
        responseBytes,
      });
    } catch (error) {
      failures.error('audit:sink', { err: describe(error) }, 'Audit sink threw; event dropped');
    }
  }

  /** Audit needs every matched exchange's response; connectors need it when they have a response phase. */
  function wantsResponse(exchange: ExchangeState): boolean {
    if (exchange.route === undefined) return false;
    if (onAudit !== undefined || exchange.responseRules.length > 0) return true;
    return exchange.route.sideband.some((name) => exchange.runtime.sideband[name]?.reportsResponses === true);
  }

  function respond(exchange: ExchangeState, response: StageResponse): RequestDecision {
    leaveConnectors(exchange, false);
    const body = response.body ?? '';
    audit(exchange, 'respond', response.reason, response.status, Buffer.byteLength(body));
    return {
      action: 'respond',
      reason: response.reason,
      exchange,
      status: response.status,
      headers: response.headers ?? [],
      body,
    };
  }

  function fail(exchange: ExchangeState, stage: string, error: unknown): RequestDecision {
    if (error instanceof BodyTooLargeError) {
      return respond(exchange, jsonErrorResponse(413, 'body-too-large', 'The request body is too large.'));
    }
    const code = isSideguardError(error) ? error.code : 'unexpected';
    failures.error(`${stage}:${code}`, { stage, err: describe(error) }, `Sideguard stage "${stage}" failed`);
    if (exchange.config.failOpen) {
      return proceed(exchange, 'error-fail-open');
    }
    return respond(exchange, jsonErrorResponse(500, 'error', 'The request could not be checked.'));
  }

  function proceed(exchange: ExchangeState, outcome: ContinueReason): RequestDecision {
    const reason = outcome === 'allowed' && exchange.failedOpen !== undefined ? exchange.failedOpen : outcome;
    exchange.continueReason = reason;
    leaveConnectors(exchange, true);
    return {
      action: 'continue',
      reason,
      exchange,
      request: exchange.request,
      responseHeaders: exchange.responseHeaders,
      observeResponse: wantsResponse(exchange),
      holdResponse:
        exchange.responseRules.length > 0 ||
        (exchange.route?.sideband.some((name) => exchange.runtime.sideband[name]?.holdsResponses === true) ?? false),
      captureResponse: mergeResponseCapture(rulesCapture(exchange), pingAuthorizeCapture(exchange)),
    };
  }

  async function decide(init: GatewayRequestInit): Promise<RequestDecision> {
    const config = current;
    const state = runtime;
    const startedAt = now();
    let exchange: ExchangeState;
    try {
      exchange = new ExchangeState(createGatewayRequest(init, config.read), config, state, startedAt);
    } catch (error) {
      return fail(new ExchangeState(placeholderRequest(init), config, state, startedAt), 'request', error);
    }
    let stage = 'route';
    try {
      for (const step of stages) {
        stage = step.name;
        let result = step.run(exchange);
        if (result instanceof Promise) result = await result;
        if (result === undefined) continue;
        if (result === passThrough) return proceed(exchange, 'unmatched');
        return respond(exchange, result);
      }
      return proceed(exchange, 'allowed');
    } catch (error) {
      return fail(exchange, stage, error);
    }
  }

  return {
    handleRequest(init) {
      // A throwing logger or audit sink is the last thing that could escape; it still ends in a decision.
      return decide(init).catch(() => lastResort(init, current, runtime));
    },
    async handleResponse(exchange, response) {
      if (exchange instanceof ExchangeState) {
        // PingAuthorize judges the response first; ASE and the rules see what it decided.
        const judged = await pingAuthorizeResponse(exchange, response);
        const ase = exchange.route?.sideband.includes('ase') === true ? exchange.runtime.sideband.ase : undefined;
        if (ase !== undefined) {
          const reported = ase.reportResponse(exchange, judged);
          if (ase.holdsResponses) await reported;
        }
        const final = finishWithRules(exchange, judged, failures);
        audit(exchange, 'continue', exchange.continueReason, final.status, finalBytes(response, final));
        return final;
      }
      return response;
    },
    snapshot(exchange) {
      return exchange instanceof ExchangeState ? snapshotExchange(exchange) : undefined;
    },
    restore(snapshot) {
      return restoreExchange(snapshot, current, runtime, now());
    },
    exchangeFor(init, known = 'request') {
      const exchange = new ExchangeState(createGatewayRequest(init, current.read), current, runtime, now());
      if (routeStage.run(exchange) !== undefined || exchange.route === undefined) return undefined;
      exchange.responseRules = current.rules.response.filter((rule) => ruleMatches(rule, exchange, known));
      return exchange;
    },
    reload(next) {
      try {
        const compiled = compile(next);
        const replaced = runtime;
        runtime = buildRuntime(compiled, { runtime, config: current }, services);
        current = compiled;
        retireRuntime(replaced, runtime, retiring);
      } catch (error) {
        if (error instanceof ConfigError)
          logger.error(
            { issues: error.issues },
            'Sideguard config reload rejected; the previous config stays in force',
          );
        throw error;
      }
      logger.info({ apis: current.apis.length }, 'Sideguard config reloaded');
    },
    get apis() {
      return current.apis.map((api) => api.info);
    },
    async close() {
      const { ase, pingauthorize } = runtime.sideband;
      const replaced = [...retiring].map((connector) => connector.client.close());
      await Promise.all([ase?.client.close(), pingauthorize?.client.close(), ...replaced]);
    },
    status() {
      const limiter = runtime.rateLimiter;
      return { rateLimitStore: { kind: limiter.store.kind, degraded: limiter.degraded } };
    },
  };
}

/** Response rules; an unexpected failure refuses the response rather than rejecting into the adapter. */
function finishWithRules(
  exchange: ExchangeState,
  response: GatewayResponse,
  failures: CauseLogger,
): GatewayResponse | ReplacementResponse {
  try {
    return applyResponseRules(exchange, response);
  } catch (error) {
    failures.error('rules:response:unexpected', { err: describe(error) }, 'Response rules failed; answered 502');
    return uncheckedResponse();
  }
}

/**
 * Lets go of the exchange's sideband connectors whose part is over, so a reload can close a replaced
 * one: all of them once the exchange is answered; when it is let through, those without a response
 * phase (the others let go when theirs settles, in `handleResponse`).
 */
function leaveConnectors(exchange: ExchangeState, letThrough: boolean): void {
  for (const name of sidebandConnectors) {
    const connector = exchange.runtime.sideband[name];
    if (connector !== undefined && !(letThrough && connector.reportsResponses)) connector.users.leave(exchange);
  }
}

/** Response rules read the body and may rewrite it; one too large to check is refused, not leaked. */
function rulesCapture(exchange: ExchangeState): ResponseCapture | undefined {
  if (exchange.responseRules.length === 0) return undefined;
  return { maxBytes: exchange.config.maxResponseBytes, onOverflow: uncheckedResponse() };
}

function finalBytes(response: GatewayResponse, final: GatewayResponse | ReplacementResponse): number | undefined {
  return final === response ? response.bodyBytes : (final.body?.byteLength ?? response.bodyBytes);
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof Error)
    return { type: error.name, message: error.message, ...(isSideguardError(error) ? { code: error.code } : {}) };
  return { type: typeof error };
}

/** A minimal request for the rare case where the real one could not be built from the transport facts. */
function placeholderRequest(init: GatewayRequestInit) {
  return createGatewayRequest(
    {
      method: String(init.method),
      target: '/',
      httpVersion: '1.1',
      headers: [],
      remoteAddress: undefined,
      remotePort: undefined,
      encrypted: false,
    },
    { trustedProxies: undefined, maxBodyBytes: 0 },
  );
}

/** The decision when even failure handling failed (a throwing logger): the fail mode, nothing logged. */
function lastResort(init: GatewayRequestInit, config: CompiledConfig, runtime: GuardRuntime): RequestDecision {
  const exchange = new ExchangeState(placeholderRequest(init), config, runtime, performance.now());
  if (config.failOpen) {
    return {
      action: 'continue',
      reason: 'error-fail-open',
      exchange,
      request: exchange.request,
      responseHeaders: [],
      observeResponse: false,
      holdResponse: false,
      captureResponse: undefined,
    };
  }
  const { status, headers = [], body = '' } = jsonErrorResponse(500, 'error', 'The request could not be checked.');
  return { action: 'respond', reason: 'error', exchange, status, headers, body };
}
