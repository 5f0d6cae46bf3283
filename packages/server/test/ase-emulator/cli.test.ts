import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, startAseEmulator } from '@sideguard/server';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { testTls } from '../../../../tools/test-utils/tls';
import { call, requestPayload, routed } from './helpers';

const tlsDir = fileURLToPath(new URL('../../../../tools/test-utils/tls/', import.meta.url));

/** Runs `sideguard ase-emulator` in-process until `stop()`; `ready` resolves with the printed URL. */
function runEmulator(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const controller = new AbortController();
  let announce: (url: string) => void = () => {};
  const ready = new Promise<string>((resolve) => {
    announce = resolve;
  });
  const done = runCli(['ase-emulator', ...args], {
    out: (line) => {
      out.push(line);
      const url = /listening on (\S+)/.exec(line)?.[1];
      if (url !== undefined) announce(url);
    },
    err: (line) => err.push(line),
    signal: controller.signal,
  });
  // A command that fails before listening must not leave the test waiting for `ready`.
  const url = Promise.race([
    ready,
    done.then((code) => Promise.reject(new Error(`exited ${code}: ${err.join('\n')}`))),
  ]);
  // Tests of failing commands never await `url`; this keeps its rejection from counting as unhandled.
  url.catch(() => {});
  return { url, done, out, err, stop: () => controller.abort() };
}

describe('sideguard ase-emulator', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sideguard-ase-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('is exported from the package', () => {
    expect(typeof startAseEmulator).toBe('function');
  });

  it('starts with a config file and token, serves, and stops on the signal', async () => {
    const config = join(dir, 'emulator.json');
    await writeFile(
      config,
      JSON.stringify({
        apis: [
          { name: 'shop', hostname: 'shop.example', url: '/shop' },
          { name: 'trap', hostname: '*', url: '/admin', decoy: true },
        ],
        denyLists: { ip: ['198.51.100.9'] },
      }),
    );
    const token = 'tok3n0123456789abcdefghijklmnopq';
    const run = runEmulator('--port', '0', '--host', '127.0.0.1', '--token', token, '--config', config);
    const url = await run.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const auth = { 'ASE-Token': token };
    expect((await call(url, { body: routed('shop.example', '/shop'), headers: auth })).status).toBe(200);
    expect((await call(url, { body: routed('shop.example', '/shop') })).status).toBe(401);
    expect((await call(url, { body: routed('other.example', '/shop'), headers: auth })).status).toBe(503);
    const denied = requestPayload({ source_ip: '198.51.100.9', url: '/shop' });
    expect((await call(url, { body: denied, headers: auth })).status).toBe(403);
    run.stop();
    expect(await run.done).toBe(0);
    expect(run.out.at(-1)).toBe('ASE emulator stopped');
    expect(run.out.join('\n')).not.toContain(token);
    expect(run.out.join('\n')).toContain('ASE-Token required');
    await expect(call(url, { path: '/ase' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('takes the token from ASE_TOKEN and serves HTTPS with --tls-cert and --tls-key', async () => {
    vi.stubEnv('ASE_TOKEN', 'from-env');
    const run = runEmulator('--tls-cert', join(tlsDir, 'server.crt'), '--tls-key', join(tlsDir, 'server.key'));
    const url = await run.url;
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const body = requestPayload();
    expect((await call(url, { body, ca: testTls.ca, headers: { 'ASE-Token': 'from-env' } })).status).toBe(200);
    expect((await call(url, { body, ca: testTls.ca })).status).toBe(401);
    run.stop();
    expect(await run.done).toBe(0);
    expect(run.out.join('\n')).not.toContain('from-env');
  });

  it('answers Connection: close with --no-keepalive', async () => {
    const run = runEmulator('--no-keepalive');
    const url = await run.url;
    expect(run.out).toContain('Sideband authentication off (no ASE-Token needed)');
    expect((await call(url, { body: requestPayload() })).headers.connection).toBe('close');
    run.stop();
    expect(await run.done).toBe(0);
  });

  it('reports bad usage (2) and bad config files (1)', async () => {
    const bad = (...args: string[]) => runEmulator(...args).done;
    expect(await bad('--port', 'eighty')).toBe(2);
    expect(await bad('--port', '70000')).toBe(2);
    expect(await bad('--tls-cert', join(tlsDir, 'server.crt'))).toBe(2);
    expect(await bad('--frobnicate', 'x')).toBe(2);
    expect(await bad('--config')).toBe(2);

    const notJson = join(dir, 'broken.json');
    await writeFile(notJson, '{ "apis": [');
    const broken = runEmulator('--config', notJson);
    expect(await broken.done).toBe(1);
    expect(broken.err.join('\n')).toContain('is not valid JSON');

    const badApi = join(dir, 'bad-api.json');
    await writeFile(badApi, JSON.stringify({ apis: [{ name: 'a', hostname: '*', url: 'shop' }] }));
    const invalid = runEmulator('--config', badApi);
    expect(await invalid.done).toBe(1);
    expect(invalid.err.join('\n')).toContain('apis[0].url: must start with "/"');

    const extra = join(dir, 'extra.json');
    await writeFile(extra, JSON.stringify({ apis: [], denylists: {} }));
    const typo = runEmulator('--config', extra);
    expect(await typo.done).toBe(1);
    expect(typo.err.join('\n')).toContain('unknown key "denylists"');

    const missing = runEmulator('--config', join(dir, 'missing.json'));
    expect(await missing.done).toBe(1);
    expect(missing.err.join('\n')).toContain('ENOENT');
  });

  it('runs as a real process until SIGTERM', async () => {
    const entry = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--conditions=sideguard-source', '--import', 'tsx', entry, 'ase-emulator', '--port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ASE_TOKEN: '' } },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let stdout = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk;
          const found = /listening on (\S+)/.exec(stdout)?.[1];
          if (found !== undefined) resolve(found);
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
      });
      expect((await call(url, { path: '/ase' })).status).toBe(200);
      expect((await call(url, { body: requestPayload() })).status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toContain('ASE emulator stopped');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
