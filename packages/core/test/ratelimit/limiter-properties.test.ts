import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGuard, type GatewayRequestInit, type SideguardConfigInput } from '../../src/index';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const request = (api: number, profile: number): GatewayRequestInit => ({
  method: 'GET',
  target: `/api-${api}`,
  httpVersion: '1.1',
  headers: [
    ['Host', 'api.test'],
    ['Authorization', `Basic ${Buffer.from(`user-${profile}:pw`).toString('base64')}`],
  ],
  remoteAddress: '192.0.2.1',
  remotePort: 1,
  encrypted: false,
});

describe('limiter invariants', () => {
  it('never admits past any limit, and rejects only when some limit is full', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 15 }),
        fc.array(fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 })), { maxLength: 60 }),
        async (org, profileLimits, hits) => {
          // Three Basic profiles (one user each, optionally limited), shared by four APIs.
          const profiles = Object.fromEntries(
            profileLimits.map((limit, i) => [
              `p${i}`,
              {
                type: 'basic' as const,
                users: [{ username: `user-${i}`, password: 'pw' }],
                ...(limit === undefined ? {} : { rateLimit: { limit } }),
              },
            ]),
          );
          const config: SideguardConfigInput = {
            environments: { prod: { profiles } },
            apis: [0, 1, 2, 3].map((n) => ({
              name: `api-${n}`,
              basePath: `/api-${n}`,
              environment: 'prod',
              profiles: ['p0', 'p1', 'p2'],
            })),
            rateLimits: { org: { limit: org } },
          };
          const guard = createGuard(config, { logger: quiet, wallClock: () => 1_900_000_010_000 });
          let orgUsed = 0;
          const profileUsed = [0, 0, 0];
          for (const [api, profile] of hits) {
            const decision = await guard.handleRequest(request(api, profile));
            const limit = profileLimits[profile];
            const room = orgUsed < org && (limit === undefined || (profileUsed[profile] ?? 0) < limit);
            if (room) {
              expect(decision.action).toBe('continue');
              orgUsed++;
              profileUsed[profile] = (profileUsed[profile] ?? 0) + 1;
            } else {
              expect(decision).toMatchObject({ action: 'respond', status: 429 });
            }
          }
          expect(orgUsed).toBeLessThanOrEqual(org);
          profileLimits.forEach((limit, i) => {
            if (limit !== undefined) expect(profileUsed[i]).toBeLessThanOrEqual(limit);
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});
