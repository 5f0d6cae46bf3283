import { type IpAddress, parseIp } from '../../packages/core/src/net/ip';
import { type IpRange, IpRangeSet, parseIpRange } from '../../packages/core/src/net/ip-range-set';
import { microbench } from '../microbench';
import type { BenchSuite } from '../suite';

const RANGES = 10_000;
/** Distinct probe addresses per lookup row, cycled so one cached path does not flatter the result. */
const PROBES = 1024;

/** mulberry32: a small seeded PRNG so every run measures the same sets and probes. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function v4Text(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

function v6Text(value: bigint): string {
  const parts: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(((value >> shift) & 0xffffn).toString(16));
  return parts.join(':');
}

function parsed(text: string): IpRange {
  const range = parseIpRange(text);
  if (typeof range === 'string') throw new Error(range);
  return range;
}

function address(text: string): IpAddress {
  const result = parseIp(text);
  if (result === undefined) throw new Error(`bad address ${text}`);
  return result;
}

/** Ranges of one family, addresses inside them, and random addresses to pick misses from. */
interface Workload {
  ranges: IpRange[];
  hits: IpAddress[];
  candidates: IpAddress[];
}

/**
 * 10,000 IPv4 ranges spread over the whole space: half CIDR blocks (/20 to /32), half start–end
 * ranges of up to 4,096 addresses. Hits are the middle of random ranges; misses are random
 * addresses checked against the compiled set to lie outside every range.
 */
function ipv4Workload(random: () => number): Workload {
  const ranges: IpRange[] = [];
  const hits: IpAddress[] = [];
  for (let index = 0; index < RANGES; index += 1) {
    const start = random();
    if (index % 2 === 0) {
      const prefix = 20 + (random() % 13);
      const size = 2 ** (32 - prefix);
      const network = start - (start % size);
      ranges.push(parsed(`${v4Text(network)}/${prefix}`));
      if (hits.length < PROBES) hits.push(address(v4Text(network + Math.floor(size / 2))));
    } else {
      const end = Math.min(0xffffffff, start + (random() % 4096));
      ranges.push(parsed(`${v4Text(start)}-${v4Text(end)}`));
      if (hits.length < PROBES) hits.push(address(v4Text(start + Math.floor((end - start) / 2))));
    }
  }
  const candidates: IpAddress[] = [];
  while (candidates.length < PROBES * 2) candidates.push(address(v4Text(random())));
  return { ranges, hits, candidates };
}

/**
 * 10,000 IPv6 ranges at random places in 2000::/3: blocks (/48 to /128) and start–end ranges of up
 * to 2^64 addresses. Hits are inside random ranges; misses as for IPv4.
 */
function ipv6Workload(random: () => number): Workload {
  const word = () => BigInt(random());
  const randomAddress = () =>
    (((word() & 0x1fffffffn) | 0x20000000n) << 96n) | (word() << 64n) | (word() << 32n) | word();
  const ranges: IpRange[] = [];
  const hits: IpAddress[] = [];
  for (let index = 0; index < RANGES; index += 1) {
    const start = randomAddress();
    if (index % 2 === 0) {
      const prefix = 48 + (random() % 81);
      const hostMask = (1n << BigInt(128 - prefix)) - 1n;
      const network = start & ~hostMask;
      ranges.push(parsed(`${v6Text(network)}/${prefix}`));
      if (hits.length < PROBES) hits.push(address(v6Text(network | (hostMask >> 1n))));
    } else {
      const end = start + (word() << 32n);
      ranges.push(parsed(`${v6Text(start)} - ${v6Text(end)}`));
      if (hits.length < PROBES) hits.push(address(v6Text(start + (end - start) / 2n)));
    }
  }
  const candidates: IpAddress[] = [];
  while (candidates.length < PROBES * 2) candidates.push(address(v6Text(randomAddress())));
  return { ranges, hits, candidates };
}

function cycle(set: IpRangeSet, probes: readonly IpAddress[], expected: boolean): () => boolean {
  let next = 0;
  return () => {
    const probe = probes[next] ?? probes[0];
    next = (next + 1) % probes.length;
    const found = probe !== undefined && set.has(probe);
    if (found !== expected) throw new Error('benchmark probe returned the wrong answer');
    return found;
  };
}

async function run(): Promise<string> {
  const random = prng(0x5eed);
  const v4 = ipv4Workload(random);
  const v6 = ipv6Workload(random);
  const v4Set = IpRangeSet.compile(v4.ranges);
  const v6Set = IpRangeSet.compile(v6.ranges);
  const v4Misses = v4.candidates.filter((candidate) => !v4Set.has(candidate)).slice(0, PROBES);
  const v6Misses = v6.candidates.filter((candidate) => !v6Set.has(candidate)).slice(0, PROBES);

  const table = await microbench([
    { name: `compile ${RANGES.toLocaleString('en-US')} IPv4 ranges`, fn: () => IpRangeSet.compile(v4.ranges) },
    { name: `compile ${RANGES.toLocaleString('en-US')} IPv6 ranges`, fn: () => IpRangeSet.compile(v6.ranges) },
    { name: 'has() IPv4 hit', fn: cycle(v4Set, v4.hits, true) },
    { name: 'has() IPv4 miss', fn: cycle(v4Set, v4Misses, false) },
    { name: 'has() IPv6 hit', fn: cycle(v6Set, v6.hits, true) },
    { name: 'has() IPv6 miss', fn: cycle(v6Set, v6Misses, false) },
    { name: 'empty operation (harness overhead)', fn: () => undefined },
  ]);
  const setup =
    `Sets built from ${RANGES.toLocaleString('en-US')} seeded random IPv4 ranges (${v4Set.size.toLocaleString('en-US')} ` +
    `intervals after merging) and ${RANGES.toLocaleString('en-US')} IPv6 ranges (${v6Set.size.toLocaleString('en-US')} ` +
    `intervals), half CIDR blocks and half start–end ranges; each lookup row cycles through ${PROBES} pre-parsed ` +
    'addresses (parsing excluded) and includes the harness overhead shown in the last row; each compile row ' +
    'sorts and merges the already-parsed ranges once per operation.';
  return `${table}\n\n${setup}`;
}

/** Lookup and compile cost of {@link IpRangeSet} at 10,000 ranges per family. */
export const ipRangesSuite: BenchSuite = { id: 'ip-ranges', title: 'IP range lookup', run };
