import { defineConfig } from 'vitest/config';

/** Vite's default server conditions with the workspace source condition in front. */
const sourceConditions = ['sideguard-source', 'module', 'node', 'development|production'];

/**
 * Shared Vitest settings: workspace packages resolve to their TypeScript sources through the
 * `sideguard-source` export condition, so unit tests never need a build.
 */
export const unitTestConfig = defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    restoreMocks: true,
  },
});

/**
 * Settings for the tests of the built artifact: plain Node resolution, so `dist` is what loads.
 */
export const distTestConfig = defineConfig({
  test: {
    include: ['test-dist/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
