import type { Logger } from '../../telemetry/logger';

/** Who a validated bearer token speaks for, and what it allows. */
export interface BearerPrincipal {
  /** The `sub` claim, when the token or the authorization server names one. */
  readonly subject: string | undefined;
  /** The verified JWT payload, or the introspection / tokeninfo response. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** Scopes from `scope` (space-separated) or `scp` (array or space-separated string). */
  readonly scopes: readonly string[];
  /** When the token expires, in ms since the epoch (from `exp`), if known. */
  readonly expiresAt: number | undefined;
}

/**
 * Outcome of one validation. Every `description` is safe to send to the client as an RFC 6750
 * `error_description`: it never contains the token or any secret.
 */
export type BearerResult =
  | { readonly ok: true; readonly principal: BearerPrincipal }
  | { readonly ok: false; readonly error: 'invalid_token' | 'insufficient_scope'; readonly description: string }
  | {
      readonly ok: false;
      /** The issuer, JWKS, discovery, introspection or tokeninfo endpoint failed; not the client's fault. */
      readonly error: 'unavailable';
      readonly description: string;
      /** What went wrong, for logs; never contains the token or a secret. */
      readonly cause?: unknown;
    };

/** Validates bearer tokens for one provider configuration. */
export interface BearerValidator {
  /** Validates one access token (without the `Bearer ` prefix). Never rejects. */
  validate(token: string): Promise<BearerResult>;
}

/**
 * Where tokens come from and how they are checked.
 *
 * - `jwt`: JWT access tokens verified locally against the issuer's JWKS. Set `audience` unless every
 *   token of the issuer is meant for this API.
 * - `oidc`: like `jwt`, with the JWKS location read from the issuer's discovery document
 *   (default `${issuer}/.well-known/openid-configuration`), fetched lazily once.
 * - `introspection`: opaque tokens checked with an RFC 7662 endpoint using `client_secret_basic`.
 * - `google`: Google access tokens via the tokeninfo endpoint, Google ID tokens as JWTs.
 * - `salesforce`: Salesforce opaque tokens via introspection, or JWT-based access tokens.
 *
 * Algorithms default to asymmetric ones only; `none` and `HS*` are refused at creation.
 */
export type OAuthProviderOptions =
  | {
      kind: 'jwt';
      issuer: string;
      jwksUri: string;
      audience?: string | string[];
      algorithms?: string[];
      requiredScopes?: string[];
      clockToleranceSeconds?: number;
    }
  | {
      kind: 'oidc';
      issuer: string;
      discoveryUrl?: string;
      audience?: string | string[];
      algorithms?: string[];
      requiredScopes?: string[];
      clockToleranceSeconds?: number;
    }
  | {
      kind: 'introspection';
      introspectionUrl: string;
      clientId: string;
      clientSecret: string;
      issuer?: string;
      audience?: string | string[];
      requiredScopes?: string[];
    }
  | {
      kind: 'google';
      clientId: string;
      tokenInfoUrl?: string;
      issuer?: string;
      jwksUri?: string;
      requiredScopes?: string[];
    }
  | {
      kind: 'salesforce';
      mode: 'introspection' | 'jwt';
      loginUrl?: string;
      clientId: string;
      clientSecret?: string;
      audience?: string | string[];
      requiredScopes?: string[];
    };

/** Runtime dependencies of a validator; all optional. */
export interface BearerValidatorDeps {
  /** Budget in ms for each outbound call (JWKS, discovery, introspection, tokeninfo). Default 5000. */
  timeoutMs?: number;
  /** Clock in ms since the epoch, for token times and caches; tests pass a fake one. Default `Date.now`. */
  now?: () => number;
  /** Where upstream failures are reported (rate-limited per cause). Default: JSON lines on stderr. */
  logger?: Logger;
}
