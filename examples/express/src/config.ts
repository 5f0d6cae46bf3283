import type { SideguardConfigInput } from '@sideguard/core';

/** The demo's embedded configuration: two APIs, everything else refused. */
export const demoConfig: SideguardConfigInput = {
  apis: [
    { name: 'orders', basePath: '/api/orders' },
    { name: 'health', basePath: '/health' },
  ],
  unmatched: 'deny',
};
