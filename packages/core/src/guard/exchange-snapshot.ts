import type { CompiledApi, CompiledConfig } from '../config/compile';
import type { ContinueReason } from '../decision/request-decision';
import { createGatewayRequest } from '../http/gateway-request';
import type { CompiledProfile } from '../profiles/compiled-profile';
import { ExchangeState } from './exchange';
import type { GuardRuntime } from './guard-runtime';

/**
 * What the guard needs to finish an exchange later, possibly in another process (the Sideband API
 * server's response phase): JSON-safe, no secrets, no request headers or body. Sealing it against
 * tampering is the caller's job.
 */
export interface ExchangeSnapshot {
  /** Format version. */
  readonly v: 1;
  /** The exchange id, kept so both phases audit under one id. */
  readonly id: string;
  /** Name of the matched API. */
  readonly api: string;
  readonly profile?: string;
  readonly identity?: string;
  readonly principal?: string;
  readonly clientId?: string;
  readonly clientIp: string;
  readonly method: string;
  /** Origin-form target of the request as it was let through. */
  readonly url: string;
  readonly host: string;
  readonly reason: ContinueReason;
  /** Names of the response rules the request matched. */
  readonly responseRules?: readonly string[];
}

/**
 * Captures an exchange that was let through; `undefined` when it matched no API (nothing to finish).
 * @param exchange - the exchange of a `continue` decision
 */
export function snapshotExchange(exchange: ExchangeState): ExchangeSnapshot | undefined {
  const api = exchange.route;
  if (api === undefined) return undefined;
  const { request } = exchange;
  return {
    v: 1,
    id: exchange.id,
    api: api.info.name,
    ...(exchange.matchedProfile === undefined ? {} : { profile: exchange.matchedProfile.name }),
    ...(exchange.identity === undefined ? {} : { identity: exchange.identity }),
    ...(exchange.principal === undefined ? {} : { principal: exchange.principal }),
    ...(exchange.clientId === undefined ? {} : { clientId: exchange.clientId }),
    clientIp: request.clientIp,
    method: request.method,
    url: request.url,
    host: request.host,
    reason: exchange.continueReason,
    ...(exchange.responseRules.length === 0 ? {} : { responseRules: exchange.responseRules.map((rule) => rule.name) }),
  };
}

/**
 * Rebuilds an exchange from a snapshot against the config in force. `undefined` when the snapshot is
 * malformed or names an API, profile or rule this config no longer has.
 * @param snapshot - from {@link snapshotExchange}, already verified by the caller
 * @param config - the config in force
 * @param runtime - the runtime in force
 * @param startedAt - monotonic time for latency
 */
export function restoreExchange(
  snapshot: ExchangeSnapshot,
  config: CompiledConfig,
  runtime: GuardRuntime,
  startedAt: number,
): ExchangeState | undefined {
  if (snapshot?.v !== 1 || typeof snapshot.api !== 'string') return undefined;
  const api = config.apis.find((candidate) => candidate.info.name === snapshot.api);
  if (api === undefined) return undefined;
  const profile = snapshot.profile === undefined ? undefined : profileOf(api, snapshot.profile);
  if (snapshot.profile !== undefined && profile === undefined) return undefined;
  const rules = [];
  for (const name of snapshot.responseRules ?? []) {
    const rule = config.rules.response.find((candidate) => candidate.name === name);
    if (rule === undefined) return undefined;
    rules.push(rule);
  }
  const request = createGatewayRequest(
    {
      method: String(snapshot.method),
      target: String(snapshot.url),
      httpVersion: '1.1',
      headers: [['host', String(snapshot.host)]],
      remoteAddress: String(snapshot.clientIp),
      remotePort: undefined,
      encrypted: false,
    },
    { trustedProxies: undefined, maxBodyBytes: 0 },
  );
  const exchange = new ExchangeState(request, config, runtime, startedAt, String(snapshot.id));
  exchange.route = api;
  exchange.matchedProfile = profile;
  exchange.identity = snapshot.identity;
  exchange.principal = snapshot.principal;
  exchange.clientId = snapshot.clientId;
  exchange.continueReason = snapshot.reason;
  exchange.responseRules = rules;
  return exchange;
}

function profileOf(api: CompiledApi, name: string): CompiledProfile | undefined {
  const { auth } = api;
  switch (auth.kind) {
    case 'anonymous':
    case 'oauth2':
      return auth.profile.name === name ? auth.profile : undefined;
    case 'basic':
      return auth.profiles.find((profile) => profile.name === name);
    default:
      return undefined;
  }
}
