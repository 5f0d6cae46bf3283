import type { Options } from 'tsup';

/**
 * One build recipe for every package: ESM and CJS side by side, each with its own declaration file
 * (`.d.ts` for `import`, `.d.cts` for `require`), so the per-condition `exports` maps resolve to
 * matching types. Workspace dependencies stay external.
 */
export function packageBuild(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    target: 'node20',
    platform: 'node',
    dts: { compilerOptions: { customConditions: [] } },
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    ...overrides,
  };
}
