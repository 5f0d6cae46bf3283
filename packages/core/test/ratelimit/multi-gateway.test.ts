import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../../../../tools/test-utils/http-client';
import { type RedisServerHandle, startRedisServer } from '../../../../tools/test-utils/redis-server';
import { createGuard, type GatewayRequestInit, type Logger } from '../../src/index';

const gatewayScript = fileURLToPath(new URL('../../../../tools/test-utils/gateway-process.ts', import.meta.url));

async function startGateway(redisPort: number, keyPrefix: string, orgLimit: number) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=sideguard-source', '--import', 'tsx', gatewayScript, String(redisPort), keyPrefix, String(orgLimit)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`gateway exited early with ${code}`)));
  });
  return {
    address: { host: '127.0.0.1', port },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin?.end();
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      }),
  };
}

describe('rate limits across gateway processes sharing one Redis', () => {
  let redis: RedisServerHandle;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis.stop());

  it('admits exactly the org allowance when four gateways hammer it concurrently', async () => {
    const keyPrefix = `hammer:{${Date.now()}}:`;
    const gateways = await Promise.all([1, 2, 3, 4].map(() => startGateway(redis.port, keyPrefix, 1000)));
    try {
      const counts = new Map<number, number>();
      let next = 0;
      const total = 2000;
      // 64 requests in flight, spread round-robin over the four gateways.
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < total) {
            const gateway = gateways[next++ % gateways.length];
            if (gateway === undefined) return;
            const { status } = await send(gateway.address, { path: '/orders' });
            counts.set(status, (counts.get(status) ?? 0) + 1);
          }
        }),
      );
      expect(counts.get(200)).toBe(1000);
      expect(counts.get(429)).toBe(1000);
      expect([...counts.keys()].sort()).toEqual([200, 429]);
    } finally {
      await Promise.all(gateways.map((g) => g.stop()));
    }
  }, 60_000);
});

describe('Redis outage', () => {
  const request: GatewayRequestInit = {
    method: 'GET',
    target: '/orders',
    httpVersion: '1.1',
    headers: [['Host', 'api.test']],
    remoteAddress: '192.0.2.1',
    remotePort: 1,
    encrypted: false,
  };

  function recorder() {
    const entries: { level: string; message: string }[] = [];
    const at = (level: string) => (_c: Record<string, unknown>, message: string) => entries.push({ level, message });
    const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    return { logger, entries };
  }

  it.each([
    ['closed', 503],
    ['open', 200],
    ['memory', 200],
  ] as const)(
    'fails %s within the timeout when Redis dies mid-run, logs it once, and shows it',
    async (mode, status) => {
      const redis = await startRedisServer();
      const client = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 0, enableOfflineQueue: false });
      client.on('error', () => {});
      await new Promise((resolve) => client.once('ready', resolve));
      const { logger, entries } = recorder();
      const guard = createGuard(
        {
          apis: [{ name: 'orders', basePath: '/orders' }],
          rateLimits: { org: { limit: 3 }, store: { type: 'redis', timeoutMs: 100 }, onStoreError: mode },
        },
        { redis: client, logger },
      );
      try {
        expect(await guard.handleRequest(request)).toMatchObject({ action: 'continue' });
        expect(guard.status().rateLimitStore).toEqual({ kind: 'redis', degraded: false });
        redis.kill();
        const outcomes: { status: number; ms: number }[] = [];
        for (let i = 0; i < 5; i++) {
          const start = performance.now();
          const decision = await guard.handleRequest(request);
          outcomes.push({
            status: decision.action === 'respond' ? decision.status : 200,
            ms: performance.now() - start,
          });
        }
        // Memory fallback: 3 fresh local units for 5 hits.
        const expected = mode === 'memory' ? [200, 200, 200, 429, 429] : Array(5).fill(status);
        expect(outcomes.map((o) => o.status)).toEqual(expected);
        for (const { ms } of outcomes) expect(ms).toBeLessThan(100 + 50 + 100);
        expect(guard.status().rateLimitStore.degraded).toBe(true);
        expect(
          entries.filter((e) => e.level === 'error' && e.message.startsWith('Rate-limit store unavailable')),
        ).toHaveLength(1);
      } finally {
        client.disconnect();
        await redis.stop();
      }
    },
  );
});
