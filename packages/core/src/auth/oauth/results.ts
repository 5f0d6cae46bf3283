import type { BearerResult } from './types';

/** A provider's answer before required scopes are applied: everything but `insufficient_scope`. */
export type Verdict = Exclude<BearerResult, { error: 'insufficient_scope' }>;

/** Client-safe descriptions; fixed strings so nothing from the token or upstream leaks into them. */
export const Description = {
  malformed: 'The access token is malformed',
  expired: 'The access token expired',
  notYetValid: 'The access token is not yet valid',
  audience: 'The access token is not intended for this audience',
  issuer: 'The access token was not issued by a trusted issuer',
  signature: 'The access token signature is invalid',
  algorithm: 'The access token is signed with an algorithm that is not allowed',
  unknownKey: 'The access token is signed with an unknown key',
  inactive: 'The access token is not active',
  invalid: 'The access token is invalid',
  unavailable: 'The authorization server is unavailable',
} as const;

/**
 * An `invalid_token` result.
 * @param description - one of {@link Description}
 */
export function invalidToken(description: string): Verdict {
  return { ok: false, error: 'invalid_token', description };
}

/**
 * An `unavailable` result.
 * @param cause - what failed, for logs; must not contain the token or a secret
 */
export function unavailable(cause: unknown): Verdict {
  return { ok: false, error: 'unavailable', description: Description.unavailable, cause };
}

// Visible ASCII without spaces, quotes or backslashes. Wider than RFC 6750 b64token on purpose: real tokens break it (Salesforce
// access tokens look like `00D…!AR…`). Anything else is refused before any work or outbound call, and
// the length bound keeps hashing and parsing cheap for hostile input.
const TOKEN_SYNTAX = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const MAX_TOKEN_LENGTH = 16_384;

/**
 * Whether `token` could be a bearer token: visible ASCII without spaces, quotes or backslashes, at most 16 KiB.
 * @param token - the candidate, typed `unknown` because JavaScript callers may pass anything
 */
export function isWellFormedToken(token: unknown): token is string {
  return typeof token === 'string' && token.length <= MAX_TOKEN_LENGTH && TOKEN_SYNTAX.test(token);
}
