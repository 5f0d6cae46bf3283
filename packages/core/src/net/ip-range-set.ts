import ipaddr from 'ipaddr.js';
import { formatIp, type IpAddress, type IpBlock, parseIp, parseIpBlock } from './ip';

/**
 * An inclusive interval of addresses of one family, the common form of a single address, a CIDR
 * block and a start–end range, so config can mix all three and they compile into one set.
 */
export interface IpRange {
  /** Lowest address in the range. */
  readonly first: IpAddress;
  /** Highest address in the range (inclusive), same family as `first`, never below it. */
  readonly last: IpAddress;
}

/** Start–end form: two address-shaped endpoints around one hyphen or en dash, spaces allowed. */
const rangeShape = /^([^\s\-–]+)[ \t]*[-–][ \t]*([^\s\-–]+)$/;
const rangeSeparator = /[-–]/;

/**
 * Parses one trusted-range entry strictly: a single address (`192.0.2.7`), a CIDR block
 * (`10.0.0.0/8`, `2001:db8::/32`) or a start–end range (`10.0.0.1-10.0.0.50`,
 * `2001:db8::1 - 2001:db8::ff`, en dash accepted). IPv4 must be four decimal parts, and
 * IPv4-mapped IPv6 endpoints or blocks are folded to IPv4, so an entry covers the same clients
 * however it is spelt.
 * @param text - the entry as written in config
 * @returns the range, or a message quoting the entry and saying why it was refused
 */
export function parseIpRange(text: string): IpRange | string {
  if (!rangeSeparator.test(text)) {
    const block = parseIpBlock(text);
    return typeof block === 'string' ? block : blockRange(block);
  }
  const match = rangeShape.exec(text);
  if (match === null) {
    return `"${text}" is not an IP range (write a start and an end address joined by one "-")`;
  }
  const startText = match[1] ?? '';
  const endText = match[2] ?? '';
  if (startText.includes('/') || endText.includes('/')) {
    return `"${text}" mixes a CIDR block into a start-end range (write either one block or two addresses)`;
  }
  const first = parseIp(startText);
  if (first === undefined) {
    return `range start "${startText}" in "${text}" is not an IP address (IPv4 must be four decimal parts)`;
  }
  const last = parseIp(endText);
  if (last === undefined) {
    return `range end "${endText}" in "${text}" is not an IP address (IPv4 must be four decimal parts)`;
  }
  if (first.kind() !== last.kind()) {
    return `"${text}" mixes IPv4 and IPv6 (IPv4-mapped IPv6 such as ::ffff:1.2.3.4 counts as IPv4)`;
  }
  if (compareAddresses(first, last) > 0) {
    return `"${text}" starts after it ends (${formatIp(first)} is above ${formatIp(last)})`;
  }
  return { first, last };
}

/**
 * A compiled, immutable set of IP ranges for per-request trust checks. Compiling sorts and merges
 * the ranges once into typed arrays, so a lookup is a binary search over disjoint intervals
 * (O(log n), no allocation) however many ranges config lists. IPv4 and IPv6 are kept apart: an
 * address only matches intervals of its own family, and an IPv4-mapped IPv6 address counts as
 * IPv4, so the same client cannot slip past (or into) a range by changing spelling; an IPv6 range
 * that spans `::ffff:0:0/96` therefore trusts no IPv4 client.
 */
export class IpRangeSet {
  /** Number of disjoint intervals after merging overlapping and adjacent ranges (both families). */
  readonly size: number;

  private constructor(
    /** IPv4 interval starts, ascending. */
    private readonly v4Starts: Uint32Array,
    /** IPv4 interval ends (inclusive), parallel to `v4Starts`. */
    private readonly v4Ends: Uint32Array,
    /** IPv6 interval starts, four 32-bit words each (most significant first), ascending. */
    private readonly v6Starts: Uint32Array,
    /** IPv6 interval ends (inclusive), four words each, parallel to `v6Starts`. */
    private readonly v6Ends: Uint32Array,
  ) {
    this.size = v4Starts.length + v6Starts.length / 4;
  }

  /**
   * Compiles ranges into a set. Overlapping and adjacent ranges are merged; order and
   * duplicates do not matter. A range written with two IPv4-mapped IPv6 endpoints is treated as
   * the IPv4 range it denotes.
   * @param ranges - ranges, usually from {@link parseIpRange}
   * @throws RangeError when a range mixes families or starts after it ends (cannot come from
   *   {@link parseIpRange})
   */
  static compile(ranges: readonly IpRange[]): IpRangeSet {
    const v4Lows: number[] = [];
    const v4Highs: number[] = [];
    const v6Lows: number[] = [];
    const v6Highs: number[] = [];
    for (const { first, last } of ranges) {
      const low = 'octets' in first ? v4Value(first) : mappedV4Value(first.parts);
      const high = 'octets' in last ? v4Value(last) : mappedV4Value(last.parts);
      if (low !== undefined && high !== undefined) {
        if (low > high) throw backwards(first, last);
        v4Lows.push(low);
        v4Highs.push(high);
      } else if ('parts' in first && 'parts' in last) {
        const at = v6Lows.length;
        pushWords(v6Lows, first.parts);
        pushWords(v6Highs, last.parts);
        if (compareWords(v6Lows, at, v6Highs, at, 4) > 0) throw backwards(first, last);
      } else {
        throw new RangeError(`IP range ${formatIp(first)}-${formatIp(last)} mixes IPv4 and IPv6`);
      }
    }
    const [v4Starts, v4Ends] = mergeIntervals(v4Lows, v4Highs, 1);
    const [v6Starts, v6Ends] = mergeIntervals(v6Lows, v6Highs, 4);
    return new IpRangeSet(v4Starts, v4Ends, v6Starts, v6Ends);
  }

  /**
   * Tells whether an address lies in one of the ranges. An IPv6 address object that is
   * IPv4-mapped (built without {@link parseIp}) is still looked up as IPv4.
   * @param address - a parsed address
   */
  has(address: IpAddress): boolean {
    return 'octets' in address ? this.hasV4(v4Value(address)) : this.hasV6(address.parts);
  }

  // Both searches find the last interval starting at or below the address (only that one can hold
  // it) by halving a window whose base moves by arithmetic rather than a branch: with random client
  // addresses a branchy search mispredicts about every other step, and this form runs about twice as fast.

  private hasV4(value: number): boolean {
    const starts = this.v4Starts;
    let count = starts.length;
    if (count === 0) return false;
    let base = 0;
    while (count > 1) {
      const half = count >>> 1;
      base += half * Number((starts[base + half] ?? 0) <= value);
      count -= half;
    }
    return (starts[base] ?? 0) <= value && value <= (this.v4Ends[base] ?? 0);
  }

  private hasV6(parts: readonly number[]): boolean {
    const w0 = (parts[0] ?? 0) * 0x10000 + (parts[1] ?? 0);
    const w1 = (parts[2] ?? 0) * 0x10000 + (parts[3] ?? 0);
    const w2 = (parts[4] ?? 0) * 0x10000 + (parts[5] ?? 0);
    const w3 = (parts[6] ?? 0) * 0x10000 + (parts[7] ?? 0);
    if (w0 === 0 && w1 === 0 && w2 === 0xffff) return this.hasV4(w3);
    const starts = this.v6Starts;
    let count = starts.length >>> 2;
    if (count === 0) return false;
    let base = 0;
    while (count > 1) {
      const half = count >>> 1;
      base += half * Number(compareTo(starts, (base + half) << 2, w0, w1, w2, w3) <= 0);
      count -= half;
    }
    const at = base << 2;
    return compareTo(starts, at, w0, w1, w2, w3) <= 0 && compareTo(this.v6Ends, at, w0, w1, w2, w3) >= 0;
  }
}

/** IPv4 address as an unsigned 32-bit number. */
function v4Value(address: ipaddr.IPv4): number {
  const octets = address.octets;
  return (octets[0] ?? 0) * 0x1000000 + (((octets[1] ?? 0) << 16) | ((octets[2] ?? 0) << 8) | (octets[3] ?? 0));
}

/** The IPv4 value of an IPv4-mapped IPv6 address (`::ffff:0:0/96`), or `undefined` for any other. */
function mappedV4Value(parts: readonly number[]): number | undefined {
  for (let index = 0; index < 5; index += 1) if (parts[index] !== 0) return undefined;
  return parts[5] === 0xffff ? (parts[6] ?? 0) * 0x10000 + (parts[7] ?? 0) : undefined;
}

/** Appends an IPv6 address as four 32-bit words, most significant first. */
function pushWords(words: number[], parts: readonly number[]): void {
  for (let index = 0; index < 8; index += 2) words.push((parts[index] ?? 0) * 0x10000 + (parts[index + 1] ?? 0));
}

/** Compares two addresses of `width` words each, stored at `leftAt` and `rightAt`. */
function compareWords(
  left: ArrayLike<number>,
  leftAt: number,
  right: ArrayLike<number>,
  rightAt: number,
  width: number,
): number {
  for (let index = 0; index < width; index += 1) {
    const a = left[leftAt + index] ?? 0;
    const b = right[rightAt + index] ?? 0;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

/** Tells whether the address at `leftAt` is exactly one above the one at `rightAt`. */
function isSuccessor(
  left: ArrayLike<number>,
  leftAt: number,
  right: ArrayLike<number>,
  rightAt: number,
  width: number,
): boolean {
  // Adding one turns the trailing all-ones words of `right` to zero and carries into the next word.
  let index = width - 1;
  while (index >= 0 && right[rightAt + index] === 0xffffffff && left[leftAt + index] === 0) index -= 1;
  if (index < 0 || left[leftAt + index] !== (right[rightAt + index] ?? 0) + 1) return false;
  return compareWords(left, leftAt, right, rightAt, index) === 0;
}

/**
 * Sorts inclusive intervals (`width` words per address) and merges those that overlap or touch,
 * leaving disjoint intervals with gaps between them, so a binary search on starts finds the only
 * candidate.
 * @returns the merged starts and ends, ascending
 */
function mergeIntervals(lows: number[], highs: number[], width: number): [Uint32Array, Uint32Array] {
  const order = Array.from({ length: lows.length / width }, (_, index) => index * width);
  order.sort((left, right) => compareWords(lows, left, lows, right, width));
  const starts: number[] = [];
  const ends: number[] = [];
  for (const at of order) {
    const current = ends.length - width;
    if (
      current >= 0 &&
      (compareWords(lows, at, ends, current, width) <= 0 || isSuccessor(lows, at, ends, current, width))
    ) {
      if (compareWords(highs, at, ends, current, width) > 0) {
        for (let index = 0; index < width; index += 1) ends[current + index] = highs[at + index] ?? 0;
      }
    } else {
      for (let index = 0; index < width; index += 1) {
        starts.push(lows[at + index] ?? 0);
        ends.push(highs[at + index] ?? 0);
      }
    }
  }
  return [Uint32Array.from(starts), Uint32Array.from(ends)];
}

/** Compares the four words at `at` with the given words, most significant first (the lookup path). */
function compareTo(words: Uint32Array, at: number, w0: number, w1: number, w2: number, w3: number): number {
  const a = words[at] ?? 0;
  if (a !== w0) return a < w0 ? -1 : 1;
  const b = words[at + 1] ?? 0;
  if (b !== w1) return b < w1 ? -1 : 1;
  const c = words[at + 2] ?? 0;
  if (c !== w2) return c < w2 ? -1 : 1;
  const d = words[at + 3] ?? 0;
  return d === w3 ? 0 : d < w3 ? -1 : 1;
}

/** Orders two addresses of the same family. */
function compareAddresses(left: IpAddress, right: IpAddress): number {
  const a = left.toByteArray();
  const b = right.toByteArray();
  return compareWords(a, 0, b, 0, a.length);
}

function backwards(first: IpAddress, last: IpAddress): RangeError {
  return new RangeError(`IP range ${formatIp(first)}-${formatIp(last)} starts after it ends`);
}

/** Numeric value of an address: 32 bits for IPv4, 128 bits for IPv6. */
function toBigInt(address: IpAddress): bigint {
  let value = 0n;
  for (const byte of address.toByteArray()) value = (value << 8n) | BigInt(byte);
  return value;
}

function fromBigInt(value: bigint, kind: 'ipv4' | 'ipv6'): IpAddress {
  const bits = kind === 'ipv4' ? 8n : 16n;
  const count = kind === 'ipv4' ? 4 : 8;
  const mask = (1n << bits) - 1n;
  const pieces = Array.from(
    { length: count },
    (_, index) => Number((value >> (BigInt(count - 1 - index) * bits)) & mask) | 0,
  );
  return kind === 'ipv4' ? new ipaddr.IPv4(pieces) : new ipaddr.IPv6(pieces);
}

/** The addresses of a block; host bits set in the written address are ignored, as when matching. */
function blockRange(block: IpBlock): IpRange {
  const kind = block.address.kind();
  const hostBits = BigInt((kind === 'ipv4' ? 32 : 128) - block.prefix);
  const hostMask = (1n << hostBits) - 1n;
  const network = toBigInt(block.address) & ~hostMask;
  return { first: fromBigInt(network, kind), last: fromBigInt(network | hostMask, kind) };
}
