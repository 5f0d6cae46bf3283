/** Realm text allowed in challenges: printable, no quote or backslash, so it needs no escaping. */
export const realmPattern = /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,128}$/;

/**
 * `WWW-Authenticate` for Basic profiles (RFC 7617), announcing UTF-8 credentials.
 * @param realm - the realm
 */
export function basicChallenge(realm: string): string {
  return `Basic realm="${realm}", charset="UTF-8"`;
}

/** RFC 6750 error of a bearer challenge. */
export interface BearerChallengeError {
  readonly error: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  readonly description?: string;
  readonly scope?: readonly string[];
}

/**
 * `WWW-Authenticate` for bearer tokens (RFC 6750 §3). The `error` attribute appears only when the
 * client sent a token; a request without one gets the bare challenge.
 * @param realm - the realm
 * @param failure - what was wrong with the token that was sent
 */
export function bearerChallenge(realm: string, failure?: BearerChallengeError): string {
  let value = `Bearer realm="${realm}"`;
  if (failure === undefined) return value;
  value += `, error="${failure.error}"`;
  if (failure.description !== undefined) value += `, error_description="${quotable(failure.description)}"`;
  if (failure.scope !== undefined && failure.scope.length > 0)
    value += `, scope="${quotable(failure.scope.join(' '))}"`;
  return value;
}

/** RFC 6750 limits these attributes to %x20-21 / %x23-5B / %x5D-7E; anything else is dropped. */
function quotable(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '');
}
