import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function exportNames(packageDir: string, args: string[]): Promise<string[]> {
  // Plain `node` from the package folder: self-reference resolves the package by name through its
  // `exports` map without the source condition, so what loads is `dist`.
  const { stdout } = await run(process.execPath, args, { cwd: packageDir });
  return JSON.parse(stdout) as string[];
}

/**
 * Tests a package's built artifact: a CommonJS consumer and an ESM consumer load it by name, see the
 * same public export names, and those names match the committed snapshot.
 * @param packageDir - the package folder
 * @param packageName - its npm name
 */
export function describeDistExports(packageDir: string, packageName: string): void {
  describe(`${packageName} built artifact`, () => {
    it('exports the same public names to CommonJS and ESM consumers', async () => {
      const name = JSON.stringify(packageName);
      const [cjs, esm] = await Promise.all([
        exportNames(packageDir, ['-e', `console.log(JSON.stringify(Object.keys(require(${name})).sort()))`]),
        exportNames(packageDir, [
          '--input-type=module',
          '-e',
          `const m = await import(${name}); console.log(JSON.stringify(Object.keys(m).sort()))`,
        ]),
      ]);
      expect(cjs).toEqual(esm);
      expect(esm).toMatchSnapshot();
    });
  });
}
