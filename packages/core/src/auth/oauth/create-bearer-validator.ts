import { audienceList, createContext, parseEndpoint, requireString, type ValidatorContext } from './context';
import { createGoogleVerifier } from './google';
import { createIntrospectionLookup } from './introspection-validator';
import { createJwtVerifier, resolveAlgorithms } from './jwt-validator';
import { createOidcVerifier, defaultDiscoveryUrl, OidcDiscovery } from './oidc-discovery';
import { Description, invalidToken, isWellFormedToken, unavailable, type Verdict } from './results';
import { createSalesforceVerifier } from './salesforce';
import { checkScopes, normalizeRequiredScopes } from './scopes';
import { TokenVerdictCache } from './token-cache';
import type { BearerResult, BearerValidator, BearerValidatorDeps, OAuthProviderOptions } from './types';

function clockTolerance(value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
    throw new Error('OAuth: `clockToleranceSeconds` must be a non-negative number');
  }
  return value;
}

function createVerifier(options: OAuthProviderOptions, context: ValidatorContext): (token: string) => Promise<Verdict> {
  switch (options.kind) {
    case 'jwt':
      return createJwtVerifier(
        {
          provider: 'jwt',
          issuer: requireString(options.issuer, 'issuer'),
          jwksUri: parseEndpoint(options.jwksUri, 'jwksUri'),
          audience: audienceList(options.audience),
          algorithms: resolveAlgorithms(options.algorithms),
          clockToleranceSeconds: clockTolerance(options.clockToleranceSeconds),
        },
        context,
      );
    case 'oidc': {
      const issuer = requireString(options.issuer, 'issuer');
      const discoveryUrl = parseEndpoint(options.discoveryUrl ?? defaultDiscoveryUrl(issuer), 'discoveryUrl');
      return createOidcVerifier(
        new OidcDiscovery(issuer, discoveryUrl, context),
        {
          provider: 'oidc',
          issuer,
          audience: audienceList(options.audience),
          algorithms: resolveAlgorithms(options.algorithms),
          clockToleranceSeconds: clockTolerance(options.clockToleranceSeconds),
        },
        context,
      );
    }
    case 'introspection': {
      const lookup = createIntrospectionLookup(
        {
          provider: 'introspection',
          url: parseEndpoint(options.introspectionUrl, 'introspectionUrl'),
          clientId: requireString(options.clientId, 'clientId'),
          clientSecret: requireString(options.clientSecret, 'clientSecret'),
          issuer: options.issuer === undefined ? undefined : requireString(options.issuer, 'issuer'),
          audience: audienceList(options.audience),
        },
        context,
      );
      const cache = new TokenVerdictCache(lookup, context.now);
      return (token) => cache.get(token);
    }
    case 'google':
      return createGoogleVerifier(options, context);
    case 'salesforce':
      return createSalesforceVerifier(options, context);
    default:
      throw new Error('OAuth: unknown provider `kind`');
  }
}

/**
 * Creates a bearer-token validator for one provider. Configuration is checked here, so mistakes
 * (a symmetric or `none` algorithm, a missing Salesforce secret, a bad URL) throw at startup rather
 * than failing requests. Nothing is fetched until the first validation.
 *
 * `validate()` never rejects: token problems are `invalid_token`, missing scopes `insufficient_scope`,
 * and authorization-server problems `unavailable`. Results never carry the token or a secret.
 * @param options - which provider and how to check its tokens
 * @param deps - timeout, clock and logger
 * @throws Error when the options are invalid
 */
export function createBearerValidator(options: OAuthProviderOptions, deps: BearerValidatorDeps = {}): BearerValidator {
  const context = createContext(deps);
  const requiredScopes = normalizeRequiredScopes(options.requiredScopes);
  const verify = createVerifier(options, context);
  return {
    async validate(token: string): Promise<BearerResult> {
      if (!isWellFormedToken(token)) return invalidToken(Description.malformed);
      let verdict: Verdict;
      try {
        verdict = await verify(token);
      } catch (cause) {
        // Defensive: verifiers map every expected failure themselves.
        verdict = unavailable(cause);
      }
      return verdict.ok ? checkScopes(verdict.principal, requiredScopes) : verdict;
    },
  };
}
