import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/compile';
import { ConfigError, createGuard, formatConfigPath, type Logger, loadConfig, validateConfig } from '../../src/index';

function problems(config: unknown): string[] {
  return validateConfig(config).map((issue) => `${formatConfigPath(issue.path)}: ${issue.message}`);
}

const environments = {
  development: {
    profiles: {
      finance: { type: 'basic', users: [{ username: 'fin', password: 'dev-fin' }] },
      accounting: { type: 'basic', users: [{ username: 'acc', password: 'dev-acc' }] },
      public: { type: 'anonymous' },
    },
  },
  production: {
    profiles: {
      finance: { type: 'basic', users: [{ username: 'fin', password: 'prod-fin' }] },
      partners: {
        type: 'oauth2',
        provider: { kind: 'jwt', issuer: 'https://issuer.test', jwksUri: 'https://issuer.test/jwks' },
      },
      public: { type: 'anonymous' },
      onlyProd: { type: 'anonymous' },
    },
  },
} as const;

describe('profiles in config', () => {
  it('accepts the seed classic set-up: same profile names in development and production', () => {
    expect(
      problems({
        environments,
        apis: [
          {
            name: 'api-1-dev',
            basePath: '/dev/api-1',
            environment: 'development',
            profiles: ['finance', 'accounting'],
          },
          { name: 'api-2-dev', basePath: '/dev/api-2', environment: 'development', profiles: ['accounting'] },
          { name: 'api-1', basePath: '/api-1', environment: 'production', profiles: ['finance'] },
        ],
      }),
    ).toEqual([]);
  });

  it('refuses every forbidden combination, naming API and profiles', () => {
    expect(
      problems({
        environments,
        apis: [
          { name: 'a', basePath: '/a', environment: 'production', profiles: ['finance', 'partners'] },
          { name: 'b', basePath: '/b', environment: 'production', profiles: ['finance', 'public'] },
          { name: 'c', basePath: '/c', environment: 'production', profiles: ['partners', 'public'] },
          { name: 'd', basePath: '/d', environment: 'production', profiles: ['public', 'onlyProd'] },
          { name: 'e', basePath: '/e', environment: 'production', profiles: ['finance', 'finance'] },
        ],
      }),
    ).toEqual([
      'apis[0].profiles: Basic and OAuth 2.0 profiles cannot share an API ("finance", "partners")',
      'apis[1].profiles: Basic and Anonymous profiles cannot share an API ("finance", "public")',
      'apis[2].profiles: OAuth 2.0 and Anonymous profiles cannot share an API ("partners", "public")',
      'apis[3].profiles: at most one Anonymous profile per API ("public", "onlyProd")',
      'apis[4].profiles: profile "finance" is assigned more than once',
    ]);
  });

  it('keeps profiles inside their environment', () => {
    expect(
      problems({
        environments,
        apis: [
          { name: 'a', basePath: '/a', environment: 'development', profiles: ['onlyProd'] },
          { name: 'b', basePath: '/b', environment: 'development', profiles: ['nobody'] },
          { name: 'c', basePath: '/c', environment: 'staging', profiles: ['finance'] },
          { name: 'd', basePath: '/d', profiles: ['finance'] },
        ],
      }),
    ).toEqual([
      'apis[0].profiles[0]: profile "onlyProd" belongs to environment "production", not "development"; a profile is valid only in its own environment',
      'apis[1].profiles[0]: unknown profile "nobody" in environment "development"',
      'apis[2].environment: unknown environment "staging"',
      'apis[3].environment: an API with profiles must name its environment',
    ]);
  });

  it('checks users, hashes, ranges and realms with their paths, never echoing secrets', () => {
    const found = problems({
      environments: {
        prod: {
          profiles: {
            p: {
              type: 'basic',
              realm: 'bad "realm"',
              users: [
                { username: 'a:b', password: 'topsecret-1' },
                { username: 'c', password: 'x', passwordHash: '$2b$10$abc' },
                { username: 'd', passwordHash: 'topsecret-2' },
                { username: 'e', password: 'topsecret-3' },
                { username: 'e', password: 'topsecret-4' },
              ],
              ipRanges: ['10.0.0.9-10.0.0.1', '10.0.0.1-::1', '0x0a.0.0.1', '10.0.0.0/8'],
            },
            q: { type: 'basic', users: [] },
          },
        },
      },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^environments\.prod\.profiles\.p\.realm: /),
        'environments.prod.profiles.p.users[0].username: must not contain ":" or control characters (RFC 7617)',
        'environments.prod.profiles.p.users[1]: give exactly one of "password" and "passwordHash"',
        expect.stringMatching(/^environments\.prod\.profiles\.p\.ipRanges\[0\]: /),
        expect.stringMatching(/^environments\.prod\.profiles\.p\.ipRanges\[1\]: /),
        expect.stringMatching(/^environments\.prod\.profiles\.p\.ipRanges\[2\]: /),
        'environments.prod.profiles.q.users: a Basic profile needs at least one user',
      ]),
    );
    expect(found).toHaveLength(7);
    expect(found.join('\n')).not.toMatch(/topsecret/);

    const second = problems({
      environments: {
        prod: {
          profiles: {
            p: {
              type: 'basic',
              users: [
                { username: 'd', passwordHash: 'topsecret-2' },
                { username: 'e', password: 'topsecret-3' },
                { username: 'e', password: 'topsecret-4' },
              ],
            },
          },
        },
      },
    });
    expect(second).toEqual([
      expect.stringMatching(/^environments\.prod\.profiles\.p\.users\[0\]\.passwordHash: unsupported password hash/),
      'environments.prod.profiles.p.users[2].username: duplicate user "e"',
    ]);
    expect(second.join('\n')).not.toMatch(/topsecret/);
  });

  it('warns about every API without a profile, and denies them with defaultAccess "deny"', async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (_context, message) => warnings.push(message) };
    const config = { apis: [{ name: 'open', basePath: '/open' }] };
    const guard = createGuard(config, { logger });
    expect(warnings).toEqual([
      'API "open" has no security profile and is public; assign a profile or set defaultAccess: "deny"',
    ]);
    const allowed = await guard.handleRequest(request('/open'));
    expect(allowed).toMatchObject({ action: 'continue', exchange: { identity: 'Anonymous' } });
    const denied = await createGuard({ ...config, defaultAccess: 'deny' }, { logger }).handleRequest(request('/open'));
    expect(denied).toMatchObject({ action: 'respond', status: 401, reason: 'unauthenticated' });
    expect(warnings).toHaveLength(1);
  });
});

describe('secrets and config files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sideguard-config-'));
    await writeFile(join(dir, 'fin.pw'), 'from-file\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const withSecret = (password: unknown) => ({
    environments: { prod: { profiles: { p: { type: 'basic', users: [{ username: 'u', password }] } } } },
  });

  it('resolves env and file references, relative files from the config file folder', async () => {
    process.env.SIDEGUARD_TEST_PW = 'from-env';
    expect(problems(withSecret({ env: 'SIDEGUARD_TEST_PW' }))).toEqual([]);
    await writeFile(join(dir, 'config.json'), JSON.stringify(withSecret({ file: 'fin.pw' })));
    const loaded = await loadConfig(join(dir, 'config.json'));
    expect(validateConfig(loaded)).toEqual([]);
    expect(compileConfig(loaded, { baseDir: dir }).apis).toEqual([]);
  });

  it('names the missing variable or file, never a value', async () => {
    delete process.env.SIDEGUARD_MISSING;
    expect(problems(withSecret({ env: 'SIDEGUARD_MISSING' }))).toEqual([
      'environments.prod.profiles.p.users[0].password: environment variable SIDEGUARD_MISSING is not set',
    ]);
    expect(problems(withSecret({ file: join(dir, 'nope.pw') }))[0]).toMatch(
      /cannot read secret file .*nope\.pw \(ENOENT\)/,
    );
    expect(problems(withSecret({ env: 'lower-case bad' }))[0]).toMatch(/must be an environment variable name/);
  });

  it('reports unreadable and non-JSON files as config errors', async () => {
    await writeFile(join(dir, 'broken.json'), '{ "apis": ');
    await expect(loadConfig(join(dir, 'broken.json'))).rejects.toBeInstanceOf(ConfigError);
    await expect(loadConfig(join(dir, 'missing.json'))).rejects.toThrow(/ENOENT/);
    await writeFile(join(dir, 'array.json'), '[]');
    await expect(loadConfig(join(dir, 'array.json'))).rejects.toThrow(/must hold a JSON object/);
  });
});

function request(target: string) {
  return {
    method: 'GET',
    target,
    httpVersion: '1.1',
    headers: [['Host', 'api.example.com']] as [string, string][],
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    encrypted: false,
  };
}

describe('startup warnings', () => {
  it('warns about host-bound APIs that unmatched hosts bypass, audience-less JWT profiles and host-less redirects', () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (_c, message) => warnings.push(message) };
    createGuard(
      {
        environments: {
          prod: {
            profiles: {
              p: { type: 'oauth2', provider: { kind: 'jwt', issuer: 'https://i.test', jwksUri: 'https://i.test/k' } },
            },
          },
        },
        apis: [
          { name: 'admin', host: 'admin.example.com', basePath: '/', environment: 'prod', profiles: ['p'] },
          { name: 'pay', basePath: '/pay', environment: 'prod', profiles: ['p'], sslOnly: 'redirect' },
        ],
      },
      { logger },
    );
    expect(warnings).toEqual([
      'Profile "prod/p" accepts every token its issuer signs, for any audience; set provider.audience',
      'API "admin" is bound to host admin.example.com, but requests naming another host pass untouched; set unmatched: "deny" unless the app routes by host itself',
      'API "pay" redirects to https on whatever host the client names; bind it to a host',
    ]);
  });
});
