import { createHmac } from 'node:crypto';
import { parseBasicAuthorization } from '../auth/basic/credentials';
import { bearerChallenge } from '../auth/challenge';
import type { CompiledApi } from '../config/compile';
import { jsonErrorResponse, type StageResponse } from '../decision/request-decision';
import type { ExchangeState } from '../guard/exchange';
import { headerValue } from '../http/headers';
import type { CompiledProfile } from '../profiles/compiled-profile';
import { addressPartition } from '../ratelimit/consumer-key';
import type { RequestStage, StageResult } from './stage';

/** Longest audit identity kept from a request header; longer values are cut. */
const maxIdentityLength = 256;

/**
 * Step 3: authenticate with the API's profiles. Public APIs admit everyone as `Anonymous`; APIs with
 * no profile under `defaultAccess: deny` refuse everyone. Sets the matched profile and the audit
 * identity on the exchange.
 */
export const authStage: RequestStage = {
  name: 'authenticate',
  run(exchange) {
    const api = exchange.route;
    if (api === undefined) return undefined;
    const auth = api.auth;
    switch (auth.kind) {
      case 'public':
        exchange.identity = 'Anonymous';
        return undefined;
      case 'deny':
        return jsonErrorResponse(401, 'unauthenticated', 'This API accepts no requests.');
      case 'anonymous':
        return admit(exchange, auth.profile, 'Anonymous');
      case 'basic':
        return authenticateBasic(exchange, api, auth);
      case 'oauth2':
        return authenticateBearer(exchange, auth);
    }
  },
};

function admit(exchange: ExchangeState, profile: CompiledProfile, identity: string | undefined): undefined {
  exchange.matchedProfile = profile;
  if (profile.type !== 'anonymous') exchange.principal = identity;
  const override =
    profile.auditHeader === undefined ? undefined : headerValue(exchange.request.headers, profile.auditHeader);
  exchange.identity =
    override !== undefined && override.trim() !== '' ? override.trim().slice(0, maxIdentityLength) : identity;
  return undefined;
}

type BasicAuth = Extract<CompiledApi['auth'], { kind: 'basic' }>;

function unauthenticatedBasic(auth: BasicAuth): StageResponse {
  return jsonErrorResponse(401, 'unauthenticated', 'Valid credentials are required.', [
    ['www-authenticate', auth.challenge],
  ]);
}

async function authenticateBasic(exchange: ExchangeState, api: CompiledApi, auth: BasicAuth): Promise<StageResult> {
  const { config, runtime, request } = exchange;
  const header = headerValue(request.headers, 'authorization');
  const credentials = parseBasicAuthorization(header);
  if (credentials === undefined || header === undefined) return unauthenticatedBasic(auth);
  const now = runtime.wallClock();
  // One subscriber holds a whole IPv6 /64: count it as one address, or a lockout is trivially dodged.
  const ipKey = `ip:${addressPartition(request.clientIp, 64)}`;
  if (credentials === 'malformed') {
    runtime.bruteForce?.recordFailure([ipKey], now);
    return unauthenticatedBasic(auth);
  }

  // A credential verified recently skips the (possibly slow) hash and any lockout: it is known good.
  const cacheKey = `${api.info.name}\u0000${keyedHash(config.hashKey, header)}`;
  const cached = config.basicCache.get(cacheKey, now);
  if (cached !== undefined) return admit(exchange, cached.profile, cached.username);

  const userKey = `user:${keyedHash(runtime.hashKey, credentials.username)}`;
  const lockedFor = runtime.bruteForce?.lockedFor([userKey, ipKey], now) ?? 0;
  if (lockedFor > 0) {
    return jsonErrorResponse(429, 'login-locked', 'Too many failed logins; try again later.', [
      ['retry-after', String(Math.ceil(lockedFor / 1000))],
    ]);
  }
  // The same header already being verified: share that verification. A burst of parallel requests
  // on a cold cache is one login, not many attempts that would count towards a lockout.
  const pending = config.basicInFlight.get(cacheKey);
  if (pending !== undefined) {
    const shared = await pending;
    const profile = shared === undefined ? undefined : auth.profiles[shared.profileIndex];
    if (shared === undefined || profile === undefined) return unauthenticatedBasic(auth);
    return admit(exchange, profile, shared.username);
  }
  // Count the attempt before the (slow) verification, so concurrent guesses cannot all slip in
  // before the first failure is recorded; a success takes the attempt back.
  runtime.bruteForce?.recordFailure([userKey, ipKey], now);
  const verification = auth.verifier.verify(credentials);
  if (config.basicInFlight.size < maxSharedVerifications) {
    config.basicInFlight.set(cacheKey, verification);
    const forget = () => config.basicInFlight.delete(cacheKey);
    verification.then(forget, forget);
  }
  const match = await verification;
  const profile = match === undefined ? undefined : auth.profiles[match.profileIndex];
  if (match === undefined || profile === undefined) return unauthenticatedBasic(auth);
  runtime.bruteForce?.recordSuccess(userKey, ipKey, now);
  config.basicCache.set(cacheKey, { profile, username: match.username }, now + config.basicCacheTtlMs);
  return admit(exchange, profile, match.username);
}

/** Most distinct Basic verifications shared at once; beyond it each runs alone (bounded memory). */
const maxSharedVerifications = 10_000;

type OAuthAuth = Extract<CompiledApi['auth'], { kind: 'oauth2' }>;

// The token's own syntax is the validator's business (Salesforce tokens hold `!`, which RFC 6750 omits).
const bearerToken = /^bearer +(\S+) *$/i;

async function authenticateBearer(exchange: ExchangeState, auth: OAuthAuth): Promise<StageResult> {
  const { profile, realm } = auth;
  const header = headerValue(exchange.request.headers, 'authorization');
  if (header === undefined || !/^bearer(?: |$)/i.test(header.trimStart())) {
    return jsonErrorResponse(401, 'unauthenticated', 'A bearer token is required.', [
      ['www-authenticate', bearerChallenge(realm)],
    ]);
  }
  const token = bearerToken.exec(header.trim())?.[1];
  if (token === undefined) {
    const challenge = bearerChallenge(realm, {
      error: 'invalid_request',
      description: 'Malformed Authorization header',
    });
    return jsonErrorResponse(400, 'unauthenticated', 'The Authorization header is malformed.', [
      ['www-authenticate', challenge],
    ]);
  }
  const result = await profile.validator.validate(token);
  if (result.ok) {
    const { claims } = result.principal;
    exchange.claims = claims;
    const client = claims.client_id ?? claims.azp;
    if (typeof client === 'string') exchange.clientId = client;
    const claim = claims[profile.identityClaim];
    return admit(exchange, profile, typeof claim === 'string' || typeof claim === 'number' ? String(claim) : undefined);
  }
  if (result.error === 'unavailable') {
    exchange.runtime.failures.error(
      `oauth:${profile.environment}/${profile.name}`,
      { profile: profile.name, reason: result.description },
      'Identity provider unavailable; bearer tokens cannot be checked',
    );
    return jsonErrorResponse(503, 'auth-unavailable', 'Authentication is temporarily unavailable.', [
      ['retry-after', '5'],
    ]);
  }
  if (result.error === 'insufficient_scope') {
    const challenge = bearerChallenge(realm, {
      error: 'insufficient_scope',
      description: result.description,
      scope: profile.requiredScopes,
    });
    return jsonErrorResponse(403, 'insufficient-scope', 'The token lacks a required scope.', [
      ['www-authenticate', challenge],
    ]);
  }
  const challenge = bearerChallenge(realm, { error: 'invalid_token', description: result.description });
  return jsonErrorResponse(401, 'unauthenticated', 'The bearer token is not valid.', [['www-authenticate', challenge]]);
}

function keyedHash(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('base64url');
}
