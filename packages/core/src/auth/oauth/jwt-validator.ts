import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type JWTPayload,
  type JWTVerifyOptions,
  jwtVerify,
} from 'jose';
import { jwtAlgorithms } from './algorithms';
import { endpointForLogs, type ValidatorContext } from './context';
import { boundedRequest, UpstreamError } from './http-json';
import { principalFromClaims } from './principal';
import { Description, invalidToken, unavailable, type Verdict } from './results';

/** Asymmetric JWS algorithms accepted by default: no `none`, no HMAC, so no RS/HS key confusion. */
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = jwtAlgorithms;

/**
 * Checks configured algorithms at creation. `none` and `HS*` are refused outright: with a JWKS of
 * public keys they only ever enable forgeries (unsigned tokens, or an HMAC keyed with the public key).
 * @param configured - the `algorithms` option
 * @returns the list to pass to jose
 */
export function resolveAlgorithms(configured: readonly string[] | undefined): string[] {
  if (configured === undefined) return [...DEFAULT_JWT_ALGORITHMS];
  if (!Array.isArray(configured) || configured.length === 0) {
    throw new Error('OAuth: `algorithms` must be a non-empty list of asymmetric JWS algorithms');
  }
  for (const alg of configured) {
    if (typeof alg !== 'string' || alg.toLowerCase() === 'none' || /^hs\d*$/i.test(alg)) {
      throw new Error(
        `OAuth: algorithm ${JSON.stringify(alg)} is not allowed; only asymmetric algorithms (e.g. RS256, ES256) can be used with a JWKS`,
      );
    }
    if (!DEFAULT_JWT_ALGORITHMS.includes(alg)) {
      throw new Error(`OAuth: unknown JWS algorithm ${JSON.stringify(alg)}`);
    }
  }
  return [...configured];
}

/** Settings of {@link createJwtVerifier}. */
export interface JwtVerifierConfig {
  /** Provider name, for logs. */
  provider: string;
  /** Accepted `iss` value(s). */
  issuer: string | readonly string[];
  /** Where the issuer publishes its keys. */
  jwksUri: URL;
  /** Accepted `aud` value(s); unchecked when absent. */
  audience?: readonly string[];
  /** Accepted algorithms, already checked with {@link resolveAlgorithms}. */
  algorithms: readonly string[];
  /** Leeway for `exp`/`nbf`, in seconds. Default 0. */
  clockToleranceSeconds?: number;
  /** Provider-specific claim check after signature and standard claims; returns a description to reject. */
  checkClaims?: (claims: JWTPayload) => string | undefined;
}

// JWKS documents are small (a few keys); this bound is generous and still stops a runaway response.
const JWKS_MAX_BYTES = 256 * 1024;

/**
 * Fetches the JWKS for jose through undici with the same time and size bounds as every other call.
 * Failures become {@link UpstreamError}, which is how they are told apart from token errors later.
 */
function jwksFetch(timeoutMs: number): FetchImplementation {
  return async (url, options) => {
    const headers: Record<string, string> = {};
    options.headers.forEach((value, name) => {
      headers[name] = value;
    });
    // No redirects are followed (undici's request does not), matching jose's `redirect: 'manual'`.
    const response = await boundedRequest(url, {
      method: 'GET',
      headers,
      timeoutMs,
      maxBytes: JWKS_MAX_BYTES,
      signal: options.signal,
    });
    if (response.status !== 200) {
      throw new UpstreamError('bad_status', `JWKS endpoint answered HTTP ${response.status}`, {
        status: response.status,
      });
    }
    return new Response(response.text, { status: 200, headers: { 'content-type': 'application/json' } });
  };
}

/**
 * Creates a local JWT verifier backed by a remote JWKS.
 *
 * The key set is cached by jose and refetched when a token names an unknown `kid`, at most once per
 * cooldown (30 s) after a successful fetch, and when older than 10 minutes. jose already single-flights
 * those fetches: concurrent callers share the one pending request (see `RemoteJWKSet.reloading` in its
 * types, "whether a JSON Web Key Set fetch is currently in flight"), so no extra coalescing is needed.
 * @param config - issuer, keys, audience, algorithms
 * @param context - clock, timeout, failure log
 */
export function createJwtVerifier(
  config: JwtVerifierConfig,
  context: ValidatorContext,
): (token: string) => Promise<Verdict> {
  const jwks = createRemoteJWKSet(config.jwksUri, {
    timeoutDuration: Math.ceil(context.timeoutMs),
    [customFetch]: jwksFetch(context.timeoutMs),
  });
  const baseOptions: JWTVerifyOptions = {
    issuer: typeof config.issuer === 'string' ? config.issuer : [...config.issuer],
    audience: config.audience === undefined ? undefined : [...config.audience],
    algorithms: [...config.algorithms],
    clockTolerance: config.clockToleranceSeconds ?? 0,
    // A token without an expiry would be valid forever.
    requiredClaims: ['exp'],
  };
  const endpoint = endpointForLogs(config.jwksUri);

  const accept = (payload: JWTPayload): Verdict => {
    const rejection = config.checkClaims?.(payload);
    return rejection === undefined
      ? { ok: true, principal: principalFromClaims({ ...payload }) }
      : invalidToken(rejection);
  };

  return async (token) => {
    // Claims are checked against the injected clock; jose's key cache keeps real time.
    const options: JWTVerifyOptions = { ...baseOptions, currentDate: new Date(context.now()) };
    try {
      const { payload } = await jwtVerify(token, jwks, options);
      return accept(payload);
    } catch (error) {
      if (error instanceof errors.JWKSMultipleMatchingKeys) {
        // A token without `kid` matched several keys: jose leaves trying each to the caller.
        return verifyWithEach(token, error, options, accept);
      }
      const verdict = verdictFor(error);
      if (!verdict.ok && verdict.error === 'unavailable') {
        const reason = error instanceof UpstreamError ? error.reason : errorCode(error);
        context.failures.error(
          `oauth:${config.provider}:jwks:${reason}`,
          {
            provider: config.provider,
            endpoint,
            reason,
            status: error instanceof UpstreamError ? error.status : undefined,
          },
          'Could not load the signing keys of the issuer',
          context.now(),
        );
      }
      return verdict;
    }
  };
}

async function verifyWithEach(
  token: string,
  candidates: errors.JWKSMultipleMatchingKeys,
  options: JWTVerifyOptions,
  accept: (payload: JWTPayload) => Verdict,
): Promise<Verdict> {
  let last: unknown = new errors.JWSSignatureVerificationFailed();
  for await (const key of candidates) {
    try {
      const { payload } = await jwtVerify(token, key, options);
      return accept(payload);
    } catch (error) {
      last = error;
      // Only a signature mismatch means "try the next key"; a claim failure is final.
      if (!(error instanceof errors.JWSSignatureVerificationFailed)) break;
    }
  }
  return verdictFor(last);
}

function errorCode(error: unknown): string {
  if (error instanceof errors.JOSEError) return error.code;
  return error instanceof Error ? error.name : 'unknown';
}

/**
 * Maps a jose (or JWKS fetch) error to a result. Token problems are the client's: `invalid_token`.
 * Key-set problems are the issuer's: `unavailable`.
 * @param error - what `jwtVerify` threw
 */
export function verdictFor(error: unknown): Verdict {
  if (error instanceof UpstreamError) return unavailable(error);
  if (!(error instanceof errors.JOSEError)) return unavailable(error);
  switch (error.code) {
    case 'ERR_JWT_EXPIRED':
      return invalidToken(Description.expired);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return error instanceof errors.JWTClaimValidationFailed
        ? invalidToken(claimDescription(error.claim, error.reason))
        : invalidToken(Description.invalid);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return invalidToken(Description.signature);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return invalidToken(Description.algorithm);
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return invalidToken(Description.unknownKey);
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return invalidToken(Description.invalid);
    default:
      // ERR_JWKS_TIMEOUT, ERR_JWKS_INVALID, ERR_JWK_INVALID, ERR_JOSE_GENERIC (non-200, bad JSON).
      return unavailable(error);
  }
}

function claimDescription(claim: string, reason: string): string {
  switch (claim) {
    case 'nbf':
      return reason === 'check_failed' ? Description.notYetValid : Description.invalid;
    case 'aud':
      return Description.audience;
    case 'iss':
      return Description.issuer;
    default:
      return Description.invalid;
  }
}
