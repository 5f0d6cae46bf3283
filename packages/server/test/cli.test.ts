import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '@sideguard/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);

async function cli(...args: string[]) {
  return cliWithInput('', ...args);
}

async function cliWithInput(input: string, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), readInput: async () => input });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('sideguard CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sideguard-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts a valid config file', async () => {
    const file = join(dir, 'ok.json');
    await writeFile(file, JSON.stringify({ apis: [{ name: 'orders', basePath: '/orders' }], unmatched: 'deny' }));
    expect(await cli('validate', file)).toEqual({ code: 0, out: `${file}: valid`, err: '' });
  });

  it('lists every problem of an invalid config with its path', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({ apis: [{ name: 'a', basePath: 'x' }], trustedProxies: { addresses: ['0x7f.0.0.1'] } }),
    );
    const result = await cli('validate', file);
    expect(result.code).toBe(1);
    expect(result.err).toContain('2 problems');
    expect(result.err).toContain('apis[0].basePath: must start with "/"');
    expect(result.err).toContain('trustedProxies.addresses[0]: "0x7f.0.0.1" is not an IP address');
  });

  it('explains unreadable files, bad JSON and bad usage', async () => {
    const notJson = join(dir, 'broken.json');
    await writeFile(notJson, '{ "apis": [');
    expect(await cli('validate', join(dir, 'missing.json'))).toMatchObject({
      code: 1,
      err: expect.stringContaining('ENOENT'),
    });
    expect(await cli('validate', notJson)).toMatchObject({
      code: 1,
      err: expect.stringContaining('is not valid JSON'),
    });
    expect(await cli('validate')).toMatchObject({ code: 2 });
    expect(await cli('frobnicate')).toMatchObject({
      code: 2,
      err: expect.stringContaining('Unknown command "frobnicate"'),
    });
    expect(await cli('help')).toMatchObject({ code: 0, out: expect.stringContaining('validate <config.json>') });
  });

  it('resolves relative secret files from the config file folder', async () => {
    await writeFile(join(dir, 'ann.pw'), 'pw\n');
    const file = join(dir, 'secrets.json');
    const user = (password: unknown) => [{ username: 'ann', password }];
    const config = (password: unknown) => ({
      environments: { prod: { profiles: { staff: { type: 'basic', users: user(password) } } } },
    });
    await writeFile(file, JSON.stringify(config({ file: 'ann.pw' })));
    expect(await cli('validate', file)).toMatchObject({ code: 0 });
    await writeFile(file, JSON.stringify(config({ file: 'missing.pw' })));
    const missing = await cli('validate', file);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('environments.prod.profiles.staff.users[0].password: cannot read secret file');
  });

  it('prints the configuration JSON Schema', async () => {
    const result = await cli('schema');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ title: 'Sideguard configuration', type: 'object' });
  });

  it('hashes a password from standard input, never from arguments', async () => {
    const scrypt = await cliWithInput('s3cret\n', 'hash-password', '--cost', '10');
    expect(scrypt).toMatchObject({ code: 0, out: expect.stringMatching(/^\$scrypt\$ln=10,r=8,p=1\$/) });
    const bcrypt = await cliWithInput('s3cret', 'hash-password', '--bcrypt', '--cost', '4');
    expect(bcrypt.out).toMatch(/^\$2b\$04\$/);
    expect(await cliWithInput('', 'hash-password')).toMatchObject({ code: 1 });
    expect(await cliWithInput('x', 'hash-password', 's3cret')).toMatchObject({ code: 2 });
    expect(await cliWithInput('x', 'hash-password', '--cost', '99')).toMatchObject({
      code: 2,
      err: 'scrypt cost (log2 N) must be 10–20',
    });
  });

  it('runs as a real process with the right exit code', async () => {
    const file = join(dir, 'bad2.json');
    await writeFile(file, JSON.stringify({ unmatched: 'sometimes' }));
    const entry = new URL('../src/cli.ts', import.meta.url).pathname;
    const run = execFileAsync(process.execPath, [
      '--conditions=sideguard-source',
      '--import',
      'tsx',
      entry,
      'validate',
      file,
    ]);
    await expect(run).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('unmatched:') });
  });
});
