import { describe, expect, it } from 'vitest';
import { rateLimitHeaders } from '../../src/ratelimit/headers';

const limits = [
  { policy: 'org', limit: 10, windowSeconds: 60, remaining: 7, resetSeconds: 30, partition: undefined },
  { policy: 'profile', limit: 5, windowSeconds: 60, remaining: 2, resetSeconds: 30, partition: 'q83vEjRWeJA' },
];

describe('rate-limit headers', () => {
  it('speaks draft 08+ with named policies and hashed partition keys', () => {
    expect(rateLimitHeaders(limits, 'draft-08', false)).toEqual([
      ['RateLimit-Policy', '"org";q=10;w=60, "profile";q=5;w=60;pk=:q83vEjRWeJA=:'],
      ['RateLimit', '"org";r=7;t=30, "profile";r=2;t=30;pk=:q83vEjRWeJA=:'],
    ]);
  });

  it('speaks draft 07 and draft 06, reporting the tightest limit, plus legacy headers on request', () => {
    expect(rateLimitHeaders(limits, 'draft-07', false)).toEqual([
      ['RateLimit-Policy', '10;w=60, 5;w=60'],
      ['RateLimit', 'limit=5, remaining=2, reset=30'],
    ]);
    expect(rateLimitHeaders(limits, 'draft-06', true)).toEqual([
      ['RateLimit-Limit', '5'],
      ['RateLimit-Remaining', '2'],
      ['RateLimit-Reset', '30'],
      ['RateLimit-Policy', '10;w=60, 5;w=60'],
      ['X-RateLimit-Limit', '5'],
      ['X-RateLimit-Remaining', '2'],
      ['X-RateLimit-Reset', '30'],
    ]);
  });
});
