import { endpointForLogs, type ValidatorContext } from './context';
import { boundedRequest, isJsonObject, UpstreamError } from './http-json';
import { audienceMatches, numericDate, principalFromClaims } from './principal';
import { Description, invalidToken, unavailable, type Verdict } from './results';

/** Settings of {@link createIntrospectionLookup}. */
export interface IntrospectionConfig {
  /** Provider name, for logs. */
  provider: string;
  /** The RFC 7662 endpoint. */
  url: URL;
  /** Our client id at the authorization server. */
  clientId: string;
  /** Our client secret; only ever sent in the Authorization header. */
  clientSecret: string;
  /** Required `iss` of the response, if set. */
  issuer?: string;
  /** Accepted `aud` values of the response, if set. */
  audience?: readonly string[];
  /** Required `client_id` of the response, if set: the token must have been issued to this client. */
  issuedTo?: string;
}

// RFC 6749 section 2.3.1: client id and secret are form-encoded before Basic encoding, so a `:` or
// non-ASCII character in either cannot break the credentials apart.
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/**
 * Creates an uncached RFC 7662 lookup: one POST per call, `client_secret_basic`, form body
 * `token=…&token_type_hint=access_token`. Upstream failures come back as `unavailable` verdicts (and
 * are logged without token or secret); the returned function does not reject.
 * @param config - endpoint and client credentials
 * @param context - clock, timeout, failure log
 */
export function createIntrospectionLookup(
  config: IntrospectionConfig,
  context: ValidatorContext,
): (token: string) => Promise<Verdict> {
  // Built once; the secret lives only in this closure and in the header of outbound requests.
  const authorization = `Basic ${Buffer.from(`${formEncode(config.clientId)}:${formEncode(config.clientSecret)}`).toString('base64')}`;
  const endpoint = endpointForLogs(config.url);

  const fail = (error: UpstreamError): Verdict => {
    const clientAuth = error.reason === 'client_auth';
    context.failures.error(
      `oauth:${config.provider}:introspection:${error.reason}`,
      { provider: config.provider, endpoint, reason: error.reason, status: error.status, clientId: config.clientId },
      clientAuth
        ? 'The introspection endpoint rejected our client credentials; check clientId and clientSecret'
        : 'Token introspection failed',
      context.now(),
    );
    return unavailable(error);
  };

  return async (token) => {
    let status: number;
    let json: unknown;
    try {
      ({ status, json } = await boundedRequest(config.url, {
        method: 'POST',
        headers: {
          authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        timeoutMs: context.timeoutMs,
      }));
    } catch (error) {
      return fail(error instanceof UpstreamError ? error : new UpstreamError('unreachable', 'Introspection failed'));
    }
    // 401/403 are about *our* credentials (RFC 7662 section 2.3), not the token being checked.
    if (status === 401 || status === 403) {
      return fail(new UpstreamError('client_auth', `Introspection endpoint answered HTTP ${status}`, { status }));
    }
    if (status < 200 || status > 299) {
      return fail(new UpstreamError('bad_status', `Introspection endpoint answered HTTP ${status}`, { status }));
    }
    if (!isJsonObject(json)) return fail(new UpstreamError('bad_json', 'Introspection response is not a JSON object'));
    if (json.active === false) return invalidToken(Description.inactive);
    if (json.active !== true) return fail(new UpstreamError('bad_response', 'Introspection response lacks `active`'));
    return judgeActive(json, config, context.now());
  };
}

/** Checks what an `active: true` answer still leaves to the resource server. */
function judgeActive(claims: Record<string, unknown>, config: IntrospectionConfig, now: number): Verdict {
  const exp = numericDate(claims.exp);
  if (exp !== undefined && exp * 1000 <= now) return invalidToken(Description.expired);
  const nbf = numericDate(claims.nbf);
  if (nbf !== undefined && nbf * 1000 > now) return invalidToken(Description.notYetValid);
  if (config.issuer !== undefined && claims.iss !== config.issuer) return invalidToken(Description.issuer);
  if (config.audience !== undefined && !audienceMatches(claims.aud, config.audience)) {
    return invalidToken(Description.audience);
  }
  if (config.issuedTo !== undefined && claims.client_id !== config.issuedTo) return invalidToken(Description.audience);
  return { ok: true, principal: principalFromClaims(claims) };
}
