import { createHash, randomBytes } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { type BasicMatch, BasicVerifier } from '../auth/basic/basic-verifier';
import type { BruteForceSettings } from '../auth/brute-force';
import { basicChallenge } from '../auth/challenge';
import { BoundedLru } from '../cache/bounded-lru';
import { ConfigError, type ConfigIssue } from '../errors/config-error';
import type { ApiInfo } from '../guard/exchange';
import type { RequestReadOptions } from '../http/gateway-request';
import { profileCombinationProblems } from '../profiles/combination-rules';
import { compileProfiles, type ProfileRegistry } from '../profiles/compile-profiles';
import type { ApiAuthentication, BasicProfile, CompiledProfile } from '../profiles/compiled-profile';
import type { RateLimitHeaderDraft } from '../ratelimit/headers';
import type { StoreFailureMode } from '../ratelimit/rate-limiter';
import type { RateLimitAlgorithm } from '../ratelimit/store';
import { RouteTable } from '../routing/route-table';
import { compileRules } from '../rules/compile-rules';
import type { CompiledRules } from '../rules/compiled-rule';
import type { AseConnectorSettings } from '../sideband/ase/ase-connector';
import type { SidebandClientOptions, SidebandTlsOptions } from '../sideband/http/index';
import { compileMediaRanges } from '../sideband/pingauthorize/media-types';
import type { PingAuthorizeSettings } from '../sideband/pingauthorize/pingauthorize-connector';
import { type Logger, silentLogger } from '../telemetry/logger';
import { configDirOf } from './load-config';
import { createConfigSchema, type SideguardConfig, sidebandConnectors } from './schema';

/** An API ready for the hot path. */
export interface CompiledApi {
  readonly info: ApiInfo;
  readonly host: string | undefined;
  readonly basePath: string;
  readonly sslOnly: 'redirect' | 'reject' | undefined;
  readonly auth: ApiAuthentication;
  /** Rate-limit units one hit costs. */
  readonly rateLimitCost: number;
  /** Sideband connectors to run, in order. */
  readonly sideband: readonly SidebandConnectorName[];
}

/** Names of sideband connectors. */
export type SidebandConnectorName = (typeof sidebandConnectors)[number];

/** PingAuthorize settings ready for the runtime: the client's options and the connector's. */
export interface CompiledPingAuthorize {
  readonly client: SidebandClientOptions;
  readonly connector: PingAuthorizeSettings;
  /** Identifies these settings, so a reload that keeps them keeps the connection pools. */
  readonly fingerprint: string;
}

/** ASE settings ready for the runtime: the client's options and the connector's. */
export interface CompiledAse {
  readonly client: SidebandClientOptions;
  readonly connector: AseConnectorSettings;
  /** The configured redaction key; without one the runtime derives a stable key of its own. */
  readonly redactionKey: string | undefined;
  /** Identifies these settings, so a reload that keeps them keeps the connection pools. */
  readonly fingerprint: string;
}

/** Rate-limit settings ready for the request path. */
export interface CompiledRateLimits {
  readonly org: { readonly limit: number; readonly periodMs: number } | undefined;
  readonly consumer:
    | { readonly by: 'identity' | 'ip'; readonly limit: number; readonly periodMs: number; readonly ipv6Prefix: number }
    | undefined;
  readonly algorithm: RateLimitAlgorithm;
  readonly headers: { readonly enabled: boolean; readonly draft: RateLimitHeaderDraft; readonly legacy: boolean };
  readonly partitionSecret: string;
  /** Which store and how to treat it; the guard keeps one store across reloads while this is unchanged. */
  readonly store: SideguardConfig['rateLimits']['store'];
  readonly onStoreError: StoreFailureMode;
}

/** A remembered successful Basic verification. */
export interface CachedBasicLogin {
  readonly profile: BasicProfile;
  readonly username: string;
}

/** A validated configuration turned into the structures the request path reads. */
export interface CompiledConfig {
  readonly apis: readonly CompiledApi[];
  readonly routes: RouteTable<CompiledApi>;
  readonly denyUnmatched: boolean;
  readonly failOpen: boolean;
  readonly read: RequestReadOptions;
  /** Brute-force limits; `undefined` when turned off. */
  readonly bruteForce: BruteForceSettings | undefined;
  /** Successful Basic verifications by API and keyed hash of the header; new with every config. */
  readonly basicCache: BoundedLru<string, CachedBasicLogin>;
  readonly basicCacheTtlMs: number;
  /** Basic verifications under way, by the same key as `basicCache`: identical concurrent logins share one. */
  readonly basicInFlight: Map<string, Promise<BasicMatch | undefined>>;
  /** Key for the keyed hashes that name cache entries and usernames in counters. */
  readonly hashKey: Buffer;
  /** Things that are allowed but probably not meant, to log at startup and reload. */
  readonly warnings: readonly string[];
  readonly rateLimits: CompiledRateLimits;
  readonly sideband: {
    readonly ase: CompiledAse | undefined;
    readonly pingauthorize: CompiledPingAuthorize | undefined;
  };
  readonly rules: CompiledRules;
  /** Most response-body bytes held for response rules. */
  readonly maxResponseBytes: number;
}

/** Options of {@link compileConfig}. */
export interface CompileOptions {
  /** Folder for relative `{ "file": … }` secrets; default: the working directory. */
  baseDir?: string;
  /** Logger handed to token validators. */
  logger?: Logger;
  /** Wall clock handed to token validators (expiry checks, caches); default `Date.now`. */
  now?: () => number;
}

/**
 * Validates a configuration and compiles it once for the request path.
 * @param input - the configuration as written
 * @param options - where secrets are read from, and a logger
 * @throws ConfigError listing every problem with its path
 */
export function compileConfig(input: unknown, options: CompileOptions = {}): CompiledConfig {
  const baseDir = options.baseDir ?? process.cwd();
  const schema = createConfigSchema({ baseDir, env: process.env });
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        path: issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment))),
        message: issue.message,
      })),
    );
  }
  const config = parsed.data;
  const issues: ConfigIssue[] = [];
  checkApiIdentity(config, issues);
  const warnings: string[] = [];
  const registry = compileProfiles(config, issues, warnings, {
    logger: options.logger ?? silentLogger,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const apis = config.apis.map((api, index): CompiledApi => {
    const profiles = resolveProfiles(config, registry, index, issues);
    if (profiles.length === 0 && config.defaultAccess === 'allow') {
      warnings.push(
        `API "${api.name}" has no security profile and is public; assign a profile or set defaultAccess: "deny"`,
      );
    }
    if (api.host !== undefined && config.unmatched === 'pass') {
      warnings.push(
        `API "${api.name}" is bound to host ${api.host}, but requests naming another host pass untouched; set unmatched: "deny" unless the app routes by host itself`,
      );
    }
    if (api.sslOnly === 'redirect' && api.host === undefined) {
      warnings.push(`API "${api.name}" redirects to https on whatever host the client names; bind it to a host`);
    }
    return {
      info: Object.freeze({ name: api.name, host: api.host, basePath: api.basePath, environment: api.environment }),
      host: api.host,
      basePath: api.basePath,
      sslOnly: api.sslOnly,
      auth: authenticationFor(api.name, profiles, registry, config.defaultAccess),
      rateLimitCost: api.rateLimitCost,
      sideband: sidebandChain(config, index, issues),
    };
  });
  const rules = compileRules(config, issues);
  if (issues.length > 0) throw new ConfigError(issues);
  if (config.rateLimits.consumer !== undefined && config.rateLimits.partitionSecret === undefined) {
    warnings.push(
      'rateLimits.consumer without a partitionSecret: hashed client addresses in counter keys and RateLimit headers can be reversed by brute force; set one',
    );
  }

  const { bruteForce, cache } = config.authentication;
  return {
    apis,
    routes: new RouteTable(apis, config.routing.caseSensitive),
    denyUnmatched: config.unmatched === 'deny',
    failOpen: config.onError === 'open',
    read: {
      trustedProxies:
        config.trustedProxies === undefined
          ? undefined
          : { blocks: config.trustedProxies.addresses.flat(), header: config.trustedProxies.header },
      maxBodyBytes: config.body.maxBytes,
    },
    bruteForce:
      bruteForce === false
        ? undefined
        : {
            maxFailures: bruteForce.maxFailures,
            windowMs: bruteForce.windowSeconds * 1000,
            lockoutMs: bruteForce.lockoutSeconds * 1000,
            maxKeys: 100_000,
          },
    basicCache: new BoundedLru(cache.maxEntries),
    basicInFlight: new Map(),
    basicCacheTtlMs: cache.ttlSeconds * 1000,
    hashKey: randomBytes(32),
    warnings,
    rateLimits: compileRateLimits(config.rateLimits),
    rules,
    maxResponseBytes: config.body.maxResponseBytes,
    sideband: {
      ase: config.sideband.ase === undefined ? undefined : compileAse(config.sideband.ase, baseDir, warnings),
      pingauthorize:
        config.sideband.pingAuthorize === undefined
          ? undefined
          : compilePingAuthorize(config.sideband.pingAuthorize, config.body.maxBytes, baseDir, warnings),
    },
  };
}

/** The API's connectors: its own list, else the default chain, else every configured connector. */
function sidebandChain(config: SideguardConfig, index: number, issues: ConfigIssue[]): SidebandConnectorName[] {
  const api = config.apis[index];
  const configured = sidebandConnectors.filter((name) => config.sideband[sidebandSections[name]] !== undefined);
  const chain = api?.sideband ?? config.sideband.defaultChain ?? configured;
  chain.forEach((name, position) => {
    if (!configured.includes(name)) {
      issues.push({
        path:
          api?.sideband === undefined ? ['sideband', 'defaultChain', position] : ['apis', index, 'sideband', position],
        message: `connector "${name}" is not configured under sideband.${sidebandSections[name]}`,
      });
    }
  });
  return [...new Set(chain)];
}

/** The config section of each connector. */
const sidebandSections = { ase: 'ase', pingauthorize: 'pingAuthorize' } as const satisfies Record<
  SidebandConnectorName,
  keyof SideguardConfig['sideband']
>;

/** Sideband TLS settings with file paths resolved against the config's folder. */
function sidebandTls(tls: SidebandTlsConfig | undefined, baseDir: string): { tls?: SidebandTlsOptions } {
  if (tls === undefined) return {};
  const file = (path: string) => (isAbsolute(path) ? path : resolve(baseDir, path));
  return {
    tls: {
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(tls.caFiles === undefined ? {} : { caFiles: tls.caFiles.map(file) }),
      ...(tls.certFile === undefined ? {} : { certFile: file(tls.certFile) }),
      ...(tls.keyFile === undefined ? {} : { keyFile: file(tls.keyFile) }),
      ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
    },
  };
}

type SidebandTlsConfig = NonNullable<NonNullable<SideguardConfig['sideband']['ase']>['tls']>;

function compilePingAuthorize(
  section: NonNullable<SideguardConfig['sideband']['pingAuthorize']>,
  maxBodyBytes: number,
  baseDir: string,
  warnings: string[],
): CompiledPingAuthorize {
  if (section.tls?.rejectUnauthorized === false) {
    warnings.push('PingAuthorize certificates are not verified (sideband.pingAuthorize.tls.rejectUnauthorized: false)');
  }
  if (section.requestBody.maxBytes > maxBodyBytes) {
    warnings.push(
      `sideband.pingAuthorize.requestBody.maxBytes is above body.maxBytes (${maxBodyBytes}): larger bodies get 413 at body.maxBytes`,
    );
  }
  const largestBody = Math.max(section.requestBody.maxBytes, section.responseBody.maxBytes);
  const client: SidebandClientOptions = {
    endpoints: section.endpoints,
    connectTimeoutMs: section.connectTimeoutMs,
    requestTimeoutMs: section.timeoutMs,
    connections: section.connections,
    keepAliveMs: section.keepAliveMs,
    // A reply echoes the body as a JSON string (up to 6 bytes per byte, `\u00XX`) plus headers and state.
    maxResponseBytes: 6 * largestBody + 1024 * 1024,
    recoveryCooldownMs: section.recoveryCooldownSeconds * 1000,
    ...sidebandTls(section.tls, baseDir),
  };
  const connector: PingAuthorizeSettings = {
    sharedSecret: section.sharedSecret,
    sharedSecretHeader: section.sharedSecretHeader,
    timeoutMs: section.timeoutMs,
    failMode: section.failMode,
    requestBody: {
      contentTypes: compileMediaRanges(section.requestBody.contentTypes),
      maxBytes: section.requestBody.maxBytes,
    },
    maxHeaders: section.maxHeaders,
    responsePhase: section.responsePhase,
    requestContext: section.requestContext,
    responseBody: {
      contentTypes: compileMediaRanges(section.responseBody.contentTypes),
      maxBytes: section.responseBody.maxBytes,
    },
    sendAccessToken: section.sendAccessToken,
  };
  // Hashed, since the settings hold the shared secret.
  const fingerprint = createHash('sha256').update(JSON.stringify(section)).digest('hex');
  return { client, connector, fingerprint };
}

function compileAse(
  ase: NonNullable<SideguardConfig['sideband']['ase']>,
  baseDir: string,
  warnings: string[],
): CompiledAse {
  const tls = ase.tls;
  if (tls?.rejectUnauthorized === false)
    warnings.push('ASE certificates are not verified (sideband.ase.tls.rejectUnauthorized: false)');
  const redactionKey = ase.headers.redactionKey;
  if (ase.headers.redact.length > 0 && redactionKey === undefined) {
    warnings.push(
      'sideband.ase.headers.redact without a redactionKey: redacted values change at every restart and differ between gateways',
    );
  }
  const client: SidebandClientOptions = {
    endpoints: ase.endpoints,
    connectTimeoutMs: ase.connectTimeoutMs,
    requestTimeoutMs: ase.timeoutMs,
    connections: ase.connections,
    recoveryCooldownMs: ase.recoveryCooldownSeconds * 1000,
    ...(ase.healthCheck === undefined
      ? {}
      : { healthCheck: { path: '/ase', intervalMs: ase.healthCheck.intervalSeconds * 1000 } }),
    ...sidebandTls(tls, baseDir),
  };
  const connector: AseConnectorSettings = {
    token: ase.token,
    failMode: ase.failMode,
    integrationErrors: ase.integrationErrors,
    responsePhase: ase.responsePhase,
    headers: {
      mode: ase.headers.mode,
      names: new Set(ase.headers.list),
      redact: new Set(ase.headers.redact),
      sendCredentials: ase.headers.sendCredentials,
      // Replaced by the runtime when not configured.
      // Replaced by the runtime's stable key when none is configured.
      redactionKey: redactionKey ?? '',
      maxHeaders: ase.headers.maxHeaders,
      maxBytes: ase.headers.maxBytes,
    },
  };
  // Hashed, since the settings hold the token and keys.
  const fingerprint = createHash('sha256').update(JSON.stringify(ase)).digest('hex');
  return { client, connector, redactionKey, fingerprint };
}

function compileRateLimits(limits: SideguardConfig['rateLimits']): CompiledRateLimits {
  return {
    org: limits.org === undefined ? undefined : { limit: limits.org.limit, periodMs: limits.org.periodSeconds * 1000 },
    consumer:
      limits.consumer === undefined
        ? undefined
        : {
            by: limits.consumer.by,
            limit: limits.consumer.limit,
            periodMs: limits.consumer.periodSeconds * 1000,
            ipv6Prefix: limits.consumer.ipv6Prefix,
          },
    algorithm: limits.algorithm,
    headers: limits.headers,
    // A fixed default keeps counter keys equal across gateways; set a secret to keep partitions unguessable.
    partitionSecret: limits.partitionSecret ?? 'sideguard-partition',
    store: limits.store,
    onStoreError: limits.onStoreError,
  };
}

/** Unique API names, and no two APIs on the same host and base path. */
function checkApiIdentity(config: SideguardConfig, issues: ConfigIssue[]): void {
  const names = new Map<string, number>();
  const places = new Map<string, number>();
  config.apis.forEach((api, index) => {
    const sameName = names.get(api.name);
    if (sameName !== undefined) {
      issues.push({
        path: ['apis', index, 'name'],
        message: `duplicate API name "${api.name}" (also apis[${sameName}])`,
      });
    } else names.set(api.name, index);
    const path = config.routing.caseSensitive ? api.basePath : api.basePath.toLowerCase();
    const key = `${api.host ?? '*'} ${path}`;
    const samePlace = places.get(key);
    if (samePlace !== undefined) {
      issues.push({
        path: ['apis', index, 'basePath'],
        message: `"${api.name}" has the same host and base path as apis[${samePlace}]${config.routing.caseSensitive ? '' : ' (paths compare case-insensitively)'}`,
      });
    } else places.set(key, index);
  });
}

/** The API's profiles from its own environment, checking every rule of the seed. */
function resolveProfiles(
  config: SideguardConfig,
  registry: ProfileRegistry,
  index: number,
  issues: ConfigIssue[],
): CompiledProfile[] {
  const api = config.apis[index];
  if (api === undefined || api.profiles.length === 0) return [];
  if (api.environment === undefined) {
    issues.push({ path: ['apis', index, 'environment'], message: 'an API with profiles must name its environment' });
    return [];
  }
  const own = registry.byEnvironment.get(api.environment);
  if (own === undefined) {
    issues.push({ path: ['apis', index, 'environment'], message: `unknown environment "${api.environment}"` });
    return [];
  }
  const found: CompiledProfile[] = [];
  api.profiles.forEach((name, position) => {
    const profile = own.get(name);
    if (profile !== undefined) {
      found.push(profile);
      return;
    }
    const elsewhere = [...registry.byEnvironment]
      .filter(([, profiles]) => profiles.has(name))
      .map(([env]) => `"${env}"`);
    issues.push({
      path: ['apis', index, 'profiles', position],
      message:
        elsewhere.length > 0
          ? `profile "${name}" belongs to environment ${elsewhere.join(', ')}, not "${api.environment}"; a profile is valid only in its own environment`
          : `unknown profile "${name}" in environment "${api.environment}"`,
    });
  });
  for (const problem of profileCombinationProblems(found))
    issues.push({ path: ['apis', index, 'profiles'], message: problem });
  return found;
}

function authenticationFor(
  apiName: string,
  profiles: readonly CompiledProfile[],
  registry: ProfileRegistry,
  defaultAccess: 'allow' | 'deny',
): ApiAuthentication {
  const first = profiles[0];
  if (first === undefined) return { kind: defaultAccess === 'deny' ? 'deny' : 'public' };
  if (first.type === 'anonymous') return { kind: 'anonymous', profile: first };
  if (first.type === 'oauth2') return { kind: 'oauth2', profile: first, realm: first.realm ?? apiName };
  // Combination rules guarantee the rest are Basic too; duplicates were reported, so keep the first of each.
  const basics = profiles
    .filter((p): p is BasicProfile => p.type === 'basic')
    .filter((p, i, all) => all.indexOf(p) === i);
  const users = basics.flatMap((profile, profileIndex) =>
    (registry.basicUsers.get(profile) ?? []).map((user) => ({ ...user, profileIndex })),
  );
  return {
    kind: 'basic',
    profiles: basics,
    verifier: new BasicVerifier(users),
    challenge: basicChallenge(first.realm ?? apiName),
  };
}

/**
 * Checks a configuration without building a guard.
 * @param input - the configuration as written
 * @returns the problems found; empty when the configuration is valid
 */
export function validateConfig(input: unknown): readonly ConfigIssue[] {
  try {
    compileConfig(input, { baseDir: configDirOf(input) });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
}
