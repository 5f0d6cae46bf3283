import { createServer, type Server } from 'node:http';
import { createGuard, type GuardDeps, type SideguardConfigInput } from '@sideguard/core';
import { sideguard } from '@sideguard/express';
import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { close, listen, send, type TestResponse } from '../../../tools/test-utils/http-client';
import { startRedisServer } from '../../../tools/test-utils/redis-server';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** The seed's set-up: org allowance 10, ten APIs, a profile limited to 5 assigned to API-1 only. */
function seedConfig(store: NonNullable<SideguardConfigInput['rateLimits']>): SideguardConfigInput {
  return {
    environments: {
      prod: {
        profiles: {
          limited: { type: 'anonymous', rateLimit: { limit: 5 } },
          everyone: { type: 'anonymous' },
        },
      },
    },
    apis: Array.from({ length: 10 }, (_, i) => ({
      name: `api-${i + 1}`,
      basePath: `/api-${i + 1}`,
      environment: 'prod',
      profiles: [i === 0 ? 'limited' : 'everyone'],
    })),
    unmatched: 'deny',
    rateLimits: { org: { limit: 10 }, ...store },
  };
}

interface StoreCase {
  name: string;
  /** Store settings and deps for one example, isolated from the other examples. */
  setup(example: number): Promise<{ rateLimits: NonNullable<SideguardConfigInput['rateLimits']>; deps: GuardDeps }>;
}

let redis: Awaited<ReturnType<typeof startRedisServer>>;
let client: Redis;
beforeAll(async () => {
  redis = await startRedisServer();
  client = new Redis(redis.port, redis.host, { lazyConnect: false, maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

const stores: StoreCase[] = [
  {
    name: 'memory store',
    // Twenty seconds into a minute, so no example straddles a window boundary.
    setup: async () => ({ rateLimits: {}, deps: { wallClock: () => 1_899_999_980_000 } }),
  },
  {
    name: 'Redis store',
    setup: async (example) => {
      // Redis counts by its own clock: stay clear of a minute boundary, and give each example its own keys.
      const [unixSeconds] = (await client.call('TIME')) as [string, string];
      const seconds = Number(unixSeconds) % 60;
      if (seconds > 55) await new Promise((resolve) => setTimeout(resolve, (61 - seconds) * 1000));
      return {
        rateLimits: { store: { type: 'redis', keyPrefix: `seed:{ex${example}-${Date.now()}}:` } },
        deps: { redis: client },
      };
    },
  },
];

describe.each(stores)('seed 002 §6 rate-limit examples, $name', (store) => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => close(s)));
  });

  async function gateway(example: number) {
    const { rateLimits, deps } = await store.setup(example);
    const app = express();
    app.use(sideguard(createGuard(seedConfig(rateLimits), { logger: quiet, ...deps })));
    app.use((_req, res) => {
      res.json({ ok: true });
    });
    const server = createServer(app);
    servers.push(server);
    const address = await listen(server);
    return (api: number | string): Promise<TestResponse> =>
      send(address, { path: typeof api === 'number' ? `/api-${api}/resource` : api });
  }

  const statuses = async (hit: (api: number) => Promise<TestResponse>, apis: number[]) => {
    const out: number[] = [];
    for (const api of apis) out.push((await hit(api)).status);
    return out;
  };

  it('1: each of 10 APIs hit once, then the 11th hit anywhere is rejected', async () => {
    const hit = await gateway(1);
    // Paths no API serves are 404 and never counted.
    for (let i = 0; i < 15; i++) expect((await hit('/nowhere')).status).toBe(404);
    expect(await statuses(hit, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toEqual(Array(10).fill(200));
    const eleventh = await hit(5);
    expect(eleventh.status).toBe(429);
    expect(Number(eleventh.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(eleventh.headers.ratelimit).toMatch(/^"org";r=0;t=\d+$/);
    expect((await hit(1)).status).toBe(429);
  });

  it('2: one API hit 10 times, then the next hit anywhere is rejected', async () => {
    const hit = await gateway(2);
    expect(await statuses(hit, Array(10).fill(3))).toEqual(Array(10).fill(200));
    expect(await statuses(hit, [7, 3, 1])).toEqual([429, 429, 429]);
  });

  it('3: a profile limited to 5 used 5 times: its 6th is rejected, 5 hits remain for the other 9 APIs, then none', async () => {
    const hit = await gateway(3);
    const first = await hit(1);
    expect(first.headers['ratelimit-policy']).toMatch(/^"org";q=10;w=60, "profile";q=5;w=60;pk=:[A-Za-z0-9+/=]+:$/);
    expect(first.headers.ratelimit).toMatch(/^"org";r=9;t=\d+, "profile";r=4;t=\d+;pk=:[A-Za-z0-9+/=]+:$/);
    expect(await statuses(hit, [1, 1, 1, 1])).toEqual(Array(4).fill(200));
    // The rejected sixth hit consumes nothing: five org hits are still left.
    expect((await hit(1)).status).toBe(429);
    expect(await statuses(hit, [2, 3, 4, 5, 6])).toEqual(Array(5).fill(200));
    expect(await statuses(hit, [7, 8, 9, 10, 2, 1])).toEqual(Array(6).fill(429));
  });

  it('4: the profile used twice and 8 other APIs once each: everything else in the minute is rejected', async () => {
    const hit = await gateway(4);
    expect(await statuses(hit, [1, 1, 2, 3, 4, 5, 6, 7, 8, 9])).toEqual(Array(10).fill(200));
    expect(await statuses(hit, [10, 1, 2, 9])).toEqual(Array(4).fill(429));
  });
});
