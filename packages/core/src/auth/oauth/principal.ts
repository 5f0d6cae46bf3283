import { scopesFromClaims } from './scopes';
import type { BearerPrincipal } from './types';

/**
 * Reads a NumericDate (seconds) given as a number or, as Google's tokeninfo does, a decimal string.
 * @param value - the claim value
 * @returns seconds, or `undefined` when absent or not a finite number
 */
export function numericDate(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

/**
 * Builds a principal from verified claims. The claims object is frozen (shallowly) so handlers
 * downstream cannot alter what was verified.
 * @param claims - a verified JWT payload or an active introspection / tokeninfo response
 * @param expiresAt - expiry in ms when it does not come from `exp` (tokeninfo's `expires_in`)
 */
export function principalFromClaims(claims: Record<string, unknown>, expiresAt?: number): BearerPrincipal {
  const exp = numericDate(claims.exp);
  return Object.freeze({
    subject: typeof claims.sub === 'string' ? claims.sub : undefined,
    claims: Object.freeze(claims),
    scopes: Object.freeze(scopesFromClaims(claims)),
    expiresAt: exp !== undefined ? exp * 1000 : expiresAt,
  });
}

/**
 * Whether a token's `aud` (a string or an array of strings) names one of the accepted audiences.
 * @param aud - the claim value
 * @param accepted - the configured audiences
 */
export function audienceMatches(aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud);
  if (Array.isArray(aud)) return aud.some((entry) => typeof entry === 'string' && accepted.includes(entry));
  return false;
}
