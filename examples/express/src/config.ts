import { defineConfig } from '@sideguard/core';

/**
 * The demo's embedded configuration: orders behind a Basic profile (user `demo`, password
 * `sideguard`; a demo credential, in plain text only because it is one), health public through an
 * Anonymous profile, everything else refused.
 */
export const demoConfig = defineConfig({
  environments: {
    demo: {
      profiles: {
        staff: { type: 'basic', realm: 'Sideguard demo', users: [{ username: 'demo', password: 'sideguard' }] },
        public: { type: 'anonymous' },
      },
    },
  },
  apis: [
    { name: 'orders', basePath: '/api/orders', environment: 'demo', profiles: ['staff'] },
    { name: 'health', basePath: '/health', environment: 'demo', profiles: ['public'] },
  ],
  unmatched: 'deny',
});
