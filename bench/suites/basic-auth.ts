import { createGuard, type GatewayRequestInit, hashPassword } from '../../packages/core/src/index';
import { microbench } from '../microbench';
import type { BenchSuite } from '../suite';

function request(target: string, authorization?: string): GatewayRequestInit {
  return {
    method: 'GET',
    target,
    httpVersion: '1.1',
    headers:
      authorization === undefined
        ? [['Host', 'api.test']]
        : [
            ['Host', 'api.test'],
            ['Authorization', authorization],
          ],
    remoteAddress: '192.0.2.10',
    remotePort: 40000,
    encrypted: false,
  };
}

/** Cost of a whole guard decision on a Basic-protected API once the credential is cached. */
export const basicAuthSuite: BenchSuite = {
  id: 'basic-auth',
  title: 'Basic authentication',
  async run() {
    const passwordHash = await hashPassword('correct horse battery staple');
    const guard = createGuard(
      {
        environments: { prod: { profiles: { staff: { type: 'basic', users: [{ username: 'ann', passwordHash }] } } } },
        apis: [
          { name: 'staff', basePath: '/staff', environment: 'prod', profiles: ['staff'] },
          { name: 'open', basePath: '/open' },
        ],
      },
      { logger: { debug() {}, info() {}, warn() {}, error() {} } },
    );
    const authorization = `Basic ${Buffer.from('ann:correct horse battery staple').toString('base64')}`;
    const warm = await guard.handleRequest(request('/staff/x', authorization));
    if (warm.action !== 'continue') throw new Error('bench set-up: credential refused');
    const table = await microbench([
      { name: 'decision, public API (no authentication)', fn: () => guard.handleRequest(request('/open/x')) },
      {
        name: 'decision, Basic API, credential cached',
        fn: () => guard.handleRequest(request('/staff/x', authorization)),
      },
    ]);
    const start = performance.now();
    const runs = 5;
    for (let i = 0; i < runs; i++) {
      // A fresh guard has an empty cache, so this pays for scrypt (ln=15, r=8, p=1) every time.
      const cold = createGuard(
        {
          environments: {
            prod: { profiles: { staff: { type: 'basic', users: [{ username: 'ann', passwordHash }] } } },
          },
          apis: [{ name: 'staff', basePath: '/staff', environment: 'prod', profiles: ['staff'] }],
        },
        { logger: { debug() {}, info() {}, warn() {}, error() {} } },
      );
      await cold.handleRequest(request('/staff/x', authorization));
    }
    const uncached = (performance.now() - start) / runs;
    return `${table}

Whole \`guard.handleRequest\` decisions (route, SSL check, authentication, IP ranges), credential hashed with
scrypt ln=15. For contrast, an uncached verification of the same credential took ${uncached.toFixed(1)} ms
(mean of ${runs}, including guard creation): the cache is what keeps a slow hash off the per-request path.`;
  },
};
