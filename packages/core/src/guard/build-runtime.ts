import { createHmac, randomBytes } from 'node:crypto';
import { BruteForceTracker } from '../auth/brute-force';
import type { CompiledConfig } from '../config/compile';
import { sidebandConnectors } from '../config/schema';
import { ConfigError } from '../errors/config-error';
import { MemoryStore } from '../ratelimit/memory-store';
import { RateLimiter } from '../ratelimit/rate-limiter';
import type { RedisClientLike } from '../ratelimit/redis-client';
import { createRedisStore } from '../ratelimit/redis-store';
import { AseConnector } from '../sideband/ase/ase-connector';
import { SidebandClient } from '../sideband/http/index';
import { PingAuthorizeConnector } from '../sideband/pingauthorize/pingauthorize-connector';
import type { SidebandConnector } from '../sideband/sideband-connector';
import type { CauseLogger, Logger } from '../telemetry/logger';
import type { GuardRuntime } from './guard-runtime';

/** Guard-wide services the runtime is built from. */
export interface RuntimeServices {
  readonly failures: CauseLogger;
  readonly logger: Logger;
  readonly wallClock: () => number;
  /** A Redis client (ioredis or node-redis) for `rateLimits.store.type: "redis"`. */
  readonly redis: RedisClientLike | undefined;
}

/** After a store failure, how long decisions skip the store before trying it again. */
const storeRetryMs = 1000;

/**
 * Builds the runtime for a compiled config, reusing the previous one's counters wherever their
 * settings did not change: a reload neither resets a lockout nor empties the rate-limit windows.
 * @param config - the new compiled config
 * @param previous - the runtime and config in force before, on reload
 * @param services - logger, clock, Redis client
 * @throws ConfigError when the config needs a Redis client and none was given
 */
export function buildRuntime(
  config: CompiledConfig,
  previous: { readonly runtime: GuardRuntime; readonly config: CompiledConfig } | undefined,
  services: RuntimeServices,
): GuardRuntime {
  const sameBruteForce = previous !== undefined && same(previous.config.bruteForce, config.bruteForce);
  const bruteForce = sameBruteForce
    ? previous.runtime.bruteForce
    : config.bruteForce === undefined
      ? undefined
      : new BruteForceTracker(config.bruteForce);

  const { store, onStoreError } = config.rateLimits;
  // The failure mode only matters for a shared store; a memory store keeps its counters regardless.
  const sameStore =
    previous !== undefined &&
    same(previous.config.rateLimits.store, store) &&
    (store.type === 'memory' || previous.config.rateLimits.onStoreError === onStoreError);
  const rateLimiter = sameStore ? previous.runtime.rateLimiter : createLimiter(config, services);
  const hashKey = previous?.runtime.hashKey ?? randomBytes(32);
  const ase = aseFor(config, previous, services, hashKey);
  const pingauthorize = pingAuthorizeFor(config, previous, services);
  return {
    bruteForce,
    rateLimiter,
    sideband: { ase, pingauthorize },
    hashKey,
    failures: services.failures,
    wallClock: services.wallClock,
  };
}

/**
 * How long a replaced connector stays open at least: exchanges begun before the reload may still be in
 * earlier stages (authentication, rate limits) and reach it later.
 */
const retireAfterMs = 30_000;
/** How long a replaced connector waits at most for its exchanges: one whose response never came cannot pin it. */
const retireAtMostMs = 600_000;

function aseFor(
  config: CompiledConfig,
  previous: { readonly runtime: GuardRuntime; readonly config: CompiledConfig } | undefined,
  services: RuntimeServices,
  hashKey: Buffer,
): AseConnector | undefined {
  const settings = config.sideband.ase;
  const old = previous?.runtime.sideband.ase;
  if (
    old !== undefined &&
    settings !== undefined &&
    previous?.config.sideband.ase?.fingerprint === settings.fingerprint
  ) {
    return old;
  }
  if (settings === undefined) return undefined;
  const client = new SidebandClient({ ...settings.client, logger: services.logger });
  // Without a configured key, redaction hashes stay stable for the guard's lifetime, across reloads.
  const redactionKey = settings.redactionKey ?? createHmac('sha256', hashKey).update('ase-redaction').digest('hex');
  const connector = { ...settings.connector, headers: { ...settings.connector.headers, redactionKey } };
  return new AseConnector(client, connector, services.failures);
}

function pingAuthorizeFor(
  config: CompiledConfig,
  previous: { readonly runtime: GuardRuntime; readonly config: CompiledConfig } | undefined,
  services: RuntimeServices,
): PingAuthorizeConnector | undefined {
  const settings = config.sideband.pingauthorize;
  if (settings === undefined) return undefined;
  const old = previous?.runtime.sideband.pingauthorize;
  if (old !== undefined && previous?.config.sideband.pingauthorize?.fingerprint === settings.fingerprint) return old;
  const client = new SidebandClient({ ...settings.client, logger: services.logger });
  return new PingAuthorizeConnector(client, settings.connector, services.failures);
}

/**
 * Closes what a replaced runtime used and the new one does not, once the exchanges still using it are
 * done, response phases included: no sooner than 30 s after the reload, no later than 10 minutes.
 * Called only once the new runtime is in force, so a reload that fails leaves the old connections alone.
 * @param old - the runtime that was replaced
 * @param current - the runtime now in force
 * @param retiring - connectors waiting to close: each is added here and removed once closed, so
 *   `guard.close()` can close them at once
 */
export function retireRuntime(old: GuardRuntime, current: GuardRuntime, retiring: Set<SidebandConnector>): void {
  for (const name of sidebandConnectors) {
    const connector = old.sideband[name];
    if (connector === undefined || connector === current.sideband[name]) continue;
    retiring.add(connector);
    void connector.users.idle(retireAfterMs, retireAtMostMs).then(() => {
      retiring.delete(connector);
      return connector.client.close();
    });
  }
}

function createLimiter(config: CompiledConfig, services: RuntimeServices): RateLimiter {
  const { store, onStoreError } = config.rateLimits;
  if (store.type === 'memory') {
    return new RateLimiter(new MemoryStore(store.maxKeys), undefined, { onStoreError, retryMs: 0 }, services.logger);
  }
  if (services.redis === undefined) {
    throw new ConfigError([
      {
        path: ['rateLimits', 'store', 'type'],
        message: 'the Redis store needs a client: pass it as createGuard(config, { redis })',
      },
    ]);
  }
  const redisStore = createRedisStore(services.redis, {
    timeoutMs: store.timeoutMs,
    ...(store.keyPrefix === undefined ? {} : { keyPrefix: store.keyPrefix }),
  });
  return new RateLimiter(
    redisStore,
    onStoreError === 'memory' ? new MemoryStore() : undefined,
    { onStoreError, retryMs: storeRetryMs },
    services.logger,
  );
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
