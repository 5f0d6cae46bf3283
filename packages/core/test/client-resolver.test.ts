import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileConfig } from '../src/config/compile';
import type { HeaderList } from '../src/http/headers';
import { resolveClient, type TrustedProxies } from '../src/net/client-resolver';
import { parseForwarded, splitForwardedList } from '../src/net/forwarded';

function trust(addresses: string[], header: 'x-forwarded-for' | 'forwarded' = 'x-forwarded-for'): TrustedProxies {
  const proxies = compileConfig({ trustedProxies: { addresses, header } }).read.trustedProxies;
  if (proxies === undefined) throw new Error('no proxies');
  return proxies;
}

describe('forwarding header parsing', () => {
  it('splits X-Forwarded-For across lines and strips ports', () => {
    expect(splitForwardedList(['203.0.113.7, 10.0.0.1:8080', '[2001:db8::1]:443,2001:db8::2'])).toEqual([
      '203.0.113.7',
      '10.0.0.1',
      '2001:db8::1',
      '2001:db8::2',
    ]);
  });

  it('parses RFC 7239 elements with quotes, brackets and case', () => {
    expect(
      parseForwarded(['for=192.0.2.60;proto=HTTPS;by=203.0.113.43, For="[2001:db8:cafe::17]:4711"', 'for=unknown']),
    ).toEqual([
      { node: '192.0.2.60', proto: 'https' },
      { node: '2001:db8:cafe::17', proto: undefined },
      { node: 'unknown', proto: undefined },
    ]);
  });

  it('keeps only the last 32 hops', () => {
    const list = splitForwardedList([Array.from({ length: 100 }, (_, i) => `10.0.0.${i % 250}`).join(',')]);
    expect(list).toHaveLength(32);
    expect(list.at(-1)).toBe('10.0.0.99');
  });
});

describe('client resolution', () => {
  const xff = (value: string, proto?: string): HeaderList =>
    proto === undefined
      ? [['X-Forwarded-For', value]]
      : [
          ['X-Forwarded-For', value],
          ['X-Forwarded-Proto', proto],
        ];

  it('ignores forwarding headers from an untrusted peer, and when nobody is trusted', () => {
    const headers = xff('1.1.1.1', 'https');
    expect(resolveClient('203.0.113.9', false, headers, trust(['10.0.0.0/8']))).toEqual({
      clientIp: '203.0.113.9',
      scheme: 'http',
    });
    expect(resolveClient('::ffff:203.0.113.9', true, headers, undefined)).toEqual({
      clientIp: '203.0.113.9',
      scheme: 'https',
    });
  });

  it('walks back through trusted hops to the first untrusted one', () => {
    const proxies = trust(['10.0.0.0/8']);
    // The client prepended a fake address; the trusted proxy 10.0.0.2 appended the real one.
    const result = resolveClient(
      '10.0.0.1',
      false,
      xff('6.6.6.6, 198.51.100.4, 10.0.0.2', 'http, https, http'),
      proxies,
    );
    expect(result).toEqual({ clientIp: '198.51.100.4', scheme: 'https' });
  });

  it('takes the leftmost address when every hop is trusted, and stops at garbage', () => {
    const proxies = trust(['10.0.0.0/8']);
    expect(resolveClient('10.0.0.1', false, xff('10.9.9.9, 10.0.0.2'), proxies).clientIp).toBe('10.9.9.9');
    // An unreadable hop vouched for by a trusted proxy leaves the client unknown, never the proxy.
    expect(resolveClient('10.0.0.1', false, xff('1.2.3.4, _hidden, 10.0.0.2'), proxies).clientIp).toBe('');
    expect(resolveClient('10.0.0.1', false, [], proxies)).toEqual({ clientIp: '10.0.0.1', scheme: 'http' });
  });

  it('uses a single overwritten X-Forwarded-Proto from the trusted proxy', () => {
    expect(resolveClient('10.0.0.1', false, xff('192.0.2.1', 'https'), trust(['10.0.0.1'])).scheme).toBe('https');
    expect(resolveClient('10.0.0.1', false, xff('192.0.2.1', 'gopher'), trust(['10.0.0.1'])).scheme).toBe('http');
  });

  it('refuses a Forwarded line whose open quote would swallow the entry the proxy appended', () => {
    const proxies = trust(['10.0.0.0/8'], 'forwarded');
    // The client sent `for=10.9.9.9;proto=https;x="`; the trusted proxy appended `, for=203.0.113.7`.
    const smuggled: HeaderList = [['Forwarded', 'for=10.9.9.9;proto=https;x=", for=203.0.113.7']];
    expect(resolveClient('10.0.0.1', false, smuggled, proxies)).toEqual({ clientIp: '', scheme: 'http' });
    const unreadable: HeaderList = [['Forwarded', 'for="x, for=203.0.113.7']];
    expect(resolveClient('10.0.0.1', false, unreadable, proxies).clientIp).toBe('');
    const wellQuoted: HeaderList = [['Forwarded', 'for="[2001:db8::1]";x="a,b", for=203.0.113.7']];
    expect(resolveClient('10.0.0.1', false, wellQuoted, proxies).clientIp).toBe('203.0.113.7');
  });

  it('reads only the configured header', () => {
    const headers: HeaderList = [
      ['Forwarded', 'for=9.9.9.9;proto=https'],
      ['X-Forwarded-For', '8.8.8.8'],
    ];
    expect(resolveClient('::1', false, headers, trust(['::1'], 'forwarded'))).toEqual({
      clientIp: '9.9.9.9',
      scheme: 'https',
    });
    expect(resolveClient('::1', false, headers, trust(['::1']))).toEqual({ clientIp: '8.8.8.8', scheme: 'http' });
  });

  it('matches IPv4-mapped peers against IPv4 proxy entries', () => {
    expect(resolveClient('::ffff:127.0.0.1', false, xff('192.0.2.5'), trust(['127.0.0.1'])).clientIp).toBe('192.0.2.5');
    expect(resolveClient('127.0.0.1', false, xff('::ffff:192.0.2.5'), trust(['::ffff:127.0.0.1'])).clientIp).toBe(
      '192.0.2.5',
    );
  });

  it('never lets an untrusted peer choose its address or scheme, whatever it sends', () => {
    const proxies = trust(['10.0.0.0/8', 'fd00::/8']);
    const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
    fc.assert(
      fc.property(
        ipv4.filter((ip) => !ip.startsWith('10.')),
        fc.array(
          fc.tuple(fc.constantFrom('X-Forwarded-For', 'x-forwarded-proto', 'Forwarded', 'X-Real-IP'), fc.string()),
        ),
        fc.boolean(),
        (peer, headers, encrypted) => {
          const result = resolveClient(peer, encrypted, headers, proxies);
          return result.clientIp === peer && result.scheme === (encrypted ? 'https' : 'http');
        },
      ),
    );
  });

  it('from a trusted peer, only ever yields the peer, an address present in the header, or none', () => {
    const proxies = trust(['10.0.0.0/8']);
    const ipv4 = fc.tuple(fc.constantFrom(10, 192, 203), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
    fc.assert(
      fc.property(fc.array(fc.oneof(ipv4, fc.string()), { maxLength: 40 }), (hops) => {
        const { clientIp } = resolveClient('10.0.0.1', false, [['x-forwarded-for', hops.join(',')]], proxies);
        return clientIp === '' || clientIp === '10.0.0.1' || hops.includes(clientIp);
      }),
    );
  });
});
