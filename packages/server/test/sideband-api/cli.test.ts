import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '@sideguard/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { annAuth, annTrace, guardConfig, json, pingTrace, secretA, sideband, upstreamResponse } from './helpers';

/** Runs `sideguard` in-process with standard input; collects its output. */
async function cli(input: string, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    readInput: async () => input,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Runs `sideguard sideband-api` in-process until `stop()`; `url` resolves with the printed URL. */
function serve(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const controller = new AbortController();
  let announce: (url: string) => void = () => {};
  const ready = new Promise<string>((resolve) => {
    announce = resolve;
  });
  const done = runCli(['sideband-api', ...args], {
    out: (line) => {
      out.push(line);
      const url = /listening on (\S+)/.exec(line)?.[1];
      if (url !== undefined) announce(url);
    },
    err: (line) => err.push(line),
    signal: controller.signal,
  });
  const url = Promise.race([
    ready,
    done.then((code) => Promise.reject(new Error(`exited ${code}: ${err.join('\n')}`))),
  ]);
  url.catch(() => {}); // Tests of failing starts never await `url`.
  return { url, done, out, err, stop: () => controller.abort() };
}

/** Polls until `check` holds (reloads follow file changes after a short debounce), bounded. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('sideguard sideband-api and secrets', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sideguard-sideband-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A fresh folder with a guard config and a server config naming it. */
  async function setup(name: string, server: Record<string, unknown> = {}) {
    const folder = join(dir, name);
    await mkdir(folder);
    await writeFile(join(folder, 'guard.json'), JSON.stringify(guardConfig));
    const file = join(folder, 'server.json');
    await writeFile(file, JSON.stringify({ guardConfig: './guard.json', listen: { port: 0 }, ...server }));
    return { folder, file };
  }

  it('rotates secrets with the CLI while the server runs, without one failed call', async () => {
    const { file } = await setup('rotation');
    expect(await cli(`${secretA}\n`, 'secrets', 'create', 'Shared Secret A', '--config', file)).toMatchObject({
      code: 0,
      out: expect.stringContaining('not in use until: sideguard secrets add "Shared Secret A"'),
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).not.toContain(secretA);
    expect((await cli('', 'secrets', 'add', 'Shared Secret A', '--config', file)).code).toBe(0);

    const run = serve('--config', file);
    const url = await run.url;
    expect(run.out).toContain('Shared secrets in use: 1 (header CLIENT-TOKEN)');

    // Two gateways' worth of traffic on keep-alive connections, with whichever secret is current.
    let current = secretA;
    let running = true;
    const statuses: number[] = [];
    const sentWith = new Map<string, number>();
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    const loop = async () => {
      while (running) {
        const secret = current;
        const result = await sideband(url, 'request', annTrace(), { secret, agent });
        statuses.push(result.status);
        sentWith.set(secret, (sentWith.get(secret) ?? 0) + 1);
      }
    };
    const loops = [loop(), loop()];
    const accepted = async (secret: string) => (await sideband(url, 'request', pingTrace(), { secret })).status === 200;
    try {
      await eventually(async () => statuses.length >= 20);
      const created = await cli('', 'secrets', 'create', 'Shared Secret B', '--config', file, '--generate');
      expect(created.code).toBe(0);
      const secretB = created.out; // printed once, alone, for scripts
      expect(secretB).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(created.err).toContain('shown once');
      expect(await accepted(secretB)).toBe(false); // created, not yet in use

      expect(await cli('', 'secrets', 'add', 'Shared Secret B', '--config', file)).toMatchObject({
        code: 0,
        out: 'Shared secret "Shared Secret B" is in use. In use now: Shared Secret A, Shared Secret B',
      });
      await eventually(() => accepted(secretB));
      current = secretB; // the gateway moves over
      const before = statuses.length;
      await eventually(async () => statuses.length >= before + 20);

      expect((await cli('', 'secrets', 'remove', 'Shared Secret A', '--config', file)).code).toBe(0);
      await eventually(async () => !(await accepted(secretA)));
      expect((await cli('', 'secrets', 'delete', 'Shared Secret A', '--config', file)).code).toBe(0);
      const after = statuses.length;
      await eventually(async () => statuses.length >= after + 20);

      const list = await cli('', 'secrets', 'list', '--config', file);
      expect(list.out).toMatch(/^NAME\s+IN USE\s+CREATED\nShared Secret B\s+yes\s+\d{4}-/);
      expect(list.out).not.toContain('Shared Secret A');
      const listed = JSON.parse((await cli('', 'secrets', 'list', '--config', file, '--json')).out);
      expect(listed).toEqual([{ name: 'Shared Secret B', inUse: true, createdAt: expect.any(String) }]);

      running = false;
      await Promise.all(loops);
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      expect(sentWith.get(secretA)).toBeGreaterThanOrEqual(20);
      expect(sentWith.get(secretB)).toBeGreaterThanOrEqual(40);
      expect(run.out.some((line) => /Reloaded .* shared secrets in use: 2$/.test(line))).toBe(true);
      const everything = [...run.out, ...run.err, list.out, await readFile(file, 'utf8')].join('\n');
      expect(everything).not.toContain(secretA);
      expect(everything).not.toContain(secretB);
    } finally {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      run.stop();
    }
    expect(await run.done).toBe(0);
    expect(run.out.at(-1)).toBe('Sideband API stopped');
  });

  it('refuses life-cycle mistakes clearly (exit 1) and bad usage (exit 2)', async () => {
    const { file } = await setup('mistakes');
    await cli('first-secret-value', 'secrets', 'create', 'A', '--config', file);
    expect(await cli('other-secret-value', 'secrets', 'create', 'A', '--config', file)).toEqual({
      code: 1,
      out: '',
      err: 'A shared secret named "A" already exists',
    });
    expect((await cli('', 'secrets', 'add', 'Nope', '--config', file)).err).toBe('No shared secret is named "Nope"');
    expect((await cli('', 'secrets', 'remove', 'A', '--config', file)).err).toBe('"A" is not in use');
    await cli('', 'secrets', 'add', 'A', '--config', file);
    expect(await cli('', 'secrets', 'delete', 'A', '--config', file)).toMatchObject({
      code: 1,
      err: '"A" is in use; remove it from use before deleting it',
    });
    const removed = await cli('', 'secrets', 'remove', 'A', '--config', file);
    expect(removed).toMatchObject({ code: 0, err: 'No shared secret is in use now: the server refuses every call.' });
    expect(await cli('', 'secrets', 'create', 'B', '--config', file)).toMatchObject({
      code: 1,
      err: 'No secret on standard input (pipe it in, or use --generate).',
    });
    const weak = await cli('short', 'secrets', 'create', 'B', '--config', file);
    expect(weak).toMatchObject({ code: 1, err: 'The value of "B" must be 8–1024 characters' });
    for (const args of [
      ['secrets'],
      ['secrets', 'create', 'B'],
      ['secrets', 'add', '--config', file],
      ['secrets', 'list', 'extra', '--config', file],
      ['secrets', 'rotate', 'A', '--config', file],
      ['secrets', 'add', 'A', '--generate', '--config', file],
    ]) {
      expect((await cli('', ...args)).code, args.join(' ')).toBe(2);
    }
    // A bad file is reported with paths and left untouched.
    const broken = JSON.stringify({
      secrets: { A: { hash: 'plain-text', createdAt: 'yesterday' } },
      acceptedSecrets: ['Z'],
      extra: 1,
    });
    await writeFile(file, broken);
    const invalid = await cli('another-value', 'secrets', 'create', 'C', '--config', file);
    expect(invalid.code).toBe(1);
    expect(invalid.err).toContain('secrets.A.hash: must be "scrypt$N$r$p$salt$hash"');
    expect(invalid.err).toContain('secrets.A.createdAt: must be an ISO 8601 date-time');
    expect(invalid.err).toContain('acceptedSecrets[0]: no secret is named "Z"');
    expect(invalid.err).toContain('Unrecognized key: "extra"');
    expect(await readFile(file, 'utf8')).toBe(broken);
    expect((await cli('', 'secrets', 'list', '--config', join(dir, 'missing.json'))).err).toContain('ENOENT');
  });

  it('creates a missing server config file and keeps fields it does not manage', async () => {
    const file = join(dir, 'fresh.json');
    expect((await cli('a-new-secret', 'secrets', 'create', 'A', '--config', file)).code).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      secrets: { A: { hash: expect.stringMatching(/^scrypt\$32768\$8\$1\$/), createdAt: expect.any(String) } },
      acceptedSecrets: [],
    });
    const { file: kept } = await setup('kept', { sharedSecretHeader: 'X-Token', stateTtlSeconds: 60 });
    await cli('a-new-secret', 'secrets', 'create', 'A', '--config', kept);
    expect(JSON.parse(await readFile(kept, 'utf8'))).toMatchObject({
      guardConfig: './guard.json',
      listen: { port: 0 },
      sharedSecretHeader: 'X-Token',
      stateTtlSeconds: 60,
    });
  });

  it('keeps every change when several secrets commands run at once', async () => {
    const file = join(dir, 'concurrent.json');
    const names = ['A', 'B', 'C', 'D', 'E', 'F'];
    const results = await Promise.all(
      names.map((name) => cli(`secret-for-${name}`, 'secrets', 'create', name, '--config', file)),
    );
    expect(results.map((result) => result.code)).toEqual(names.map(() => 0));
    expect(Object.keys(JSON.parse(await readFile(file, 'utf8')).secrets).sort()).toEqual(names);
    await expect(readFile(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reloads the guard config when it changes, and keeps the running config when a file turns invalid', async () => {
    const { folder, file } = await setup('reload');
    await cli(secretA, 'secrets', 'create', 'A', '--config', file);
    await cli('', 'secrets', 'add', 'A', '--config', file);
    const run = serve('--config', file);
    const url = await run.url;
    try {
      expect(json(await sideband(url, 'request', annTrace()))).toHaveProperty('state');
      const good = await readFile(file, 'utf8');
      await writeFile(file, '{ "secrets": ');
      await eventually(async () => run.err.some((line) => line.includes('Reload rejected')));
      expect(run.err.join('\n')).toContain('server.json is not valid JSON');
      expect((await sideband(url, 'request', annTrace())).status).toBe(200);
      const reloads = () => run.out.filter((line) => line.startsWith('Reloaded')).length;
      const before = reloads();
      await writeFile(file, good);
      await eventually(async () => reloads() > before);

      await writeFile(join(folder, 'guard.json'), JSON.stringify({ apis: [{ name: 'bad', basePath: 'x' }] }));
      await eventually(async () => run.err.some((line) => line.includes('apis[0].basePath')));
      expect(run.err.join('\n')).toMatch(/Reload rejected.*guard\.json: 1 problem/s);
      expect(json(await sideband(url, 'request', annTrace()))).toHaveProperty('state'); // old guard config

      await writeFile(join(folder, 'guard.json'), JSON.stringify({ apis: [], unmatched: 'deny' }));
      await eventually(async () => 'response' in json(await sideband(url, 'request', annTrace())));
      expect(json(await sideband(url, 'request', annTrace()))).toMatchObject({ response: { response_code: '404' } });
    } finally {
      run.stop();
    }
    expect(await run.done).toBe(0);
  });

  it('opens on one server the state another made, given the same stateKey', async () => {
    const key = randomBytes(32).toString('base64');
    await writeFile(join(dir, 'state.key'), `${key}\n`);
    const { file } = await setup('shared-key', { stateKey: { file: '../state.key' } });
    await cli(secretA, 'secrets', 'create', 'A', '--config', file);
    await cli('', 'secrets', 'add', 'A', '--config', file);
    vi.stubEnv('SIDEGUARD_TEST_STATE_KEY', key);
    const written = JSON.parse(await readFile(file, 'utf8'));
    const { file: viaEnv } = await setup('shared-env', { ...written, stateKey: { env: 'SIDEGUARD_TEST_STATE_KEY' } });
    const { file: otherKey } = await setup('other-key', { ...written, stateKey: undefined });
    const [one, two, three] = [serve('--config', file), serve('--config', viaEnv), serve('--config', otherKey)];
    try {
      const state = json(await sideband(await one.url, 'request', annTrace())).state as string;
      const reply = await sideband(await two.url, 'response', upstreamResponse({ state }));
      expect(json(reply).body).toBe(JSON.stringify({ id: '7d9fc465', name: 'Bruce Heller' }));
      expect((await sideband(await three.url, 'response', upstreamResponse({ state }))).status).toBe(400);
      expect(three.err).toContain(
        'No stateKey configured: state is sealed with a random key, so only this process can open it',
      );
    } finally {
      for (const run of [one, two, three]) run.stop();
      vi.unstubAllEnvs();
    }
    expect(await Promise.all([one.done, two.done, three.done])).toEqual([0, 0, 0]);
  });

  it('reports start-up problems: bad usage (2), invalid files and busy ports (1)', async () => {
    expect(await serve().done).toBe(2);
    expect(await serve('--config').done).toBe(2);
    expect(await serve('--config', 'x.json', '--port', 'eighty').done).toBe(2);
    const missing = serve('--config', join(dir, 'missing.json'));
    expect(await missing.done).toBe(1);
    expect(missing.err.join('\n')).toContain('ENOENT');

    const { folder, file } = await setup('bad-guard');
    await writeFile(join(folder, 'guard.json'), JSON.stringify({ apis: [{ name: 'a', basePath: 'x' }] }));
    const badGuard = serve('--config', file);
    expect(await badGuard.done).toBe(1);
    expect(badGuard.err.join('\n')).toContain('./guard.json: 1 problem\n  - apis[0].basePath: must start with "/"');

    const { file: keyed } = await setup('bad-key', { stateKey: { env: 'SIDEGUARD_TEST_NO_SUCH_VARIABLE' } });
    const badKey = serve('--config', keyed);
    expect(await badKey.done).toBe(1);
    expect(badKey.err.join('\n')).toContain(
      'stateKey: environment variable SIDEGUARD_TEST_NO_SUCH_VARIABLE is not set',
    );

    const { file: ok } = await setup('busy');
    const first = serve('--config', ok);
    const port = new URL(await first.url).port;
    try {
      const busy = serve('--config', ok, '--port', port);
      expect(await busy.done).toBe(1);
      expect(busy.err.join('\n')).toContain('EADDRINUSE');
    } finally {
      first.stop();
    }
    expect(await first.done).toBe(0);
  });

  it('runs as a real process: SIGHUP reloads what no watcher sees, SIGTERM stops it', async () => {
    const { folder, file } = await setup('process');
    await writeFile(join(folder, 'ann.pw'), 'pw\n');
    const staff = { type: 'basic' as const, users: [{ username: 'ann', password: { file: 'ann.pw' } }] };
    const withFile = { ...guardConfig, environments: { prod: { profiles: { staff } } } };
    await writeFile(join(folder, 'guard.json'), JSON.stringify(withFile));
    await cli(secretA, 'secrets', 'create', 'A', '--config', file);
    await cli('', 'secrets', 'add', 'A', '--config', file);
    const entry = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--conditions=sideguard-source', '--import', 'tsx', entry, 'sideband-api', '--config', file],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let stdout = '';
      child.stdout.setEncoding('utf8');
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk;
          const found = /listening on (\S+)/.exec(stdout)?.[1];
          if (found !== undefined) resolve(found);
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
      });
      const identity = async (auth: string) => {
        const headers = [{ Authorization: auth }];
        const reply = json(await sideband(url, 'request', annTrace({ headers })));
        return 'response' in reply ? 'denied' : 'allowed';
      };
      expect(await identity(annAuth)).toBe('allowed');
      await writeFile(join(folder, 'ann.pw'), 'new-pw\n');
      const newAuth = `Basic ${Buffer.from('ann:new-pw').toString('base64')}`;
      expect(await identity(newAuth)).toBe('denied'); // the password file is not watched
      child.kill('SIGHUP');
      await eventually(async () => (await identity(newAuth)) === 'allowed');
      expect(stdout).toContain('(SIGHUP)');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toContain('Sideband API stopped');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
