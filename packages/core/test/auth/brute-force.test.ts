import { describe, expect, it } from 'vitest';
import { BruteForceTracker } from '../../src/auth/brute-force';

const settings = { maxFailures: 3, windowMs: 60_000, lockoutMs: 300_000, maxKeys: 100 };

describe('brute-force tracker', () => {
  it('locks a key after the limit within the window, for the cooling-off period', () => {
    const tracker = new BruteForceTracker(settings);
    tracker.recordFailure(['user:a', 'ip:1'], 0);
    tracker.recordFailure(['user:a', 'ip:1'], 1_000);
    expect(tracker.lockedFor(['user:a'], 1_000)).toBe(0);
    tracker.recordFailure(['user:a', 'ip:1'], 2_000);
    expect(tracker.lockedFor(['user:a'], 2_000)).toBe(300_000);
    expect(tracker.lockedFor(['ip:1'], 100_000)).toBe(202_000);
    expect(tracker.lockedFor(['user:b', 'ip:2'], 2_000)).toBe(0);
    expect(tracker.lockedFor(['user:a'], 302_000)).toBe(0);
  });

  it('starts counting again in a new window, and forgets a user after a success', () => {
    const tracker = new BruteForceTracker(settings);
    tracker.recordFailure(['user:a'], 0);
    tracker.recordFailure(['user:a'], 1);
    tracker.recordFailure(['user:a'], 60_001);
    expect(tracker.lockedFor(['user:a'], 60_001)).toBe(0);
    tracker.recordFailure(['user:a', 'ip:1'], 60_002);
    tracker.recordFailure(['user:a', 'ip:1'], 60_002);
    tracker.recordSuccess('user:a', 'ip:1', 60_002);
    tracker.recordFailure(['user:a', 'ip:1'], 60_003);
    expect(tracker.lockedFor(['user:a'], 60_003)).toBe(0);
    // The address kept one of its two failures, and the new one makes two: still below three.
    expect(tracker.lockedFor(['ip:1'], 60_003)).toBe(0);
    tracker.recordFailure(['ip:1'], 60_004);
    expect(tracker.lockedFor(['ip:1'], 60_004)).toBeGreaterThan(0);
  });

  it('stays within its key bound', () => {
    const tracker = new BruteForceTracker({ ...settings, maxKeys: 10 });
    for (let i = 0; i < 1000; i++) tracker.recordFailure([`ip:${i}`], i);
    for (let i = 0; i < 3; i++) tracker.recordFailure(['ip:victim'], 2000 + i);
    expect(tracker.lockedFor(['ip:victim'], 2003)).toBeGreaterThan(0);
  });
});
