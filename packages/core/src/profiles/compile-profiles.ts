import type { BasicUserInput } from '../auth/basic/basic-verifier';
import { parsePasswordHash } from '../auth/basic/password-hash';
import { type BearerValidatorDeps, createBearerValidator } from '../auth/oauth/index';
import type { ProfileConfig, SideguardConfig } from '../config/schema';
import type { ConfigIssue } from '../errors/config-error';
import { IpRangeSet } from '../net/ip-range-set';
import type { BasicProfile, CompiledProfile } from './compiled-profile';

/** A Basic profile with its users, which only the API's verifier ever sees. */
export interface BasicProfileWithUsers {
  readonly profile: BasicProfile;
  readonly users: readonly Omit<BasicUserInput, 'profileIndex'>[];
}

/** Every environment's profiles, compiled, by environment then name. */
export interface ProfileRegistry {
  readonly byEnvironment: ReadonlyMap<string, ReadonlyMap<string, CompiledProfile>>;
  /** Users of each Basic profile. */
  readonly basicUsers: ReadonlyMap<BasicProfile, readonly Omit<BasicUserInput, 'profileIndex'>[]>;
}

/**
 * Compiles every profile once: IP ranges into lookup structures, password hashes parsed, token
 * validators created. Problems are added to `issues` with their paths.
 * @param config - the validated configuration
 * @param issues - collects problems
 * @param warnings - collects things allowed but probably not meant
 * @param validatorDeps - logger and clock for token validators
 */
export function compileProfiles(
  config: SideguardConfig,
  issues: ConfigIssue[],
  warnings: string[],
  validatorDeps: BearerValidatorDeps,
): ProfileRegistry {
  const byEnvironment = new Map<string, Map<string, CompiledProfile>>();
  const basicUsers = new Map<BasicProfile, Omit<BasicUserInput, 'profileIndex'>[]>();
  for (const [environment, { profiles }] of Object.entries(config.environments)) {
    const compiled = new Map<string, CompiledProfile>();
    for (const [name, profile] of Object.entries(profiles)) {
      const path = ['environments', environment, 'profiles', name];
      const base = {
        name,
        environment,
        ipRanges: profile.ipRanges.length === 0 ? undefined : IpRangeSet.compile(profile.ipRanges),
        auditHeader: profile.auditHeader,
        rateLimit:
          profile.rateLimit === undefined
            ? undefined
            : { limit: profile.rateLimit.limit, periodMs: profile.rateLimit.periodSeconds * 1000 },
      };
      if (profile.type === 'oauth2' && (profile.provider.kind === 'jwt' || profile.provider.kind === 'oidc')) {
        if (profile.provider.audience === undefined) {
          warnings.push(
            `Profile "${environment}/${name}" accepts every token its issuer signs, for any audience; set provider.audience`,
          );
        }
      }
      const result = compileProfile(profile, base, path, issues, validatorDeps);
      compiled.set(name, result.profile);
      if (result.users !== undefined && result.profile.type === 'basic') basicUsers.set(result.profile, result.users);
    }
    byEnvironment.set(environment, compiled);
  }
  return { byEnvironment, basicUsers };
}

type Base = Pick<CompiledProfile, 'name' | 'environment' | 'ipRanges' | 'auditHeader' | 'rateLimit'>;

function compileProfile(
  profile: ProfileConfig,
  base: Base,
  path: (string | number)[],
  issues: ConfigIssue[],
  validatorDeps: BearerValidatorDeps,
): { profile: CompiledProfile; users?: Omit<BasicUserInput, 'profileIndex'>[] } {
  switch (profile.type) {
    case 'anonymous':
      return { profile: { ...base, type: 'anonymous' } };
    case 'basic': {
      const users: Omit<BasicUserInput, 'profileIndex'>[] = [];
      const names = new Set<string>();
      profile.users.forEach((user, index) => {
        if (names.has(user.username)) {
          issues.push({ path: [...path, 'users', index, 'username'], message: `duplicate user "${user.username}"` });
        }
        names.add(user.username);
        if (user.password !== undefined) {
          users.push({ username: user.username, secret: { kind: 'plain', password: user.password } });
          return;
        }
        const hash = parsePasswordHash(user.passwordHash ?? '');
        if (typeof hash === 'string') issues.push({ path: [...path, 'users', index, 'passwordHash'], message: hash });
        else users.push({ username: user.username, secret: { kind: 'hash', hash } });
      });
      return { profile: { ...base, type: 'basic', realm: profile.realm }, users };
    }
    case 'oauth2': {
      try {
        const validator = createBearerValidator(
          { ...profile.provider, requiredScopes: profile.requiredScopes },
          validatorDeps,
        );
        return {
          profile: {
            ...base,
            type: 'oauth2',
            realm: profile.realm,
            validator,
            requiredScopes: profile.requiredScopes,
            identityClaim: profile.identityClaim,
          },
        };
      } catch (error) {
        issues.push({ path: [...path, 'provider'], message: (error as Error).message });
        return { profile: { ...base, type: 'anonymous' } };
      }
    }
  }
}
