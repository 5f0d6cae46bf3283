import { randomUUID } from 'node:crypto';
import type { CompiledApi, CompiledConfig } from '../config/compile';
import type { ContinueReason } from '../decision/request-decision';
import type { GatewayRequest } from '../http/gateway-request';
import type { HeaderEntry } from '../http/headers';
import type { CompiledProfile } from '../profiles/compiled-profile';
import type { CompiledRule } from '../rules/compiled-rule';
import type { ConnectorUser, ConnectorUsers } from '../sideband/connector-users';
import type { PingAuthorizeContext } from '../sideband/pingauthorize/payloads';
import type { GuardRuntime } from './guard-runtime';

/**
 * Everything about one request/response exchange. Created per request by the guard and handed back
 * to `handleResponse`; nothing about a request lives anywhere else, so concurrent requests cannot see
 * each other's state.
 */
export interface Exchange {
  /** Unique id of this exchange (a UUID), made on first use. */
  readonly id: string;
  /** `performance.now()` when the guard started on the request. */
  readonly startedAt: number;
  /** The request as received. */
  readonly original: GatewayRequest;
  /** The request as it stands now (changed by stages, or the original). */
  readonly request: GatewayRequest;
  /** The API the request matched, or `undefined`. */
  readonly api: ApiInfo | undefined;
  /** Who made the request, for audit; set by authentication. */
  readonly identity: string | undefined;
  /** Name of the security profile that admitted the request, if any. */
  readonly profile: string | undefined;
}

/** Public facts about a configured API. */
export interface ApiInfo {
  readonly name: string;
  /** Hostname the API is bound to; `undefined` for every host. */
  readonly host: string | undefined;
  readonly basePath: string;
  /** Environment the API belongs to, when it names one. */
  readonly environment: string | undefined;
}

/** The guard's own mutable view of an exchange; stages write to it, nothing outside the core does. */
export class ExchangeState implements Exchange, ConnectorUser {
  readonly startedAt: number;
  readonly original: GatewayRequest;
  request: GatewayRequest;
  /** The config in force when the exchange began; a reload does not change it. */
  readonly config: CompiledConfig;
  route: CompiledApi | undefined;
  identity: string | undefined;
  /** The profile that authenticated the request. */
  matchedProfile: CompiledProfile | undefined;
  /** Who authenticated (Basic username, token claim); unlike `identity`, never set from a request header. */
  principal: string | undefined;
  /** The OAuth client the token was issued to (`client_id` or `azp`), for sideband `user_info`. */
  clientId: string | undefined;
  /** The validated token's claims (OAuth profiles), for rules and sideband engines. */
  claims: Readonly<Record<string, unknown>> | undefined;
  /** Sideband connectors this exchange may still call (kept open across a reload until it is done). */
  connectorsInUse: ConnectorUsers[] | undefined;
  /** Response rules this request matched; applied when the response comes. */
  responseRules: readonly CompiledRule[] = [];
  /**
   * What PingAuthorize's response phase sends back about this request (the engine's `state`, or the
   * request payload). Kept here, per exchange, so concurrent exchanges can never swap it.
   */
  pingAuthorize: PingAuthorizeContext | undefined;
  /** Guard-wide services the stages use (counters, clock, failure log). */
  readonly runtime: GuardRuntime;
  /** Headers stages want on the eventual response (rate-limit state). */
  readonly responseHeaders: HeaderEntry[] = [];
  /** Set when a stage let the request through only by failing open, so audit shows it. */
  failedOpen: ContinueReason | undefined;
  /** Why the request was let through, once it was. */
  continueReason: ContinueReason = 'allowed';
  #id: string | undefined;

  /**
   * @param id - an id carried over from an earlier phase of the same exchange (a restored snapshot)
   */
  constructor(request: GatewayRequest, config: CompiledConfig, runtime: GuardRuntime, startedAt: number, id?: string) {
    this.#id = id;
    this.runtime = runtime;
    this.original = request;
    this.request = request;
    this.config = config;
    this.startedAt = startedAt;
  }

  get id(): string {
    this.#id ??= nextExchangeId();
    return this.#id;
  }

  get api(): ApiInfo | undefined {
    return this.route?.info;
  }

  get profile(): string | undefined {
    return this.matchedProfile?.name;
  }
}

/** The first 24 characters of a random UUID: what makes ids of this process differ from every other's. */
const idPrefix = randomUUID().slice(0, 24);
let idSequence = 0;

/**
 * A UUID-shaped id, unique among this process's exchanges (a sequence after a random per-process
 * prefix). Ids correlate, they guard nothing, so they need no fresh entropy per request.
 */
function nextExchangeId(): string {
  idSequence = (idSequence + 1) % 2 ** 48;
  return idPrefix + idSequence.toString(16).padStart(12, '0');
}
