import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockContains, formatIp, type IpBlock, parseIp, parseIpBlock, parseSocketAddress } from '../src/net/ip';

function block(text: string): IpBlock {
  const parsed = parseIpBlock(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

describe('IP parsing', () => {
  it('accepts only four-part decimal IPv4', () => {
    expect(parseIp('192.168.1.1')?.toString()).toBe('192.168.1.1');
    for (const bad of [
      '0xc0.168.1.1',
      '0300.0250.1.1',
      '192.168.1',
      '3232235777',
      '1.2.3.256',
      '01.2.3.4',
      ' 1.2.3.4',
      '',
    ]) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });

  it('folds IPv4-mapped IPv6 in every spelling to IPv4', () => {
    for (const mapped of ['::ffff:1.2.3.4', '::ffff:102:304', '0:0:0:0:0:ffff:0102:0304', '::FFFF:1.2.3.4']) {
      const address = parseIp(mapped);
      expect(address?.kind(), mapped).toBe('ipv4');
      expect(address && formatIp(address)).toBe('1.2.3.4');
    }
  });

  it('formats IPv6 canonically and refuses zones in config', () => {
    const address = parseIp('2001:0DB8:0000:0000:0000:0000:0000:0001');
    expect(address && formatIp(address)).toBe('2001:db8::1');
    expect(parseIp('fe80::1%eth0')).toBeUndefined();
    const fromSocket = parseSocketAddress('fe80::1%eth0');
    expect(fromSocket && formatIp(fromSocket)).toBe('fe80::1');
    expect(parseSocketAddress(undefined)).toBeUndefined();
  });

  it('matches blocks by family and prefix, mapped IPv6 as IPv4 (CVE-2026-30827 class)', () => {
    const tenNet = block('10.0.0.0/8');
    const mapped = parseIp('::ffff:10.1.2.3');
    const mappedHex = parseIp('::ffff:a01:203');
    expect(mapped && blockContains(tenNet, mapped)).toBe(true);
    expect(mappedHex && blockContains(tenNet, mappedHex)).toBe(true);
    const outside = parseIp('11.0.0.1');
    expect(outside && blockContains(tenNet, outside)).toBe(false);
    const v6 = parseIp('2001:db8::5');
    expect(v6 && blockContains(block('2001:db8::/32'), v6)).toBe(true);
    expect(v6 && blockContains(tenNet, v6)).toBe(false);
    expect(
      blockContains(block('::ffff:10.0.0.0/104'), parseIp('10.200.0.1') as NonNullable<ReturnType<typeof parseIp>>),
    ).toBe(true);
  });

  it('agrees with a bitwise reference for random IPv4 addresses and blocks', () => {
    const toInt = (octets: number[]) => octets.reduce((acc, o) => acc * 256 + o, 0);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 32 }),
        (addr, net, prefix) => {
          const size = 2 ** (32 - prefix);
          const expected = Math.floor(toInt(addr) / size) === Math.floor(toInt(net) / size);
          const address = parseIp(addr.join('.'));
          const mapped = parseIp(`::ffff:${addr.join('.')}`);
          const b = block(`${net.join('.')}/${prefix}`);
          return (
            address !== undefined &&
            mapped !== undefined &&
            blockContains(b, address) === expected &&
            blockContains(b, mapped) === expected
          );
        },
      ),
    );
  });
});
