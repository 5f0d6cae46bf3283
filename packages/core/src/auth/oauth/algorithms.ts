/**
 * Signature algorithms accepted for JWT access tokens by default: asymmetric only, so `none` and
 * HS/RS key confusion cannot occur. The config schema offers exactly these.
 */
export const jwtAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
