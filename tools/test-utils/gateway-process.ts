/**
 * A gateway in its own process, for multi-gateway tests: node:http + Sideguard with the Redis
 * rate-limit store. Started with `node --conditions=sideguard-source --import tsx gateway-process.ts
 * <redisPort> <keyPrefix> <orgLimit>`; prints its port as one JSON line, exits when stdin closes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGuard } from '@sideguard/core';
import { protect } from '@sideguard/node-http';
import { Redis } from 'ioredis';

const [redisPort, keyPrefix, orgLimit] = process.argv.slice(2);
const redis = new Redis(Number(redisPort), '127.0.0.1', { maxRetriesPerRequest: 1 });
const guard = createGuard(
  {
    apis: [{ name: 'orders', basePath: '/orders' }],
    rateLimits: {
      org: { limit: Number(orgLimit), periodSeconds: 3600 },
      store: { type: 'redis', keyPrefix: keyPrefix ?? 'gw:{test}:', timeoutMs: 500 },
      onStoreError: 'closed',
    },
  },
  { redis, logger: { debug() {}, info() {}, warn() {}, error() {} } },
);
const server = createServer(protect(guard, (_req, res) => res.end('ok')));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => {
  server.close();
  redis.disconnect();
});
