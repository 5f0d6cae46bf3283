import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileConfig } from '../../../src/config/compile';
import { formatConfigPath, type SideguardConfigInput, validateConfig } from '../../../src/index';

type PingAuthorizeInput = NonNullable<NonNullable<SideguardConfigInput['sideband']>['pingAuthorize']>;

function config(pingAuthorize: Partial<PingAuthorizeInput>, extra: Partial<SideguardConfigInput> = {}) {
  return {
    apis: [{ name: 'shop', basePath: '/shop' }],
    ...extra,
    sideband: { pingAuthorize: { endpoints: ['https://pingauthorize:8443'], sharedSecret: 's', ...pingAuthorize } },
  };
}

function problems(input: unknown): string[] {
  return validateConfig(input).map((issue) => `${formatConfigPath(issue.path)}: ${issue.message}`);
}

describe('sideband.pingAuthorize config', () => {
  it('applies the documented defaults and runs on every API by default', () => {
    const compiled = compileConfig(config({}));
    const settings = compiled.sideband.pingauthorize;
    expect(settings?.client).toMatchObject({
      endpoints: ['https://pingauthorize:8443'],
      requestTimeoutMs: 10_000,
      connectTimeoutMs: 2_000,
      keepAliveMs: 60_000,
      connections: 64,
      recoveryCooldownMs: 30_000,
    });
    expect(settings?.connector).toMatchObject({
      sharedSecret: 's',
      sharedSecretHeader: 'client-token',
      timeoutMs: 10_000,
      failMode: 'closed',
      requestBody: { maxBytes: 1024 * 1024 },
      maxHeaders: 200,
      responsePhase: true,
      requestContext: 'auto',
      responseBody: { maxBytes: 1024 * 1024 },
      sendAccessToken: false,
    });
    for (const types of [settings?.connector.requestBody.contentTypes, settings?.connector.responseBody.contentTypes]) {
      for (const type of [
        'application/json',
        'application/hal+json',
        'application/x-www-form-urlencoded',
        'text/csv',
      ]) {
        expect(types?.matches(type), type).toBe(true);
      }
      expect(types?.matches('multipart/form-data; boundary=x')).toBe(false);
      expect(types?.matches('image/png')).toBe(false);
    }
    expect(compiled.apis[0]?.sideband).toEqual(['pingauthorize']);
  });

  it('chains with ASE in the configured order', () => {
    const compiled = compileConfig({
      apis: [
        { name: 'a', basePath: '/a', sideband: ['pingauthorize', 'ase'] },
        { name: 'b', basePath: '/b' },
      ],
      sideband: {
        ase: { endpoints: ['http://ase:8000'] },
        pingAuthorize: { endpoints: ['http://paz:8443'], sharedSecret: 's' },
        defaultChain: ['ase', 'pingauthorize'],
      },
    });
    expect(compiled.apis.map((api) => api.sideband)).toEqual([
      ['pingauthorize', 'ase'],
      ['ase', 'pingauthorize'],
    ]);
  });

  it('names the missing section when a chain lists pingauthorize without it', () => {
    expect(problems({ apis: [{ name: 'a', basePath: '/a', sideband: ['pingauthorize'] }] })).toEqual([
      'apis[0].sideband[0]: connector "pingauthorize" is not configured under sideband.pingAuthorize',
    ]);
  });

  it('keeps the fingerprint for equal settings and changes it with the secret (hashed, so the secret is not in it)', () => {
    const a = compileConfig(config({ sharedSecret: 'plain-secret' })).sideband.pingauthorize?.fingerprint;
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(compileConfig(config({ sharedSecret: 'plain-secret' })).sideband.pingauthorize?.fingerprint).toBe(a);
    expect(compileConfig(config({ sharedSecret: 't' })).sideband.pingauthorize?.fingerprint).not.toBe(a);
  });

  it('accepts every documented option', () => {
    expect(
      problems(
        config({
          endpoints: ['https://paz-1:8443', 'https://paz-2:8443/base'],
          sharedSecret: { env: 'PATH' },
          sharedSecretHeader: 'PDG-TOKEN',
          timeoutMs: 5000,
          connectTimeoutMs: 1000,
          keepAliveMs: 30_000,
          connections: 8,
          tls: { rejectUnauthorized: true },
          recoveryCooldownSeconds: 10,
          failMode: 'open',
          requestBody: { contentTypes: ['application/json', 'TEXT/*', 'application/*+xml'], maxBytes: 4096 },
          maxHeaders: 50,
          responsePhase: false,
          requestContext: 'state',
          responseBody: { contentTypes: ['application/json', 'application/xml'], maxBytes: 2048 },
          sendAccessToken: true,
        }),
      ),
    ).toEqual([]);
  });

  it('warns when bodies it may read are larger than the guard buffers', () => {
    const compiled = compileConfig(config({ requestBody: { maxBytes: 4 * 1024 * 1024 } }));
    expect(compiled.warnings).toContainEqual(expect.stringContaining('requestBody.maxBytes is above body.maxBytes'));
  });

  it.each([
    [
      { endpoints: ['https://paz:8443/sideband'] },
      /^sideband\.pingAuthorize\.endpoints\[0\]: must be the base URL without "\/sideband"/,
    ],
    [{ endpoints: ['https://paz:8443/sideband/request'] }, /without "\/sideband"/],
    [{ endpoints: ['https://paz:8443/x?y=1'] }, /endpoints\[0\]: must not contain credentials, a query or a fragment/],
    [{ endpoints: ['https://u:p@paz:8443'] }, /endpoints\[0\]: must not contain credentials/],
    [{ endpoints: ['ftp://paz'] }, /endpoints\[0\]: must be an http\(s\) URL/],
    [{ endpoints: [] }, /endpoints: list at least one PingAuthorize endpoint/],
    [{ sharedSecret: undefined }, /^sideband\.pingAuthorize\.sharedSecret: /],
    [{ sharedSecret: '' }, /sharedSecret: /],
    [{ sharedSecretHeader: 'CLIENT TOKEN' }, /sharedSecretHeader: must be an HTTP header name/],
    [{ sharedSecretHeader: 'Content-Type' }, /sharedSecretHeader: must not be a header the call itself uses/],
    [{ timeoutMs: 0 }, /timeoutMs/],
    [{ keepAliveMs: 0 }, /keepAliveMs/],
    [{ failMode: 'maybe' }, /failMode/],
    [{ requestBody: { contentTypes: ['json'] } }, /requestBody\.contentTypes\[0\]: must be a media type/],
    [{ requestBody: { contentTypes: ['*/*'] } }, /must be a media type/],
    [{ requestBody: { contentTypes: ['application/json; charset=utf-8'] } }, /must be a media type/],
    [{ requestBody: { maxBytes: 0 } }, /requestBody\.maxBytes/],
    [{ maxHeaders: 0 }, /maxHeaders/],
    [{ requestContext: 'both' }, /requestContext/],
    [{ responseBody: { maxBytes: 0 } }, /responseBody\.maxBytes/],
    [{ responseBody: { contentTypes: ['xml'] } }, /responseBody\.contentTypes\[0\]: must be a media type/],
    [{ sendAccessToken: 'yes' }, /sendAccessToken/],
    [{ healthCheck: {} }, /Unrecognized key: "healthCheck"/],
  ])('rejects %j', (settings, message) => {
    const found = problems(config(settings as Partial<PingAuthorizeInput>));
    expect(found).toEqual([expect.stringMatching(message)]);
  });
});

describe('sideband.pingAuthorize.sharedSecret', () => {
  const secret = 'Zq8-shared-secret';
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  function fromEnv(value: string): { env: string } {
    process.env.PAZ_TEST_SECRET = value;
    cleanups.push(() => delete process.env.PAZ_TEST_SECRET);
    return { env: 'PAZ_TEST_SECRET' };
  }

  function fromFile(content: string): { file: string } {
    const dir = mkdtempSync(join(tmpdir(), 'paz-secret-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'secret');
    writeFileSync(file, content);
    return { file };
  }

  it.each([
    ['an environment variable with a trailing newline', () => fromEnv(`${secret}\n`), /no control characters/],
    ['a value with a carriage return', () => `${secret}\r`, /no control characters/],
    ['a value past Latin-1', () => `${secret}\u2028x`, /Latin-1 only/],
    ['a trailing space', () => `${secret} `, /must not begin or end with whitespace/],
    ['a leading tab', () => fromEnv(`\t${secret}`), /must not begin or end with whitespace/],
    ['a file with two trailing newlines', () => fromFile(`${secret}\n\n`), /no control characters/],
  ])('refuses %s with one message that does not contain it', (_what, make, message) => {
    const found = problems(config({ sharedSecret: make() }));
    expect(found).toEqual([expect.stringMatching(message)]);
    expect(found[0]).toMatch(/^sideband\.pingAuthorize\.sharedSecret: /);
    expect(found[0]).not.toContain(secret);
  });

  it('reads a secret file without its one trailing newline (LF or CRLF), as editors write it', () => {
    for (const content of [`${secret}\n`, `${secret}\r\n`, secret]) {
      const compiled = compileConfig(config({ sharedSecret: fromFile(content) }));
      expect(compiled.sideband.pingauthorize?.connector.sharedSecret).toBe(secret);
    }
  });

  it('accepts spaces and tabs inside a secret', () => {
    expect(problems(config({ sharedSecret: 'two words\tand a tab' }))).toEqual([]);
  });
});
