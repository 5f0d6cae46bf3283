import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/ratelimit/memory-store';
import type { RateLimitCheck } from '../../src/ratelimit/store';

const minute = 60_000;
const boundary = 1_899_999_960_000; // a whole minute since the epoch
const t0 = boundary + 20_000;
const check = (
  now: number,
  keys: [string, number][],
  cost = 1,
  algorithm: 'fixed' | 'sliding' = 'fixed',
): RateLimitCheck => ({
  counters: keys.map(([key, limit]) => ({ key, limit, periodMs: minute })),
  cost,
  algorithm,
  now,
});

describe('memory store', () => {
  it('admits until a counter is full and charges nothing on rejection', () => {
    const store = new MemoryStore();
    for (let i = 0; i < 5; i++)
      expect(
        store.consumeNow(
          check(t0, [
            ['org', 10],
            ['p', 5],
          ]),
        ).admitted,
      ).toBe(true);
    const rejected = store.consumeNow(
      check(t0, [
        ['org', 10],
        ['p', 5],
      ]),
    );
    expect(rejected).toEqual({
      admitted: false,
      counters: [
        { used: 5, resetMs: 40_000 },
        { used: 5, resetMs: 40_000 },
      ],
    });
    expect(store.consumeNow(check(t0, [['org', 10]]))).toEqual({
      admitted: true,
      counters: [{ used: 6, resetMs: 40_000 }],
    });
  });

  it('aligns fixed windows to the period and starts afresh in the next one', () => {
    const store = new MemoryStore();
    for (let i = 0; i < 3; i++) store.consumeNow(check(t0, [['org', 3]]));
    expect(store.consumeNow(check(t0 + 39_999, [['org', 3]])).admitted).toBe(false);
    expect(store.consumeNow(check(t0 + 40_000, [['org', 3]]))).toEqual({
      admitted: true,
      counters: [{ used: 1, resetMs: minute }],
    });
  });

  it('charges the cost of heavy hits and refuses one that does not fit', () => {
    const store = new MemoryStore();
    expect(store.consumeNow(check(t0, [['org', 10]], 7)).counters[0]?.used).toBe(7);
    expect(store.consumeNow(check(t0, [['org', 10]], 4)).admitted).toBe(false);
    expect(store.consumeNow(check(t0, [['org', 10]], 3)).admitted).toBe(true);
  });

  it('weighs the previous window in sliding mode, removing the burst at the edge', () => {
    const store = new MemoryStore();
    const start = boundary;
    for (let i = 0; i < 10; i++) store.consumeNow(check(start + 59_000, [['org', 10]], 1, 'sliding'));
    // A fixed window would admit 10 more right after the boundary; sliding still counts ~98% of them.
    expect(store.consumeNow(check(start + 61_000, [['org', 10]], 1, 'sliding')).admitted).toBe(false);
    // Halfway through the next window, half of the previous count remains.
    const half = store.consumeNow(check(start + 90_000, [['org', 10]], 1, 'sliding'));
    expect(half).toEqual({ admitted: true, counters: [{ used: 6, resetMs: 30_000 }] });
  });

  it('stays within its key bound and reclaims expired windows as decisions pass', () => {
    const store = new MemoryStore(100);
    for (let i = 0; i < 1000; i++) store.consumeNow(check(t0, [[`ip:${i}`, 5]]));
    expect(store.size).toBe(100);
    for (let i = 0; i < 60; i++) store.consumeNow(check(t0 + 3 * minute, [[`later:${i}`, 5]]));
    // Each decision reclaims up to two stale windows besides adding its own.
    expect(store.size).toBeLessThan(100);
  });
});

describe('memory store under consumer churn', () => {
  it('never evicts pinned org and profile counters to make room for consumers', () => {
    const store = new MemoryStore(100);
    const pinned = (now: number, key: string, extra: [string, number][] = []) =>
      store.consumeNow({
        counters: [
          { key: 'org', limit: 1000, periodMs: minute, pinned: true },
          { key, limit: 5, periodMs: minute, pinned: true },
          ...extra.map(([k, limit]) => ({ key: k, limit, periodMs: minute })),
        ],
        cost: 1,
        algorithm: 'fixed',
        now,
      });
    for (let i = 0; i < 5; i++) expect(pinned(t0, 'profile').admitted).toBe(true);
    for (let i = 0; i < 500; i++) pinned(t0, `profile-${i % 3}`, [[`consumer:${i}`, 10]]);
    expect(pinned(t0, 'profile').admitted).toBe(false);
    expect(store.size).toBeLessThanOrEqual(100 + 5);
  });
});
