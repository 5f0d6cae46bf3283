import { describe, expect, it } from 'vitest';
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
      responseBodyMaxBytes: 1024 * 1024,
      sendAccessToken: false,
    });
    const types = settings?.connector.requestBody.contentTypes;
    for (const type of ['application/json', 'application/hal+json', 'application/x-www-form-urlencoded', 'text/csv']) {
      expect(types?.matches(type), type).toBe(true);
    }
    expect(types?.matches('multipart/form-data; boundary=x')).toBe(false);
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
          responseBody: { maxBytes: 2048 },
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
    [{ sendAccessToken: 'yes' }, /sendAccessToken/],
    [{ healthCheck: {} }, /Unrecognized key: "healthCheck"/],
  ])('rejects %j', (settings, message) => {
    const found = problems(config(settings as Partial<PingAuthorizeInput>));
    expect(found).toEqual([expect.stringMatching(message)]);
  });
});
