import { audienceList, parseEndpoint, requireString, type ValidatorContext } from './context';
import { createIntrospectionLookup } from './introspection-validator';
import { createJwtVerifier } from './jwt-validator';
import { Description, type Verdict } from './results';
import { TokenVerdictCache } from './token-cache';
import type { OAuthProviderOptions } from './types';

/** Salesforce production login; sandboxes use `https://test.salesforce.com`, orgs their My Domain. */
export const SALESFORCE_LOGIN_URL = 'https://login.salesforce.com';

/**
 * Creates the Salesforce verifier. `introspection` mode posts opaque tokens to
 * `${loginUrl}/services/oauth2/introspect` with the connected app's credentials (answers cached per
 * token) and requires the answer's `client_id` to be this connected app; `jwt` mode verifies JWT-based access tokens (RS256) against `${loginUrl}/id/keys` with issuer
 * `loginUrl`, and requires their `client_id` claim to be this connected app's consumer key, because the
 * issuer alone is shared by every org and app on that login host.
 * @param options - the `salesforce` provider options
 * @param context - clock, timeout, failure log
 */
export function createSalesforceVerifier(
  options: Extract<OAuthProviderOptions, { kind: 'salesforce' }>,
  context: ValidatorContext,
): (token: string) => Promise<Verdict> {
  const clientId = requireString(options.clientId, 'clientId');
  const loginUrl = parseEndpoint(options.loginUrl ?? SALESFORCE_LOGIN_URL, 'loginUrl').href.replace(/\/+$/, '');
  const audience = audienceList(options.audience);
  if (options.mode === 'introspection') {
    if (typeof options.clientSecret !== 'string' || options.clientSecret === '') {
      throw new Error('OAuth: Salesforce introspection needs the connected app `clientSecret`');
    }
    const lookup = createIntrospectionLookup(
      {
        provider: 'salesforce',
        url: parseEndpoint(`${loginUrl}/services/oauth2/introspect`, 'loginUrl'),
        clientId,
        clientSecret: options.clientSecret,
        audience,
        // One org's introspection endpoint vouches for tokens of all its connected apps; accept only ours.
        issuedTo: clientId,
      },
      context,
    );
    const cache = new TokenVerdictCache(lookup, context.now);
    return (token) => cache.get(token);
  }
  if (options.mode !== 'jwt') throw new Error("OAuth: Salesforce `mode` must be 'introspection' or 'jwt'");
  return createJwtVerifier(
    {
      provider: 'salesforce',
      issuer: loginUrl,
      jwksUri: parseEndpoint(`${loginUrl}/id/keys`, 'loginUrl'),
      audience,
      // Salesforce signs JWT-based access tokens with RS256 only.
      algorithms: ['RS256'],
      checkClaims: (claims) => (claims.client_id === clientId ? undefined : Description.audience),
    },
    context,
  );
}
