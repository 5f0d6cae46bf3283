import { type RedisClientLike, type RedisCommandSender, redisCommandSender } from './redis-client';
import { rateLimitScript, rateLimitScriptSha1 } from './redis-script';
import type { CounterState, RateLimitCheck, RateLimitOutcome, RateLimitStore } from './store';

/** Key prefix used when none is given. `{rl}` is the hash tag that keeps every counter in one cluster slot. */
export const defaultRedisKeyPrefix = 'sideguard:{rl}:';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /**
   * Prefix of every key the store writes (`sideguard:{rl}:` by default). It must contain a non-empty
   * `{hash tag}`: the decision script derives window keys itself, which Redis Cluster allows only when
   * all keys share one hash slot.
   */
  keyPrefix?: string;
  /** Milliseconds a decision may take before `consume` rejects (100 by default). */
  timeoutMs?: number;
}

/**
 * A rate-limit store shared by every gateway that uses the same Redis. Each decision is one `EVALSHA` of
 * a Lua script, so it is atomic across gateways, and windows follow the Redis server's clock
 * (`check.now` is ignored). `consume` rejects when Redis fails or does not answer within `timeoutMs`;
 * the limiter then applies its failure mode.
 *
 * Configure the client to fail fast rather than queue while Redis is down, or a command that timed out
 * here may still run (and charge its counters) after a reconnect: ioredis
 * `{ enableOfflineQueue: false, maxRetriesPerRequest: 0 }`, node-redis `{ disableOfflineQueue: true }`.
 *
 * @param client - a connected ioredis or node-redis client (the store never closes it)
 * @param options - key prefix and timeout
 * @throws TypeError when the client is neither kind, or the key prefix has no hash tag
 * @throws RangeError when the timeout is not a positive number of milliseconds that a timer can hold
 */
export function createRedisStore(client: RedisClientLike, options: RedisStoreOptions = {}): RateLimitStore {
  const send = redisCommandSender(client);
  const keyPrefix = options.keyPrefix ?? defaultRedisKeyPrefix;
  if (!hasHashTag(keyPrefix)) {
    throw new TypeError(
      `Redis store keyPrefix ${JSON.stringify(keyPrefix)} needs a {hash tag}, e.g. 'sideguard:{rl}:', so all keys share one cluster slot`,
    );
  }
  const timeoutMs = options.timeoutMs ?? 100;
  // setTimeout fires at once for delays past 2^31 − 1 ms, so those would time out every decision.
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > 2 ** 31 - 1) {
    throw new RangeError('Redis store timeoutMs must be a positive number of milliseconds, at most 2^31 - 1');
  }
  const scripts = new ScriptRunner(send);

  return {
    kind: 'redis',
    consume(check) {
      let args: string[];
      try {
        args = scriptArguments(check, keyPrefix);
      } catch (error) {
        return Promise.reject(error);
      }
      // Nothing to count: admit without asking Redis.
      if (check.counters.length === 0) return Promise.resolve({ admitted: true, counters: [] });
      return withTimeout(scripts.run(args), timeoutMs).then((reply) => parseReply(reply, check.counters.length));
    },
  };
}

/**
 * Whether a key prefix fixes the hash slot of every key that starts with it: Redis hashes only what is
 * between the first `{` and the first `}` after it, when that is not empty.
 */
export function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  if (open < 0) return false;
  const close = prefix.indexOf('}', open + 1);
  return close > open + 1;
}

/** Keys and arguments of the script after `EVALSHA sha numkeys`, checked so the script never sees junk. */
function scriptArguments(check: RateLimitCheck, keyPrefix: string): string[] {
  const { counters, cost, algorithm } = check;
  if (!Number.isSafeInteger(cost) || cost < 0) throw new RangeError('Rate-limit cost must be a non-negative integer');
  if (algorithm !== 'fixed' && algorithm !== 'sliding') throw new RangeError('Unknown rate-limit algorithm');
  const keys: string[] = [];
  const values: string[] = [String(cost), algorithm];
  for (const { key, limit, periodMs } of counters) {
    if (typeof key !== 'string' || key === '') throw new TypeError('Rate-limit counter key must be a non-empty string');
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new RangeError('Rate-limit counter limit must be a non-negative integer');
    }
    if (!Number.isSafeInteger(periodMs) || periodMs < 1) {
      throw new RangeError('Rate-limit counter periodMs must be a positive integer');
    }
    keys.push(`${keyPrefix}${key}`);
    values.push(String(limit), String(periodMs));
  }
  return [String(keys.length), ...keys, ...values];
}

/**
 * Runs the decision script by its SHA1 and loads it only when Redis does not know it (first use, restart,
 * `SCRIPT FLUSH`), so the body is sent once rather than with every decision.
 */
class ScriptRunner {
  readonly #send: RedisCommandSender;
  /** The load in progress, shared by every decision that hit `NOSCRIPT` meanwhile. */
  #loading: Promise<void> | undefined;

  constructor(send: RedisCommandSender) {
    this.#send = send;
  }

  async run(args: readonly string[]): Promise<unknown> {
    try {
      return await this.#send(['EVALSHA', rateLimitScriptSha1, ...args]);
    } catch (error) {
      // Any other error (connection, WRONGTYPE, OOM, …) would fail again or must not run twice.
      if (!isNoScript(error)) throw error;
    }
    await this.#load();
    return this.#send(['EVALSHA', rateLimitScriptSha1, ...args]);
  }

  #load(): Promise<void> {
    this.#loading ??= this.#send(['SCRIPT', 'LOAD', rateLimitScript])
      .then((sha) => {
        if (sha !== rateLimitScriptSha1) throw new Error('Redis returned an unexpected SHA1 for the rate-limit script');
      })
      .finally(() => {
        this.#loading = undefined;
      });
    return this.#loading;
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * Settles like `work`, or rejects after `ms`. The timer is cleared either way, and a reply or error that
 * arrives after the timeout is absorbed here, so it neither surfaces nor goes unhandled.
 */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`Redis rate-limit store did not answer within ${ms} ms`));
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        const reason = error instanceof Error ? error.message : String(error);
        reject(new Error(`Redis rate-limit store failed: ${reason}`, { cause: error }));
      },
    );
  });
}

/** Turns the script's reply into an outcome, refusing anything not shaped as the script answers. */
function parseReply(reply: unknown, counters: number): RateLimitOutcome {
  // node-redis and ioredis hand a bulk string over as a string; some setups return a Buffer.
  const text = typeof reply === 'string' ? reply : reply instanceof Uint8Array ? Buffer.from(reply).toString() : '';
  const parts = text.split(' ');
  if (parts.length !== 1 + 2 * counters || (parts[0] !== '0' && parts[0] !== '1')) throw malformed();
  const states: CounterState[] = [];
  for (let i = 1; i < parts.length; i += 2) {
    const used = wholeNumber(parts[i]);
    const resetMs = wholeNumber(parts[i + 1]);
    states.push({ used, resetMs });
  }
  return { admitted: parts[0] === '1', counters: states };
}

function wholeNumber(text: string | undefined): number {
  if (text === undefined || !/^\d{1,15}$/.test(text)) throw malformed();
  return Number(text);
}

function malformed(): Error {
  return new Error('Redis rate-limit store got a malformed reply from the decision script');
}
