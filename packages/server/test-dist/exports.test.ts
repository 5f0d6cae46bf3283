import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeDistExports } from '../../../tools/test-utils/dist-exports';

const run = promisify(execFile);

describeDistExports(fileURLToPath(new URL('..', import.meta.url)), '@sideguard/server');

describe('sideguard executable', () => {
  it('runs from dist with its shebang and exit codes', async () => {
    const bin = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const { stdout } = await run(bin, ['help']);
    expect(stdout).toContain('validate <config.json>');
    await expect(run(bin, ['nope'])).rejects.toMatchObject({ code: 2 });
  });
});
