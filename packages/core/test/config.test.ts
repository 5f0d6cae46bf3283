import { describe, expect, it } from 'vitest';
import { compileConfig } from '../src/config/compile';
import { ConfigError, createGuard, formatConfigPath, validateConfig } from '../src/index';

function problems(config: unknown): string[] {
  return validateConfig(config).map((issue) => `${formatConfigPath(issue.path)}: ${issue.message}`);
}

describe('config validation', () => {
  it('accepts a minimal config and applies defaults', () => {
    expect(problems({})).toEqual([]);
    const compiled = compileConfig({ apis: [{ name: 'orders', basePath: '/orders/' }] });
    expect(compiled.apis[0]?.basePath).toBe('/orders');
    expect(compiled.denyUnmatched).toBe(false);
    expect(compiled.failOpen).toBe(false);
    expect(compiled.read.maxBodyBytes).toBe(1024 * 1024);
    expect(compiled.read.trustedProxies).toBeUndefined();
  });

  it('reports every problem at once, each with its path', () => {
    const found = problems({
      apis: [
        { name: '', basePath: 'orders' },
        { name: 'b', host: 'api.example.com:8443', basePath: '/a/../b' },
        { name: 'c', basePath: '/c', extra: true },
      ],
      unmatched: 'maybe',
      trustedProxies: { addresses: ['0xc0.168.1.1', '010.0.0.1', '10.0.0.0/33', '::1/129', 'fe80::1%eth0', '1.2.3'] },
      body: { maxBytes: -1 },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^apis\[0\]\.name: must be 1–64 letters/),
        'apis[0].basePath: must start with "/"',
        expect.stringMatching(/^apis\[1\]\.host: must be a hostname/),
        'apis[1].basePath: must not contain empty, "." or ".." segments',
        expect.stringMatching(/^apis\[2\]: Unrecognized key: "extra"/),
        expect.stringMatching(/^unmatched: /),
        expect.stringMatching(/^trustedProxies\.addresses\[0\]: "0xc0\.168\.1\.1" is not an IP address/),
        expect.stringMatching(/^trustedProxies\.addresses\[1\]: "010\.0\.0\.1" is not an IP address/),
        'trustedProxies.addresses[2]: invalid IPv4 prefix length in "10.0.0.0/33" (0 to 32)',
        'trustedProxies.addresses[3]: invalid IPv6 prefix length in "::1/129" (0 to 128)',
        expect.stringMatching(/^trustedProxies\.addresses\[4\]: /),
        expect.stringMatching(/^trustedProxies\.addresses\[5\]: /),
        expect.stringMatching(/^body\.maxBytes: /),
      ]),
    );
    expect(found).toHaveLength(13);
  });

  it('rejects duplicate API names and two APIs on the same host and base path', () => {
    expect(
      problems({
        apis: [
          { name: 'a', basePath: '/orders' },
          { name: 'a', basePath: '/users' },
          { name: 'c', basePath: '/Orders/' },
          { name: 'd', host: 'x.example', basePath: '/orders' },
        ],
      }),
    ).toEqual([
      'apis[1].name: duplicate API name "a" (also apis[0])',
      'apis[2].basePath: "c" has the same host and base path as apis[0] (paths compare case-insensitively)',
    ]);
    expect(
      problems({
        routing: { caseSensitive: true },
        apis: [
          { name: 'a', basePath: '/orders' },
          { name: 'c', basePath: '/Orders' },
        ],
      }),
    ).toEqual([]);
  });

  it('expands trusted-proxy presets and folds IPv4-mapped blocks', () => {
    const compiled = compileConfig({ trustedProxies: { addresses: ['loopback', '::ffff:10.0.0.0/104'] } });
    const blocks = compiled.read.trustedProxies?.blocks.map((b) => `${b.address.toString()}/${b.prefix}`);
    expect(blocks).toEqual(['127.0.0.0/8', '::1/128', '10.0.0.0/8']);
    expect(compiled.read.trustedProxies?.header).toBe('x-forwarded-for');
  });

  it('makes createGuard throw a ConfigError for an invalid config', () => {
    expect(() => createGuard({ apis: [{ name: 'x', basePath: 'nope' }] })).toThrow(ConfigError);
  });
});
