import fc from 'fast-check';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServerHandle, startRedisServer } from '../../../../tools/test-utils/redis-server';
import { MemoryStore } from '../../src/ratelimit/memory-store';
import type { RedisClientLike } from '../../src/ratelimit/redis-client';
import { rateLimitScript, rateLimitScriptSha1 } from '../../src/ratelimit/redis-script';
import { createRedisStore, defaultRedisKeyPrefix } from '../../src/ratelimit/redis-store';
import type { RateLimitAlgorithm, RateLimitCheck, RateLimitCounter } from '../../src/ratelimit/store';

/** Ten years: windows this long do not turn over while a test runs, so fixed-window results are exact. */
const longPeriod = 10 * 365 * 86_400_000;

/** An open client of one library and how to close it. */
interface Connection {
  client: RedisClientLike;
  close(): void;
}

/** One client library under test. */
interface Flavor {
  name: string;
  /**
   * @param failFast - the settings the store's docs recommend (no offline queue, no retries); otherwise
   *   the library defaults, which queue commands while disconnected and replay them after a reconnect
   */
  connect(port: number, failFast: boolean): Promise<Connection>;
}

const flavors: Flavor[] = [
  {
    name: 'ioredis',
    async connect(port, failFast) {
      const client = new Redis(port, '127.0.0.1', {
        lazyConnect: true,
        retryStrategy: () => 50,
        ...(failFast ? { enableOfflineQueue: false, maxRetriesPerRequest: 0 } : {}),
      });
      // Outage tests make the client report connection errors; they are expected there.
      client.on('error', () => {});
      await client.connect();
      return { client, close: () => client.disconnect() };
    },
  },
  {
    name: 'node-redis',
    async connect(port, failFast) {
      const client = createClient({
        url: `redis://127.0.0.1:${port}`,
        disableOfflineQueue: failFast,
        socket: { reconnectStrategy: () => 50 },
      });
      // node-redis throws on an 'error' event without a listener; outage tests cause them on purpose.
      client.on('error', () => {});
      await client.connect();
      return { client, close: () => client.destroy() };
    },
  },
];

let server: RedisServerHandle;
/** Connection for inspecting and disturbing Redis; never used by a store under test. */
let admin: Redis;
const cleanups: (() => Promise<void> | void)[] = [];
let unique = 0;

/** A counter key no other test uses. */
function freshKey(label: string): string {
  unique += 1;
  return `${label}:${process.pid}:${unique}`;
}

function check(counters: RateLimitCounter[], cost = 1, algorithm: RateLimitAlgorithm = 'fixed'): RateLimitCheck {
  return { counters, cost, algorithm, now: 0 };
}

async function connect(flavor: Flavor, port = server.port, failFast = true): Promise<Connection> {
  const connection = await flavor.connect(port, failFast);
  cleanups.push(() => connection.close());
  return connection;
}

/** Calls per command name from `INFO commandstats`, including rejected calls. */
async function commandStats(): Promise<Map<string, number>> {
  const text = String(await admin.call('INFO', 'commandstats'));
  const calls = new Map<string, number>();
  for (const match of text.matchAll(/^cmdstat_(\S+?):calls=(\d+),.*?rejected_calls=(\d+)/gm)) {
    calls.set(match[1] ?? '', Number(match[2]) + Number(match[3]));
  }
  return calls;
}

function delta(before: Map<string, number>, after: Map<string, number>, name: string): number {
  return (after.get(name) ?? 0) - (before.get(name) ?? 0);
}

/** Wraps a client so every command it sends is recorded: one entry per round trip. */
function recording(client: RedisClientLike): { client: RedisClientLike; sent: string[] } {
  const sent: string[] = [];
  if ('call' in client) {
    return {
      sent,
      client: {
        call: (command: string, ...args: string[]) => {
          sent.push(command);
          return client.call(command, ...args);
        },
      },
    };
  }
  return {
    sent,
    client: {
      sendCommand: (args: readonly string[]) => {
        sent.push(args[0] ?? '');
        return client.sendCommand(args);
      },
    },
  };
}

async function windowKeys(key: string, prefix = defaultRedisKeyPrefix): Promise<string[]> {
  const keys = (await admin.call('KEYS', `${prefix}${key}:*`)) as string[];
  return keys.sort();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** The sliding estimate exactly as the script computes it, from the `resetMs` it returned. */
/** The previous window's weight in the sliding estimate (exact; whole units are reported rounded up). */
function carried(previous: number, periodMs: number, resetMs: number): number {
  return previous * (1 - (periodMs - resetMs) / periodMs);
}

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.port, '127.0.0.1', { lazyConnect: true });
  await admin.connect();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  admin?.disconnect();
  await server?.stop();
});

describe.each(flavors)('Redis store with $name', (flavor) => {
  it('admits exactly the limit in a fixed window, then rejects without charging', async () => {
    const { client } = await connect(flavor);
    const store = createRedisStore(client);
    expect(store.kind).toBe('redis');
    const counter = { key: freshKey('fixed'), limit: 5, periodMs: longPeriod };
    const outcomes = [];
    for (let i = 0; i < 7; i++) outcomes.push(await store.consume(check([counter])));
    expect(outcomes.map((outcome) => outcome.admitted)).toEqual([true, true, true, true, true, false, false]);
    expect(outcomes.map((outcome) => outcome.counters[0]?.used)).toEqual([1, 2, 3, 4, 5, 5, 5]);
    // Windows follow the Redis clock, not `check.now` (0 here).
    const resetMs = outcomes[0]?.counters[0]?.resetMs ?? 0;
    const redisNow = Number(((await admin.call('TIME')) as string[])[0]) * 1000;
    expect(Math.abs(resetMs - (longPeriod - (redisNow % longPeriod)))).toBeLessThan(2000);
  });

  it('consumes nothing from any counter when one of them is full', async () => {
    const { client } = await connect(flavor);
    const store = createRedisStore(client);
    const org = { key: freshKey('org'), limit: 10, periodMs: longPeriod };
    const profile = { key: freshKey('profile'), limit: 5, periodMs: longPeriod };
    for (let i = 1; i <= 5; i++) {
      const outcome = await store.consume(check([org, profile]));
      expect(outcome.admitted).toBe(true);
      expect(outcome.counters.map((state) => state.used)).toEqual([i, i]);
    }
    const rejected = await store.consume(check([org, profile]));
    expect(rejected.admitted).toBe(false);
    expect(rejected.counters.map((state) => state.used)).toEqual([5, 5]);
    // The org counter was not charged by the rejected hit.
    const orgOnly = await store.consume(check([org]));
    expect(orgOnly).toMatchObject({ admitted: true, counters: [{ used: 6 }] });
  });

  it('charges the cost to every counter and rejects a hit that does not fit whole', async () => {
    const { client } = await connect(flavor);
    const store = createRedisStore(client);
    const a = { key: freshKey('cost-a'), limit: 10, periodMs: longPeriod };
    const b = { key: freshKey('cost-b'), limit: 100, periodMs: 60_000 };
    const used = async (cost: number) => {
      const outcome = await store.consume(check([a, b], cost));
      return [outcome.admitted, ...outcome.counters.map((state) => state.used)];
    };
    expect(await used(4)).toEqual([true, 4, 4]);
    expect(await used(4)).toEqual([true, 8, 8]);
    expect(await used(4)).toEqual([false, 8, 8]);
    expect(await used(2)).toEqual([true, 10, 10]);
    expect(await used(11)).toEqual([false, 10, 10]);
  });

  it('agrees with the memory store on fixed windows', async () => {
    const { client } = await connect(flavor);
    const store = createRedisStore(client);
    const step = fc.record({
      counters: fc.subarray([0, 1, 2], { minLength: 1 }),
      cost: fc.integer({ min: 0, max: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(fc.nat(8), fc.nat(8), fc.nat(8)),
        fc.array(step, { maxLength: 15 }),
        async (limits, steps) => {
          const memory = new MemoryStore();
          const run = freshKey('model');
          const counters = limits.map((limit, i) => ({ key: `${run}:${i}`, limit, periodMs: longPeriod }));
          for (const { counters: picked, cost } of steps) {
            const chosen = picked.flatMap((i) => counters[i] ?? []);
            const redisOutcome = await store.consume(check(chosen, cost));
            const memoryOutcome = memory.consumeNow({ ...check(chosen, cost), now: Date.now() });
            expect(redisOutcome.admitted).toBe(memoryOutcome.admitted);
            expect(redisOutcome.counters.map((state) => state.used)).toEqual(
              memoryOutcome.counters.map((state) => state.used),
            );
          }
        },
      ),
      { numRuns: 20 },
    );
  });

  it('resets fixed windows at the boundary and lets sliding windows decay', async () => {
    const { client } = await connect(flavor);
    const store = createRedisStore(client);
    const periodMs = 1000;
    let fixed: RateLimitCounter;
    let sliding: RateLimitCounter;
    let resetMs: number;
    // Fill both counters early enough in a window that both hits land in the same one.
    for (;;) {
      fixed = { key: freshKey('boundary-fixed'), limit: 10, periodMs };
      sliding = { key: freshKey('boundary-sliding'), limit: 10, periodMs };
      const [first, second] = await Promise.all([
        store.consume(check([fixed], 10, 'fixed')),
        store.consume(check([sliding], 10, 'sliding')),
      ]);
      const firstReset = first.counters[0]?.resetMs ?? 0;
      resetMs = second.counters[0]?.resetMs ?? 0;
      if (first.admitted && second.admitted && firstReset > 300 && Math.abs(firstReset - resetMs) < 50) break;
      await sleep(firstReset + 5);
    }
    expect(await store.consume(check([sliding], 1, 'sliding'))).toMatchObject({ admitted: false });

    // About 200 ms into the next window.
    await sleep(resetMs + 200);
    const afterFixed = await store.consume(check([fixed], 1, 'fixed'));
    expect(afterFixed).toMatchObject({ admitted: true, counters: [{ used: 1 }] });

    const next = await store.consume(check([sliding], 1, 'sliding'));
    const nextReset = next.counters[0]?.resetMs ?? 0;
    const estimate = Math.ceil(carried(10, periodMs, nextReset));
    expect(estimate).toBeGreaterThan(0);
    expect(estimate).toBeLessThan(10);
    expect(next).toEqual({ admitted: true, counters: [{ used: estimate + 1, resetMs: nextReset }] });

    // A hit bigger than the room left is judged on the same decayed estimate and changes nothing.
    const big = await store.consume(check([sliding], 10 - estimate, 'sliding'));
    const bigReset = big.counters[0]?.resetMs ?? 0;
    const bigCarried = carried(10, periodMs, bigReset);
    expect(big.admitted).toBe(bigCarried + 1 + 10 - estimate <= 10);
    if (!big.admitted) expect(big.counters[0]?.used).toBe(Math.ceil(bigCarried) + 1);
    // The previous window's count survives its own window so the estimate can use it.
    const keys = await windowKeys(sliding.key);
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(Number(await admin.call('PTTL', key))).toBeGreaterThan(0);
  });

  it('sets expiries: the end of the window, or of the next one for sliding windows', async () => {
    const { client } = await connect(flavor);
    const store = createRedisStore(client);
    const periodMs = 60_000;
    const fixed = { key: freshKey('ttl-fixed'), limit: 10, periodMs };
    const sliding = { key: freshKey('ttl-sliding'), limit: 10, periodMs };
    const rejected = { key: freshKey('ttl-rejected'), limit: 0, periodMs };

    const fixedOutcome = await store.consume(check([fixed]));
    const [fixedKey] = await windowKeys(fixed.key);
    const fixedTtl = Number(await admin.call('PTTL', fixedKey ?? ''));
    const fixedReset = fixedOutcome.counters[0]?.resetMs ?? 0;
    expect(fixedTtl).toBeGreaterThan(fixedReset - 1000);
    expect(fixedTtl).toBeLessThanOrEqual(fixedReset);

    const slidingOutcome = await store.consume(check([sliding], 1, 'sliding'));
    const [slidingKey] = await windowKeys(sliding.key);
    const slidingTtl = Number(await admin.call('PTTL', slidingKey ?? ''));
    const slidingReset = slidingOutcome.counters[0]?.resetMs ?? 0;
    expect(slidingTtl).toBeGreaterThan(slidingReset + periodMs - 1000);
    expect(slidingTtl).toBeLessThanOrEqual(slidingReset + periodMs);

    // A rejected hit leaves no key behind.
    expect(await store.consume(check([rejected]))).toMatchObject({ admitted: false });
    expect(await windowKeys(rejected.key)).toEqual([]);
  });

  it('sends exactly one EVALSHA per decision', async () => {
    const { client } = await connect(flavor);
    const recorder = recording(client);
    const store = createRedisStore(recorder.client);
    const org = { key: freshKey('trips-org'), limit: 1000, periodMs: 60_000 };
    const profile = { key: freshKey('trips-profile'), limit: 20, periodMs: 1000 };
    // The first decision may have to load the script.
    await store.consume(check([org, profile]));
    recorder.sent.length = 0;
    const before = await commandStats();
    for (let i = 0; i < 50; i++) await store.consume(check([org, profile], 1, i % 2 === 0 ? 'fixed' : 'sliding'));
    const after = await commandStats();
    expect(recorder.sent).toEqual(Array.from({ length: 50 }, () => 'EVALSHA'));
    expect(delta(before, after, 'evalsha')).toBe(50);
    for (const name of ['eval', 'script|load', 'multi', 'exec']) expect(delta(before, after, name)).toBe(0);
    // No counters: nothing to ask.
    expect(await store.consume(check([]))).toEqual({ admitted: true, counters: [] });
    expect(recorder.sent).toHaveLength(50);
  });

  it('loads the script again after SCRIPT FLUSH, and retries no other error', async () => {
    const { client } = await connect(flavor);
    const store = createRedisStore(client);
    const counter = { key: freshKey('flush'), limit: 100, periodMs: longPeriod };
    await store.consume(check([counter]));
    await admin.call('SCRIPT', 'FLUSH');
    let before = await commandStats();
    expect(await store.consume(check([counter]))).toMatchObject({ admitted: true, counters: [{ used: 2 }] });
    let after = await commandStats();
    expect(delta(before, after, 'evalsha')).toBe(2);
    expect(delta(before, after, 'script|load')).toBe(1);
    expect(delta(before, after, 'eval')).toBe(0);
    expect(await admin.call('SCRIPT', 'EXISTS', rateLimitScriptSha1)).toEqual([1]);

    // WRONGTYPE from inside the script: reported once, not retried.
    const [key] = await windowKeys(counter.key);
    await admin.call('DEL', key ?? '');
    await admin.call('LPUSH', key ?? '', 'not a counter');
    before = await commandStats();
    await expect(store.consume(check([counter]))).rejects.toThrow(/WRONGTYPE/);
    after = await commandStats();
    expect(delta(before, after, 'evalsha')).toBe(1);
    expect(delta(before, after, 'script|load')).toBe(0);
  });

  it('uses the key prefix, which must carry a hash tag', async () => {
    const { client } = await connect(flavor);
    const counter = { key: freshKey('prefix'), limit: 3, periodMs: 60_000 };
    await createRedisStore(client, { keyPrefix: 'gw:{edge}:' }).consume(check([counter]));
    expect(await windowKeys(counter.key, 'gw:{edge}:')).toHaveLength(1);
    expect(await windowKeys(counter.key)).toEqual([]);
    for (const keyPrefix of ['sideguard:', 'sideguard:{}:', 'sideguard:{rl:', 'sideguard:}rl{:', '']) {
      expect(() => createRedisStore(client, { keyPrefix })).toThrow(TypeError);
    }
  });

  it('rejects within the timeout while Redis is paused, and absorbs the late reply', async () => {
    const { client } = await connect(flavor);
    const store = createRedisStore(client, { timeoutMs: 100 });
    const counter = { key: freshKey('paused'), limit: 10, periodMs: longPeriod };
    await store.consume(check([counter]));
    await admin.call('CLIENT', 'PAUSE', '300', 'ALL');
    const started = performance.now();
    await expect(store.consume(check([counter]))).rejects.toThrow('did not answer within 100 ms');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(95);
    expect(elapsed).toBeLessThan(150);
    // The admin's own command waits out the pause; the late decision then runs (and charges) unseen.
    await admin.call('PING');
    await sleep(20);
    expect(await store.consume(check([counter]))).toMatchObject({ admitted: true, counters: [{ used: 3 }] });
  });

  it.each([
    { failFast: true, within: 50 },
    { failFast: false, within: 150 },
  ])(
    'rejects promptly when Redis dies and recovers after it returns (fail fast: $failFast)',
    async ({ failFast, within }) => {
      const doomed = await startRedisServer();
      cleanups.push(() => doomed.stop());
      const { client } = await connect(flavor, doomed.port, failFast);
      const store = createRedisStore(client, { timeoutMs: 100 });
      const counter = { key: freshKey('outage'), limit: 100, periodMs: longPeriod };
      expect(await store.consume(check([counter]))).toMatchObject({ admitted: true });

      doomed.kill();
      await doomed.stop();
      const started = performance.now();
      await expect(store.consume(check([counter]))).rejects.toThrow(/Redis rate-limit store/);
      expect(performance.now() - started).toBeLessThan(within);
      // Decisions made during the outage; with the default client settings they are queued and replayed.
      const during = await Promise.all(
        Array.from({ length: 5 }, () =>
          store.consume(check([counter])).then(
            () => 'admitted',
            () => 'failed',
          ),
        ),
      );
      expect(during).toEqual(Array(5).fill('failed'));

      const revived = await startRedisServer({ port: doomed.port });
      cleanups.push(() => revived.stop());
      const deadline = Date.now() + 5000;
      let used: number | undefined;
      while (used === undefined && Date.now() < deadline) {
        used = await store.consume(check([counter])).then(
          (outcome) => outcome.counters[0]?.used,
          () => undefined,
        );
        if (used === undefined) await sleep(20);
      }
      // The revived server starts empty. Queued decisions that had already failed ran after the reconnect
      // and charged it, unless the client was set to fail fast as the store's docs advise.
      if (failFast) expect(used).toBe(1);
      else expect(used).toBeGreaterThan(1);
      // Give replayed commands time to answer: their replies must be dropped without trouble.
      await sleep(100);
    },
  );

  it('admits exactly the limit under 2,000 concurrent decisions from 4 connections', async () => {
    const connections = await Promise.all(Array.from({ length: 4 }, () => connect(flavor)));
    const stores = connections.map(({ client }) => createRedisStore(client, { timeoutMs: 10_000 }));
    const org = { key: freshKey('race-org'), limit: 1000, periodMs: longPeriod };
    const profile = { key: freshKey('race-profile'), limit: 5000, periodMs: longPeriod };
    const outcomes = await Promise.all(
      Array.from({ length: 2000 }, (_, i) => stores[i % stores.length]?.consume(check([org, profile]))),
    );
    const admitted = outcomes.filter((outcome) => outcome?.admitted === true);
    expect(admitted).toHaveLength(1000);
    // Every admitted hit saw a distinct count: the decisions were serialized.
    const counts = admitted.map((outcome) => outcome?.counters[0]?.used ?? 0).sort((x, y) => x - y);
    expect(counts).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    // A cost-0 probe reads the counters: the rejected half charged neither.
    const probe = await stores[0]?.consume(check([org, profile], 0));
    expect(probe?.counters.map((state) => state.used)).toEqual([1000, 1000]);
  });
});

describe('Redis store without a server', () => {
  const valid = '1 3 500 4 60000';

  it('accepts only clients of the two libraries and sane options', () => {
    const fake = { call: async () => valid };
    expect(() => createRedisStore({} as unknown as RedisClientLike)).toThrow(TypeError);
    expect(() => createRedisStore(null as unknown as RedisClientLike)).toThrow(TypeError);
    expect(() => createRedisStore({ sendCommand: 1 } as unknown as RedisClientLike)).toThrow(TypeError);
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expect(() => createRedisStore(fake, { timeoutMs })).toThrow(RangeError);
    }
  });

  it('rejects checks the script must not see', async () => {
    const store = createRedisStore({ call: async () => valid });
    const counter = { key: 'org', limit: 3, periodMs: 1000 };
    await expect(store.consume(check([counter], -1))).rejects.toThrow(RangeError);
    await expect(store.consume(check([counter], 1.5))).rejects.toThrow(RangeError);
    await expect(store.consume(check([counter], 1, 'leaky' as RateLimitAlgorithm))).rejects.toThrow(RangeError);
    await expect(store.consume(check([{ ...counter, key: '' }]))).rejects.toThrow(TypeError);
    await expect(store.consume(check([{ ...counter, limit: -1 }]))).rejects.toThrow(RangeError);
    await expect(store.consume(check([{ ...counter, periodMs: 0 }]))).rejects.toThrow(RangeError);
    await expect(store.consume(check([{ ...counter, periodMs: 0.5 }]))).rejects.toThrow(RangeError);
  });

  it('sends the counters to the script and reads its reply, through either client shape', async () => {
    const calls: string[][] = [];
    const io = createRedisStore({
      call: async (command: string, ...args: string[]) => {
        calls.push([command, ...args]);
        return valid;
      },
    });
    const node = createRedisStore({
      sendCommand: async (args: readonly string[]) => {
        calls.push([...args]);
        return Buffer.from('0 3 500 4 60000');
      },
    });
    const counters = [
      { key: 'org', limit: 10, periodMs: 1000 },
      { key: 'profile:p', limit: 5, periodMs: 60_000 },
    ];
    expect(await io.consume(check(counters, 2, 'sliding'))).toEqual({
      admitted: true,
      counters: [
        { used: 3, resetMs: 500 },
        { used: 4, resetMs: 60_000 },
      ],
    });
    expect(await node.consume(check(counters))).toMatchObject({ admitted: false });
    const keys = ['sideguard:{rl}:org', 'sideguard:{rl}:profile:p'];
    expect(calls).toEqual([
      ['EVALSHA', rateLimitScriptSha1, '2', ...keys, '2', 'sliding', '10', '1000', '5', '60000'],
      ['EVALSHA', rateLimitScriptSha1, '2', ...keys, '1', 'fixed', '10', '1000', '5', '60000'],
    ]);
  });

  it('refuses replies not shaped like the script answers', async () => {
    const counters = [{ key: 'org', limit: 10, periodMs: 1000 }];
    const wrong = [
      'OK',
      null,
      1,
      [1, 1, 500],
      '',
      '1 1',
      '1 1 1 1',
      '2 1 1',
      '1 -1 1',
      '1 1.5 1',
      '1 1 1e3',
      '1  1 1',
      ' 1 1 1',
    ];
    for (const reply of wrong) {
      const store = createRedisStore({ call: async () => reply });
      await expect(store.consume(check(counters))).rejects.toThrow(/malformed reply/);
    }
  });

  it('loads the script once on NOSCRIPT, shared by concurrent decisions, and retries only once', async () => {
    let loaded = false;
    const sent: string[] = [];
    const client = {
      call: async (command: string, ...args: string[]) => {
        sent.push(command);
        if (command === 'SCRIPT') {
          expect(args).toEqual(['LOAD', rateLimitScript]);
          await sleep(5);
          loaded = true;
          return rateLimitScriptSha1;
        }
        if (!loaded) throw new Error('NOSCRIPT No matching script. Please use EVAL.');
        return '1 1 500';
      },
    };
    const store = createRedisStore(client);
    const counters = [{ key: 'org', limit: 10, periodMs: 1000 }];
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => store.consume(check(counters))));
    expect(outcomes.every((outcome) => outcome.admitted)).toBe(true);
    expect(sent.filter((command) => command === 'SCRIPT')).toHaveLength(1);
    expect(sent.filter((command) => command === 'EVALSHA')).toHaveLength(20);

    // A server that keeps forgetting the script: one reload, one retry, then the error.
    sent.length = 0;
    const forgetful = createRedisStore({
      call: async (command: string) => {
        sent.push(command);
        if (command === 'SCRIPT') return rateLimitScriptSha1;
        throw new Error('NOSCRIPT No matching script. Please use EVAL.');
      },
    });
    await expect(forgetful.consume(check(counters))).rejects.toThrow(/NOSCRIPT/);
    expect(sent).toEqual(['EVALSHA', 'SCRIPT', 'EVALSHA']);

    // Other errors are not retried.
    sent.length = 0;
    const failing = createRedisStore({
      call: async (command: string) => {
        sent.push(command);
        throw new Error('BUSY Redis is busy running a script.');
      },
    });
    await expect(failing.consume(check(counters))).rejects.toThrow(/BUSY/);
    expect(sent).toEqual(['EVALSHA']);

    // A load answered with another SHA1 is a failure, not silently accepted.
    const confused = createRedisStore({
      call: async (command: string) => {
        if (command === 'SCRIPT') return '0'.repeat(40);
        throw new Error('NOSCRIPT No matching script. Please use EVAL.');
      },
    });
    await expect(confused.consume(check(counters))).rejects.toThrow(/unexpected SHA1/);
  });

  it('times out a silent client and ignores its late reply or late error', async () => {
    const counters = [{ key: 'org', limit: 10, periodMs: 1000 }];
    const silent = createRedisStore({ call: () => new Promise<unknown>(() => {}) }, { timeoutMs: 50 });
    let started = performance.now();
    await expect(silent.consume(check(counters))).rejects.toThrow('did not answer within 50 ms');
    expect(performance.now() - started).toBeLessThan(100);

    const late = createRedisStore({ call: () => sleep(80).then(() => '1 1 500') }, { timeoutMs: 30 });
    const lateError = createRedisStore(
      { call: () => sleep(80).then(() => Promise.reject(new Error('late failure'))) },
      { timeoutMs: 30 },
    );
    started = performance.now();
    await expect(late.consume(check(counters))).rejects.toThrow('did not answer within 30 ms');
    await expect(lateError.consume(check(counters))).rejects.toThrow('did not answer within 30 ms');
    expect(performance.now() - started).toBeLessThan(130);
    await sleep(120);
  });

  it('wraps client errors, keeping the cause', async () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    const store = createRedisStore({
      sendCommand: () => {
        throw cause;
      },
    });
    const error = await store.consume(check([{ key: 'org', limit: 1, periodMs: 1000 }])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('Redis rate-limit store failed: connect ECONNREFUSED 127.0.0.1:6379');
    expect((error as Error).cause).toBe(cause);
  });
});
