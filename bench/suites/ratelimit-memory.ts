import { MemoryStore as ExpressRateLimitMemoryStore } from 'express-rate-limit';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { MemoryStore } from '../../packages/core/src/ratelimit/memory-store';
import { RateLimiter } from '../../packages/core/src/ratelimit/rate-limiter';
import type { RateLimitCheck } from '../../packages/core/src/ratelimit/store';
import { microbench } from '../microbench';
import type { BenchSuite } from '../suite';

/** Limits high enough that every measured hit is admitted: the common path. */
const huge = 1_000_000_000;

/** In-memory decisions per second: Sideguard's two-counter atomic check against single-counter peers. */
export const rateLimitMemorySuite: BenchSuite = {
  id: 'ratelimit-memory',
  title: 'Rate limiting in memory',
  async run() {
    const ours = new MemoryStore();
    // As the rate-limit stage builds them: org and profile counters are pinned (never evicted).
    const counters: RateLimitCheck['counters'] = [
      { key: 'org', limit: huge, periodMs: 60_000, pinned: true },
      { key: 'profile:prod/finance', limit: huge, periodMs: 60_000, pinned: true },
    ];
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    const limiter = new RateLimiter(new MemoryStore(), undefined, { onStoreError: 'memory', retryMs: 0 }, silent);
    const flexible = new RateLimiterMemory({ points: huge, duration: 60 });
    const erl = new ExpressRateLimitMemoryStore();
    erl.init({ windowMs: 60_000 } as Parameters<typeof erl.init>[0]);
    // The check is built per decision, as the rate-limit stage does.
    const table = await microbench(
      [
        {
          // The rate-limit stage's own call: the memory store decides synchronously, no promise.
          name: 'Sideguard rate limiter on the memory store, org + profile (fixed), as the stage calls it',
          fn: () => limiter.consume({ counters, cost: 1, algorithm: 'fixed', now: Date.now() }),
        },
        {
          name: 'Sideguard rate limiter on the memory store, org + profile (sliding), as the stage calls it',
          fn: () => limiter.consume({ counters, cost: 1, algorithm: 'sliding', now: Date.now() }),
        },
        {
          name: 'Sideguard memory store, org + profile (fixed), async consume() interface',
          fn: () => ours.consume({ counters, cost: 1, algorithm: 'fixed', now: Date.now() }),
        },
        {
          name: 'Sideguard memory store, org + profile (sliding), async consume() interface',
          fn: () => ours.consume({ counters, cost: 1, algorithm: 'sliding', now: Date.now() }),
        },
        { name: 'rate-limiter-flexible RateLimiterMemory, one key, consume()', fn: () => flexible.consume('org') },
        { name: 'express-rate-limit MemoryStore, one key, increment()', fn: () => erl.increment('org') },
      ],
      1500,
    );
    erl.shutdown();
    return `${table}

Each row is one decision for an admitted hit, through the API each library offers: the peers' APIs
return promises, which are awaited; Sideguard's rate-limit stage calls its limiter, which answers
synchronously for the memory store (the first two rows), while the store's async \`consume()\` (the
interface shared with the Redis store) is shown for reference. Sideguard checks and consumes two
counters (org allowance and profile limit) atomically per decision; the peers count a single key.
Versions: rate-limiter-flexible and express-rate-limit as locked in package-lock.json.`;
  },
};
