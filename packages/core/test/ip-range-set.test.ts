import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { formatIp, type IpAddress, parseIp } from '../src/net/ip';
import { type IpRange, IpRangeSet, parseIpRange } from '../src/net/ip-range-set';

function range(text: string): IpRange {
  const parsed = parseIpRange(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

function address(text: string): IpAddress {
  const parsed = parseIp(text);
  if (parsed === undefined) throw new Error(`bad test address ${text}`);
  return parsed;
}

function compile(...texts: string[]): IpRangeSet {
  return IpRangeSet.compile(texts.map(range));
}

function bounds(text: string): [string, string, string] {
  const parsed = range(text);
  return [formatIp(parsed.first), formatIp(parsed.last), parsed.first.kind()];
}

describe('parseIpRange', () => {
  it('accepts a single address as a one-address range', () => {
    expect(bounds('192.0.2.7')).toEqual(['192.0.2.7', '192.0.2.7', 'ipv4']);
    expect(bounds('2001:db8::1')).toEqual(['2001:db8::1', '2001:db8::1', 'ipv6']);
  });

  it('accepts CIDR blocks and spans the whole block', () => {
    expect(bounds('10.0.0.0/8')).toEqual(['10.0.0.0', '10.255.255.255', 'ipv4']);
    expect(bounds('192.0.2.0/24')).toEqual(['192.0.2.0', '192.0.2.255', 'ipv4']);
    expect(bounds('0.0.0.0/0')).toEqual(['0.0.0.0', '255.255.255.255', 'ipv4']);
    expect(bounds('192.0.2.7/32')).toEqual(['192.0.2.7', '192.0.2.7', 'ipv4']);
    expect(bounds('2001:db8::/32')).toEqual(['2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'ipv6']);
    expect(bounds('::/0')).toEqual(['::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ipv6']);
    expect(bounds('2001:db8::1/128')).toEqual(['2001:db8::1', '2001:db8::1', 'ipv6']);
  });

  it('ignores host bits in a block, as block matching does', () => {
    expect(bounds('10.1.2.3/8')).toEqual(['10.0.0.0', '10.255.255.255', 'ipv4']);
    expect(bounds('2001:db8::1/64')).toEqual(['2001:db8::', '2001:db8::ffff:ffff:ffff:ffff', 'ipv6']);
  });

  it('accepts start-end ranges with a hyphen or en dash, spaces optional', () => {
    for (const text of ['10.0.0.1-10.0.0.50', '10.0.0.1 - 10.0.0.50', '10.0.0.1–10.0.0.50', '10.0.0.1 – 10.0.0.50']) {
      expect(bounds(text), text).toEqual(['10.0.0.1', '10.0.0.50', 'ipv4']);
    }
    expect(bounds('2001:db8::1 - 2001:db8::ff')).toEqual(['2001:db8::1', '2001:db8::ff', 'ipv6']);
    expect(bounds('2001:db8::1-2001:db8::ff')).toEqual(['2001:db8::1', '2001:db8::ff', 'ipv6']);
    expect(bounds('10.0.0.9-10.0.0.9')).toEqual(['10.0.0.9', '10.0.0.9', 'ipv4']);
  });

  it('folds IPv4-mapped IPv6 addresses, blocks and endpoints to IPv4', () => {
    expect(bounds('::ffff:1.2.3.4')).toEqual(['1.2.3.4', '1.2.3.4', 'ipv4']);
    expect(bounds('::ffff:102:304')).toEqual(['1.2.3.4', '1.2.3.4', 'ipv4']);
    expect(bounds('::ffff:10.0.0.0/104')).toEqual(['10.0.0.0', '10.255.255.255', 'ipv4']);
    expect(bounds('::ffff:10.0.0.1-::ffff:a00:32')).toEqual(['10.0.0.1', '10.0.0.50', 'ipv4']);
    expect(bounds('::ffff:10.0.0.1 - 10.0.0.50')).toEqual(['10.0.0.1', '10.0.0.50', 'ipv4']);
  });

  it('refuses a range that starts after it ends', () => {
    expect(parseIpRange('10.0.0.50-10.0.0.1')).toBe(
      '"10.0.0.50-10.0.0.1" starts after it ends (10.0.0.50 is above 10.0.0.1)',
    );
    expect(parseIpRange('2001:db8::ff - 2001:db8::1')).toBe(
      '"2001:db8::ff - 2001:db8::1" starts after it ends (2001:db8::ff is above 2001:db8::1)',
    );
  });

  it('refuses mixed families, counting mapped endpoints as IPv4', () => {
    const message = (text: string) =>
      `"${text}" mixes IPv4 and IPv6 (IPv4-mapped IPv6 such as ::ffff:1.2.3.4 counts as IPv4)`;
    for (const text of ['10.0.0.1-2001:db8::1', '2001:db8::1-10.0.0.1', '::1-::ffff:1.2.3.4']) {
      expect(parseIpRange(text), text).toBe(message(text));
    }
  });

  it('refuses non-strict IPv4 forms in every position', () => {
    expect(parseIpRange('0x0a.0.0.1')).toBe(
      '"0x0a.0.0.1" is not an IP address or CIDR block (IPv4 must be four decimal parts)',
    );
    expect(parseIpRange('010.0.0.0/8')).toBe(
      '"010.0.0.0/8" is not an IP address or CIDR block (IPv4 must be four decimal parts)',
    );
    expect(parseIpRange('10.1-10.0.0.50')).toBe(
      'range start "10.1" in "10.1-10.0.0.50" is not an IP address (IPv4 must be four decimal parts)',
    );
    expect(parseIpRange('10.0.0.1-167772210')).toBe(
      'range end "167772210" in "10.0.0.1-167772210" is not an IP address (IPv4 must be four decimal parts)',
    );
    expect(parseIpRange('10.0.0.1 - 10.0.0.050')).toBe(
      'range end "10.0.0.050" in "10.0.0.1 - 10.0.0.050" is not an IP address (IPv4 must be four decimal parts)',
    );
  });

  it('refuses bad prefixes', () => {
    expect(parseIpRange('10.0.0.0/33')).toBe('invalid IPv4 prefix length in "10.0.0.0/33" (0 to 32)');
    expect(parseIpRange('10.0.0.0/08')).toBe('invalid IPv4 prefix length in "10.0.0.0/08" (0 to 32)');
    expect(parseIpRange('10.0.0.0/')).toBe('invalid IPv4 prefix length in "10.0.0.0/" (0 to 32)');
    expect(parseIpRange('2001:db8::/129')).toBe('invalid IPv6 prefix length in "2001:db8::/129" (0 to 128)');
  });

  it('refuses malformed ranges', () => {
    const shape = (text: string) => `"${text}" is not an IP range (write a start and an end address joined by one "-")`;
    for (const text of [
      '10.0.0.1-',
      '-10.0.0.1',
      '10.0.0.1--10.0.0.5',
      '10.0.0.1-10.0.0.5-10.0.0.9',
      ' 10.0.0.1-10.0.0.5',
    ]) {
      expect(parseIpRange(text), text).toBe(shape(text));
    }
    expect(parseIpRange('10.0.0.0/8-10.1.0.0')).toBe(
      '"10.0.0.0/8-10.1.0.0" mixes a CIDR block into a start-end range (write either one block or two addresses)',
    );
    expect(parseIpRange('fe80::1%eth0')).toBe(
      '"fe80::1%eth0" is not an IP address or CIDR block (IPv4 must be four decimal parts)',
    );
    expect(parseIpRange('')).toBe('"" is not an IP address or CIDR block (IPv4 must be four decimal parts)');
  });
});

describe('IpRangeSet', () => {
  it('contains nothing when empty', () => {
    const set = IpRangeSet.compile([]);
    expect(set.size).toBe(0);
    for (const text of ['0.0.0.0', '255.255.255.255', '::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '10.0.0.1']) {
      expect(set.has(address(text)), text).toBe(false);
    }
  });

  it('includes both ends of a range and nothing one past them', () => {
    const set = compile('10.0.0.10-10.0.0.20', '2001:db8::10 - 2001:db8::20', '192.0.2.0/24');
    expect(set.has(address('10.0.0.9'))).toBe(false);
    expect(set.has(address('10.0.0.10'))).toBe(true);
    expect(set.has(address('10.0.0.15'))).toBe(true);
    expect(set.has(address('10.0.0.20'))).toBe(true);
    expect(set.has(address('10.0.0.21'))).toBe(false);
    expect(set.has(address('192.0.1.255'))).toBe(false);
    expect(set.has(address('192.0.2.0'))).toBe(true);
    expect(set.has(address('192.0.2.255'))).toBe(true);
    expect(set.has(address('192.0.3.0'))).toBe(false);
    expect(set.has(address('2001:db8::f'))).toBe(false);
    expect(set.has(address('2001:db8::10'))).toBe(true);
    expect(set.has(address('2001:db8::20'))).toBe(true);
    expect(set.has(address('2001:db8::21'))).toBe(false);
  });

  it('handles the extremes of both address spaces', () => {
    const set = compile('0.0.0.0', '255.255.255.255', '::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    expect(set.size).toBe(4);
    expect(set.has(address('0.0.0.0'))).toBe(true);
    expect(set.has(address('0.0.0.1'))).toBe(false);
    expect(set.has(address('255.255.255.254'))).toBe(false);
    expect(set.has(address('255.255.255.255'))).toBe(true);
    expect(set.has(address('::'))).toBe(true);
    expect(set.has(address('::1'))).toBe(false);
    expect(set.has(address('ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe'))).toBe(false);
    expect(set.has(address('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'))).toBe(true);
    const all = compile('0.0.0.0/0', '::/0');
    expect(all.size).toBe(2);
    expect(all.has(address('128.0.0.0'))).toBe(true);
    expect(all.has(address('8000::'))).toBe(true);
  });

  it('merges overlapping, nested, adjacent and duplicate ranges but not ranges with a gap', () => {
    expect(compile('10.0.0.0-10.0.0.10', '10.0.0.5-10.0.0.20').size).toBe(1);
    expect(compile('10.0.0.0/8', '10.1.0.0/16', '10.0.0.0/8').size).toBe(1);
    expect(compile('10.0.0.0-10.0.0.9', '10.0.0.10-10.0.0.19').size).toBe(1);
    expect(compile('10.0.0.10-10.0.0.19', '10.0.0.0-10.0.0.9').size).toBe(1);
    expect(compile('10.0.0.0-10.0.0.9', '10.0.0.11-10.0.0.19').size).toBe(2);
    expect(compile('2001:db8::-2001:db8::ffff', '2001:db8::1:0 - 2001:db8::1:ffff').size).toBe(1);
    expect(compile('2001:db8::/64', '2001:db8:0:1::/64').size).toBe(1);
    expect(compile('2001:db8::/64', '2001:db8:0:2::/64').size).toBe(2);
    // Adjacent across a 32-bit word boundary of the IPv6 representation.
    expect(compile('::ffff:ffff:ffff:fffe - ::ffff:ffff:ffff:ffff', '0:0:0:1::').size).toBe(1);

    const gap = compile('10.0.0.0-10.0.0.9', '10.0.0.11-10.0.0.19', '10.0.0.5-10.0.0.7');
    expect(gap.size).toBe(2);
    expect(gap.has(address('10.0.0.10'))).toBe(false);
    expect(gap.has(address('10.0.0.11'))).toBe(true);
    // Only the last word is one higher; the leading words differ, so these are far apart.
    const apart = compile('2001:db8::-2001:db8::5', '2001:db9::6');
    expect(apart.size).toBe(2);
    expect(apart.has(address('2001:db8::6'))).toBe(false);
    expect(apart.has(address('2001:db8:1::'))).toBe(false);
    const gap6 = compile('2001:db8::-2001:db8::9', '2001:db8::b-2001:db8::13');
    expect(gap6.size).toBe(2);
    expect(gap6.has(address('2001:db8::a'))).toBe(false);
  });

  it('keeps IPv4 and IPv6 apart', () => {
    const set = compile('0.0.0.0/0');
    expect(set.has(address('::1'))).toBe(false);
    expect(set.has(address('::a00:1'))).toBe(false); // IPv4-compatible, not mapped: an IPv6 address
    expect(set.has(address('2001:db8::'))).toBe(false);
    const v6 = compile('::/0');
    expect(v6.has(address('10.0.0.1'))).toBe(false);
    expect(v6.size).toBe(1);
    expect(compile('0.0.0.0/0', '::/0').size).toBe(2);
  });

  it('matches IPv4-mapped IPv6 exactly like IPv4 (regression for the CVE-2026-30827 bug class)', () => {
    // express-rate-limit treated ::ffff:a.b.c.d as a different client from a.b.c.d; here both spellings
    // must land in the same IPv4 range, whichever way the range is written.
    for (const set of [compile('10.0.0.0/8'), compile('10.0.0.0-10.255.255.255'), compile('::ffff:10.0.0.0/104')]) {
      for (const inside of ['10.1.2.3', '::ffff:10.1.2.3', '::ffff:a01:203', '0:0:0:0:0:ffff:0a01:0203']) {
        expect(set.has(address(inside)), inside).toBe(true);
      }
      for (const outside of ['11.0.0.1', '::ffff:11.0.0.1', '::ffff:b00:1', '9.255.255.255', '::ffff:9.255.255.255']) {
        expect(set.has(address(outside)), outside).toBe(false);
      }
    }
  });

  it('treats mapped address objects not built by parseIp as IPv4 too', () => {
    const set = compile('10.0.0.0/8');
    expect(set.has(ipaddr.IPv6.parse('::ffff:10.1.2.3'))).toBe(true);
    expect(set.has(ipaddr.IPv6.parse('::ffff:11.0.0.1'))).toBe(false);
    const mapped = IpRangeSet.compile([
      { first: ipaddr.IPv6.parse('::ffff:10.0.0.0'), last: ipaddr.IPv6.parse('::ffff:10.0.0.255') },
    ]);
    expect(mapped.has(address('10.0.0.255'))).toBe(true);
    expect(mapped.has(address('10.0.1.0'))).toBe(false);
  });

  it('never matches mapped addresses against an IPv6 range that spans the mapped block', () => {
    // A mapped address is an IPv4 client; only IPv4 ranges can trust it.
    const set = compile('::/64');
    expect(set.has(address('::1'))).toBe(true);
    expect(set.has(address('::ffff:10.1.2.3'))).toBe(false);
  });

  it('rejects hand-built ranges that mix families or run backwards', () => {
    expect(() => IpRangeSet.compile([{ first: address('10.0.0.1'), last: address('::1') }])).toThrow(RangeError);
    expect(() => IpRangeSet.compile([{ first: address('10.0.0.2'), last: address('10.0.0.1') }])).toThrow(
      'IP range 10.0.0.2-10.0.0.1 starts after it ends',
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties: `has` agrees with a linear scan over BigInt intervals computed independently from the range text.

const V4_MAX = (1n << 32n) - 1n;
const V6_MAX = (1n << 128n) - 1n;
const MAPPED = 0xffffn << 32n;

type Family = 'v4' | 'v6';

/** What the reference model knows about one range: family and inclusive BigInt bounds. */
interface RefRange {
  family: Family;
  low: bigint;
  high: bigint;
}

interface RefAddress {
  family: Family;
  value: bigint;
}

function v4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

function v6Text(value: bigint): string {
  return [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16)).join(':');
}

/** Spellings of an IPv4 address that must all mean the same client. */
function v4Spelling(value: bigint, style: number): string {
  switch (style % 4) {
    case 1:
      return `::ffff:${v4Text(value)}`;
    case 2:
      return `::ffff:${((value >> 16n) & 0xffffn).toString(16)}:${(value & 0xffffn).toString(16)}`;
    case 3:
      return v6Text(MAPPED | value);
    default:
      return v4Text(value);
  }
}

function isMapped(value: bigint): boolean {
  return value >> 32n === 0xffffn;
}

const DOC = 0x20010db8n << 96n;

/**
 * Values clustered in a few narrow windows (so ranges overlap, touch and nest often), plus the
 * extremes and fully random values. IPv6 windows sit on every 32-bit word boundary, and some values
 * share their leading words, so each word of the lookup comparison decides some outcomes.
 */
function valueArb(family: Family): fc.Arbitrary<bigint> {
  if (family === 'v4') {
    const clustered = fc
      .tuple(fc.constantFrom(0n, 0x0a000000n, 0xc0000200n, 0xffffff00n), fc.bigInt(0n, 0x3ffn))
      .map(([base, offset]) => (base + offset > V4_MAX ? V4_MAX : base + offset));
    return fc.oneof(clustered, clustered, fc.bigInt(0n, V4_MAX));
  }
  const bases = [
    0n,
    DOC,
    DOC + (1n << 96n),
    DOC | (0xffffffffn << 64n),
    DOC | (0xffffffffn << 32n),
    DOC | 0xfffffc00n,
    V6_MAX - 0x3ffn,
  ];
  const clustered = fc
    .tuple(fc.constantFrom(...bases), fc.bigInt(0n, 0x3ffn))
    .map(([base, offset]) => (base + offset > V6_MAX ? V6_MAX : base + offset));
  // The leading 32, 64 or 96 bits of one fixed address, the rest random.
  const shared = DOC | (0x12345678n << 64n) | (0x9abcdef0n << 32n);
  const sharedPrefix = fc.tuple(fc.constantFrom(32n, 64n, 96n), fc.bigInt(0n, V6_MAX)).map(([keep, random]) => {
    const lowMask = (1n << (128n - keep)) - 1n;
    return (shared & ~lowMask) | (random & lowMask);
  });
  const value = fc.oneof(clustered, clustered, sharedPrefix, fc.bigInt(0n, V6_MAX));
  // IPv6 values inside ::ffff:0:0/96 are IPv4 clients; keep the IPv6 model free of them.
  return value.filter((candidate) => !isMapped(candidate));
}

interface RangeCase {
  text: string;
  ref: RefRange;
}

function rangeArb(family: Family): fc.Arbitrary<RangeCase> {
  const bits = family === 'v4' ? 32 : 128;
  const width = BigInt(bits);
  const text = (value: bigint, style: number) => (family === 'v4' ? v4Spelling(value, style) : v6Text(value));
  const cidr = fc
    .tuple(valueArb(family), fc.integer({ min: Math.max(0, bits - 24), max: bits }), fc.nat(3), fc.nat(7))
    .map(([value, prefix, style, shortPrefix]): RangeCase => {
      // Mostly long prefixes (small blocks near the clusters), sometimes short ones.
      const length = shortPrefix === 0 ? prefix - (bits - 24) : prefix;
      const hostMask = (1n << (width - BigInt(length))) - 1n;
      const low = value & ~hostMask;
      const written =
        family === 'v4' && style % 2 === 1 ? `::ffff:${v4Text(value)}/${length + 96}` : `${text(value, 0)}/${length}`;
      return { text: written, ref: { family, low, high: low | hostMask } };
    });
  const span = fc
    .tuple(valueArb(family), valueArb(family), fc.nat(3), fc.nat(3), fc.constantFrom('-', ' - ', '–', ' – '))
    .map(([a, b, styleA, styleB, separator]): RangeCase => {
      const [low, high] = a < b ? [a, b] : [b, a];
      return { text: `${text(low, styleA)}${separator}${text(high, styleB)}`, ref: { family, low, high } };
    });
  const single = fc
    .tuple(valueArb(family), fc.nat(3))
    .map(([value, style]): RangeCase => ({ text: text(value, style), ref: { family, low: value, high: value } }));
  return fc.oneof(cidr, span, single);
}

/**
 * Gaps between a range and a neighbour: none (touching), one or two addresses, or a whole IPv6
 * word, so the neighbour's low words read as "one past" the range although its high words differ.
 */
const gapArb = fc.oneof(fc.bigInt(0n, 2n), fc.constantFrom(1n << 32n, 1n << 64n, 1n << 96n));

/**
 * Random ranges, plus neighbours placed right after some of them, since off-by-one merging only
 * shows when intervals nearly meet.
 */
const rangesArb: fc.Arbitrary<RangeCase[]> = fc
  .array(fc.oneof(rangeArb('v4'), rangeArb('v6')), { maxLength: 30 })
  .chain((cases) =>
    fc
      .array(fc.tuple(fc.nat(), gapArb, fc.bigInt(0n, 3n), fc.nat(3)), { maxLength: cases.length })
      .map((neighbours) => {
        const extra: RangeCase[] = [];
        for (const [index, gap, width, style] of neighbours) {
          const target = cases[index % cases.length]?.ref;
          if (target === undefined) continue;
          const max = target.family === 'v4' ? V4_MAX : V6_MAX;
          const low = target.high + 1n + gap;
          const high = low + width;
          if (high > max || (target.family === 'v6' && (isMapped(low) || isMapped(high)))) continue;
          const text = (value: bigint) => (target.family === 'v4' ? v4Spelling(value, style) : v6Text(value));
          extra.push({ text: `${text(low)}-${text(high)}`, ref: { family: target.family, low, high } });
        }
        return [...cases, ...extra];
      }),
  );

/** A probe either anywhere near the clusters, or right at / next to a boundary of one of the ranges. */
type Probe =
  | { kind: 'free'; address: RefAddress; style: number }
  | { kind: 'edge'; index: number; edge: number; style: number };

const probeArb: fc.Arbitrary<Probe> = fc.oneof(
  fc
    .tuple(fc.constantFrom<Family>('v4', 'v6'), fc.nat(3))
    .chain(([family, style]) =>
      valueArb(family).map((value): Probe => ({ kind: 'free', address: { family, value }, style })),
    ),
  fc
    .tuple(fc.nat(), fc.integer({ min: 0, max: 5 }), fc.nat(3))
    .map(([index, edge, style]): Probe => ({ kind: 'edge', index, edge, style })),
);

function resolveProbe(probe: Probe, ranges: readonly RefRange[]): RefAddress | undefined {
  if (probe.kind === 'free') return probe.address;
  const target = ranges[probe.index % Math.max(1, ranges.length)];
  if (target === undefined) return undefined;
  const max = target.family === 'v4' ? V4_MAX : V6_MAX;
  const value = [target.low - 1n, target.low, target.low + 1n, target.high - 1n, target.high, target.high + 1n][
    probe.edge
  ];
  if (value === undefined || value < 0n || value > max) return undefined;
  if (target.family === 'v6' && isMapped(value)) return undefined;
  return { family: target.family, value };
}

function probeText(probe: RefAddress, style: number): string {
  return probe.family === 'v4' ? v4Spelling(probe.value, style) : v6Text(probe.value);
}

function referenceHas(ranges: readonly RefRange[], probe: RefAddress): boolean {
  return ranges.some((r) => r.family === probe.family && r.low <= probe.value && probe.value <= r.high);
}

function referenceMergedCount(ranges: readonly RefRange[]): number {
  let count = 0;
  for (const family of ['v4', 'v6'] as const) {
    const sorted = ranges
      .filter((r) => r.family === family)
      .sort((a, b) => (a.low < b.low ? -1 : a.low > b.low ? 1 : 0));
    let end: bigint | undefined;
    for (const r of sorted) {
      if (end !== undefined && r.low <= end + 1n) {
        if (r.high > end) end = r.high;
      } else {
        count += 1;
        end = r.high;
      }
    }
  }
  return count;
}

function toBigInt(parsed: IpAddress): bigint {
  return parsed.toByteArray().reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
}

describe('IpRangeSet properties', () => {
  it('parses every generated range to the bounds the model expects', () => {
    fc.assert(
      fc.property(fc.oneof(rangeArb('v4'), rangeArb('v6')), ({ text, ref }) => {
        const parsed = range(text);
        expect(parsed.first.kind()).toBe(ref.family === 'v4' ? 'ipv4' : 'ipv6');
        expect(parsed.last.kind()).toBe(parsed.first.kind());
        expect(toBigInt(parsed.first)).toBe(ref.low);
        expect(toBigInt(parsed.last)).toBe(ref.high);
      }),
      { numRuns: 500 },
    );
  });

  it('has() agrees with a linear scan, including at and next to every boundary', () => {
    fc.assert(
      fc.property(rangesArb, fc.array(probeArb, { minLength: 1, maxLength: 60 }), (cases, probes) => {
        const refs = cases.map((c) => c.ref);
        const set = IpRangeSet.compile(cases.map((c) => range(c.text)));
        expect(set.size).toBe(referenceMergedCount(refs));
        for (const probe of probes) {
          const resolved = resolveProbe(probe, refs);
          if (resolved === undefined) continue;
          const text = probeText(resolved, probe.style);
          expect(set.has(address(text)), `${text} in [${cases.map((c) => c.text).join(', ')}]`).toBe(
            referenceHas(refs, resolved),
          );
        }
      }),
      { numRuns: 400 },
    );
  });

  it('gives the same answer whatever order the ranges are listed in', () => {
    fc.assert(
      fc.property(
        rangesArb.chain((cases) =>
          fc.tuple(fc.constant(cases), fc.shuffledSubarray(cases, { minLength: cases.length })),
        ),
        fc.array(probeArb, { maxLength: 30 }),
        ([cases, shuffled], probes) => {
          const a = IpRangeSet.compile(cases.map((c) => range(c.text)));
          const b = IpRangeSet.compile(shuffled.map((c) => range(c.text)));
          expect(b.size).toBe(a.size);
          const refs = cases.map((c) => c.ref);
          for (const probe of probes) {
            const resolved = resolveProbe(probe, refs);
            if (resolved === undefined) continue;
            const parsed = address(probeText(resolved, probe.style));
            expect(b.has(parsed)).toBe(a.has(parsed));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
