import type { BearerPrincipal, BearerResult } from './types';

function splitScopes(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((scope) => scope !== '');
  if (Array.isArray(value)) return value.filter((scope): scope is string => typeof scope === 'string' && scope !== '');
  return [];
}

/**
 * Reads granted scopes from `scope` (RFC 6749/7662/9068, space-separated) and `scp` (Okta, Azure AD,
 * Salesforce: an array or a space-separated string), without duplicates.
 * @param claims - a JWT payload or an introspection / tokeninfo response
 */
export function scopesFromClaims(claims: Readonly<Record<string, unknown>>): string[] {
  return [...new Set([...splitScopes(claims.scope), ...splitScopes(claims.scp)])];
}

/**
 * Checks configured scopes once, at creation, so a typo fails loudly instead of denying every request.
 * @param scopes - the configured `requiredScopes`
 * @returns a frozen copy
 */
export function normalizeRequiredScopes(scopes: readonly string[] | undefined): readonly string[] {
  if (scopes === undefined) return [];
  if (!Array.isArray(scopes)) throw new Error('OAuth: `requiredScopes` must be an array of scope names');
  for (const scope of scopes) {
    // RFC 6749 scope-token: printable ASCII except space, `"` and `\`; also safe in error_description.
    if (typeof scope !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)) {
      throw new Error('OAuth: every entry of `requiredScopes` must be a non-empty scope name without spaces or quotes');
    }
  }
  return Object.freeze([...scopes]);
}

/**
 * The final result for a principal: `insufficient_scope` naming the missing scopes (scope names are
 * configuration, not secrets), or success.
 * @param principal - the validated principal
 * @param required - scopes that must all be granted
 */
export function checkScopes(principal: BearerPrincipal, required: readonly string[]): BearerResult {
  const missing = required.filter((scope) => !principal.scopes.includes(scope));
  if (missing.length === 0) return { ok: true, principal };
  return {
    ok: false,
    error: 'insufficient_scope',
    description: `The access token lacks the required scope${missing.length === 1 ? '' : 's'}: ${missing.join(' ')}`,
  };
}
