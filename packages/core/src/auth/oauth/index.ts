/**
 * OAuth 2.0 bearer-token validation for API security profiles: local JWT verification (JWKS or OIDC
 * discovery), RFC 7662 introspection, Google and Salesforce.
 * @packageDocumentation
 */
export { createBearerValidator } from './create-bearer-validator';
export { GOOGLE_ISSUERS, GOOGLE_JWKS_URI, GOOGLE_TOKENINFO_URL } from './google';
export { DEFAULT_JWT_ALGORITHMS } from './jwt-validator';
export { SALESFORCE_LOGIN_URL } from './salesforce';
export type {
  BearerPrincipal,
  BearerResult,
  BearerValidator,
  BearerValidatorDeps,
  OAuthProviderOptions,
} from './types';
