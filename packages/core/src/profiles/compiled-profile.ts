import type { BasicVerifier } from '../auth/basic/basic-verifier';
import type { BearerValidator } from '../auth/oauth/types';
import type { IpRangeSet } from '../net/ip-range-set';

/** What every compiled profile has. */
interface ProfileBase {
  readonly name: string;
  readonly environment: string;
  /** Accepted client addresses; `undefined` accepts any. */
  readonly ipRanges: IpRangeSet | undefined;
  /** Lower-case name of the header that overrides the audit identity. */
  readonly auditHeader: string | undefined;
  /** This profile's own limit across all its APIs, if it has one. */
  readonly rateLimit: { readonly limit: number; readonly periodMs: number } | undefined;
}

/** An Anonymous profile: anyone, identity `Anonymous`. */
export interface AnonymousProfile extends ProfileBase {
  readonly type: 'anonymous';
}

/** A Basic profile; its users are verified by the API's {@link BasicVerifier}. */
export interface BasicProfile extends ProfileBase {
  readonly type: 'basic';
  readonly realm: string | undefined;
}

/** An OAuth 2.0 profile with its token validator. */
export interface OAuthProfile extends ProfileBase {
  readonly type: 'oauth2';
  readonly realm: string | undefined;
  readonly validator: BearerValidator;
  readonly requiredScopes: readonly string[];
  readonly identityClaim: string;
}

/** A security profile ready for the request path. */
export type CompiledProfile = AnonymousProfile | BasicProfile | OAuthProfile;

/** How an API authenticates, decided once from its profiles. */
export type ApiAuthentication =
  /** No profile, `defaultAccess: allow`: public, identity `Anonymous`. */
  | { readonly kind: 'public' }
  /** No profile, `defaultAccess: deny`: every request gets 401. */
  | { readonly kind: 'deny' }
  | { readonly kind: 'anonymous'; readonly profile: AnonymousProfile }
  | {
      readonly kind: 'basic';
      readonly profiles: readonly BasicProfile[];
      readonly verifier: BasicVerifier;
      readonly challenge: string;
    }
  | { readonly kind: 'oauth2'; readonly profile: OAuthProfile; readonly realm: string };
