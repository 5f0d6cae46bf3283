import { endpointForLogs, type ValidatorContext } from './context';
import { boundedRequest, isJsonObject, UpstreamError } from './http-json';
import { createJwtVerifier, type JwtVerifierConfig } from './jwt-validator';
import { unavailable, type Verdict } from './results';

/** How long a failed discovery blocks the next attempt, in ms: spares a down issuer a request storm. */
export const DISCOVERY_RETRY_COOLDOWN_MS = 10_000;

/**
 * The default discovery location for an issuer (OpenID Connect Discovery 1.0, section 4).
 * @param issuer - the issuer identifier; a trailing slash is dropped before appending the path
 */
export function defaultDiscoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/**
 * Reads `jwks_uri` from an OpenID provider's discovery document: lazily, once on success, with one
 * request shared by concurrent callers, and after a failure again only once the cooldown has passed.
 */
export class OidcDiscovery {
  readonly #issuer: string;
  readonly #url: URL;
  readonly #context: ValidatorContext;
  #jwksUri: URL | undefined;
  #pending: Promise<URL> | undefined;
  #failure: UpstreamError | undefined;
  #retryAt = 0;

  /**
   * @param issuer - the configured issuer; the document must name exactly this one
   * @param url - the discovery document location
   * @param context - clock, timeout
   */
  constructor(issuer: string, url: URL, context: ValidatorContext) {
    this.#issuer = issuer;
    this.#url = url;
    this.#context = context;
  }

  /** The discovery endpoint without query, for logs. */
  get endpoint(): string {
    return endpointForLogs(this.#url);
  }

  /** The issuer's JWKS location. Rejects with an {@link UpstreamError} when discovery failed. */
  jwksUri(): Promise<URL> {
    if (this.#jwksUri !== undefined) return Promise.resolve(this.#jwksUri);
    if (this.#pending !== undefined) return this.#pending;
    if (this.#failure !== undefined && this.#context.now() < this.#retryAt) return Promise.reject(this.#failure);
    const pending = this.#fetch().then(
      (jwksUri) => {
        this.#jwksUri = jwksUri;
        this.#failure = undefined;
        return jwksUri;
      },
      (error: unknown) => {
        const failure =
          error instanceof UpstreamError
            ? error
            : new UpstreamError('bad_response', 'Discovery failed', { cause: error });
        this.#failure = failure;
        this.#retryAt = this.#context.now() + DISCOVERY_RETRY_COOLDOWN_MS;
        throw failure;
      },
    );
    this.#pending = pending;
    // Cleared whichever way it settles; the catch only keeps this bookkeeping chain from rejecting unhandled.
    pending
      .finally(() => {
        this.#pending = undefined;
      })
      .catch(() => {});
    return pending;
  }

  async #fetch(): Promise<URL> {
    const response = await boundedRequest(this.#url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      timeoutMs: this.#context.timeoutMs,
    });
    if (response.status !== 200) {
      throw new UpstreamError('bad_status', `Discovery endpoint answered HTTP ${response.status}`, {
        status: response.status,
      });
    }
    const document = response.json;
    if (!isJsonObject(document)) throw new UpstreamError('bad_json', 'Discovery document is not a JSON object');
    // OIDC Discovery section 4.3: the document's issuer must be identical to the one configured,
    // otherwise a compromised or mistaken document could point us at someone else's keys.
    if (document.issuer !== this.#issuer) {
      throw new UpstreamError('misconfigured', 'Discovery document names a different issuer than configured');
    }
    if (typeof document.jwks_uri !== 'string') {
      throw new UpstreamError('bad_response', 'Discovery document has no jwks_uri');
    }
    let jwksUri: URL;
    try {
      jwksUri = new URL(document.jwks_uri);
    } catch (cause) {
      throw new UpstreamError('bad_response', 'Discovery document has an invalid jwks_uri', { cause });
    }
    // Keys fetched over plain HTTP from an HTTPS issuer would undo the transport security of discovery.
    const allowed = this.#url.protocol === 'https:' ? ['https:'] : ['https:', 'http:'];
    if (!allowed.includes(jwksUri.protocol)) {
      throw new UpstreamError('bad_response', 'Discovery document has a jwks_uri with an unacceptable scheme');
    }
    return jwksUri;
  }
}

/**
 * A JWT verifier whose JWKS location comes from discovery; created on first use and kept.
 * @param discovery - the discovery client
 * @param config - JWT settings without the JWKS location
 * @param context - clock, timeout, failure log
 */
export function createOidcVerifier(
  discovery: OidcDiscovery,
  config: Omit<JwtVerifierConfig, 'jwksUri'>,
  context: ValidatorContext,
): (token: string) => Promise<Verdict> {
  let verifier: ((token: string) => Promise<Verdict>) | undefined;
  return async (token) => {
    if (verifier === undefined) {
      let jwksUri: URL;
      try {
        jwksUri = await discovery.jwksUri();
      } catch (error) {
        const reason = error instanceof UpstreamError ? error.reason : 'unknown';
        context.failures.error(
          `oauth:${config.provider}:discovery:${reason}`,
          { provider: config.provider, endpoint: discovery.endpoint, reason },
          'Could not read the OpenID Connect discovery document of the issuer',
          context.now(),
        );
        return unavailable(error);
      }
      // Concurrent first callers all get here after the one shared discovery; the first one builds it.
      verifier ??= createJwtVerifier({ ...config, jwksUri }, context);
    }
    return verifier(token);
  };
}
