import { endpointForLogs, parseEndpoint, requireString, type ValidatorContext } from './context';
import { boundedRequest, isJsonObject, UpstreamError } from './http-json';
import { createJwtVerifier } from './jwt-validator';
import { numericDate, principalFromClaims } from './principal';
import { Description, invalidToken, unavailable, type Verdict } from './results';
import { TokenVerdictCache } from './token-cache';
import type { OAuthProviderOptions } from './types';

/** Google's tokeninfo endpoint for opaque access tokens. */
export const GOOGLE_TOKENINFO_URL = 'https://oauth2.googleapis.com/tokeninfo';
/** Google's signing keys for ID tokens. */
export const GOOGLE_JWKS_URI = 'https://www.googleapis.com/oauth2/v3/certs';
/** Both spellings Google uses for the `iss` of ID tokens. */
export const GOOGLE_ISSUERS: readonly string[] = Object.freeze(['https://accounts.google.com', 'accounts.google.com']);

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Whether a token has the compact JWS shape (three base64url parts). Google access tokens
 * (`ya29.…`) never do; ID tokens always do.
 * @param token - the bearer token
 */
export function looksLikeJwt(token: string): boolean {
  return JWT_SHAPE.test(token);
}

/**
 * Creates the Google verifier: ID tokens are verified locally as RS256 JWTs for audience `clientId`;
 * access tokens are opaque and checked with tokeninfo, whose answers are cached per token.
 * @param options - the `google` provider options
 * @param context - clock, timeout, failure log
 */
export function createGoogleVerifier(
  options: Extract<OAuthProviderOptions, { kind: 'google' }>,
  context: ValidatorContext,
): (token: string) => Promise<Verdict> {
  const clientId = requireString(options.clientId, 'clientId');
  const tokenInfoUrl = parseEndpoint(options.tokenInfoUrl ?? GOOGLE_TOKENINFO_URL, 'tokenInfoUrl');
  const verifyIdToken = createJwtVerifier(
    {
      provider: 'google',
      issuer: options.issuer === undefined ? GOOGLE_ISSUERS : requireString(options.issuer, 'issuer'),
      jwksUri: parseEndpoint(options.jwksUri ?? GOOGLE_JWKS_URI, 'jwksUri'),
      audience: [clientId],
      // Google signs ID tokens with RS256 only; nothing else needs to be accepted.
      algorithms: ['RS256'],
    },
    context,
  );
  const tokenInfo = new TokenVerdictCache(createTokenInfoLookup(tokenInfoUrl, clientId, context), context.now);
  return (token) => (looksLikeJwt(token) ? verifyIdToken(token) : tokenInfo.get(token));
}

function createTokenInfoLookup(
  tokenInfoUrl: URL,
  clientId: string,
  context: ValidatorContext,
): (token: string) => Promise<Verdict> {
  const endpoint = endpointForLogs(tokenInfoUrl);
  const fail = (error: UpstreamError): Verdict => {
    context.failures.error(
      `oauth:google:tokeninfo:${error.reason}`,
      { provider: 'google', endpoint, reason: error.reason, status: error.status },
      'Google tokeninfo failed',
      context.now(),
    );
    return unavailable(error);
  };

  return async (token) => {
    const url = new URL(tokenInfoUrl);
    url.searchParams.set('access_token', token);
    let status: number;
    let json: unknown;
    try {
      ({ status, json } = await boundedRequest(url, {
        method: 'GET',
        headers: { accept: 'application/json' },
        timeoutMs: context.timeoutMs,
      }));
    } catch (error) {
      return fail(error instanceof UpstreamError ? error : new UpstreamError('unreachable', 'tokeninfo failed'));
    }
    // tokeninfo answers 400 for tokens that are unknown, revoked or expired.
    if (status === 400) return invalidToken(Description.invalid);
    if (status < 200 || status > 299) {
      return fail(new UpstreamError('bad_status', `tokeninfo answered HTTP ${status}`, { status }));
    }
    if (!isJsonObject(json)) return fail(new UpstreamError('bad_json', 'tokeninfo response is not a JSON object'));
    return judgeTokenInfo(json, clientId, context.now());
  };
}

function judgeTokenInfo(info: Record<string, unknown>, clientId: string, now: number): Verdict {
  // A token issued to another client must not open this API (the "confused deputy" of RFC 6819 4.6.4).
  if (info.aud !== clientId && info.azp !== clientId) return invalidToken(Description.audience);
  const exp = numericDate(info.exp);
  const expiresIn = numericDate(info.expires_in);
  if (exp === undefined && expiresIn === undefined) return invalidToken(Description.invalid);
  if ((exp !== undefined && exp * 1000 <= now) || (expiresIn !== undefined && expiresIn <= 0)) {
    return invalidToken(Description.expired);
  }
  return {
    ok: true,
    principal: principalFromClaims(info, expiresIn === undefined ? undefined : now + expiresIn * 1000),
  };
}
