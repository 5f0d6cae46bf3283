import ipaddr from 'ipaddr.js';

/** A parsed IP address, IPv4-mapped IPv6 already folded to IPv4. */
export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

const dottedQuad = /^(?:0|[1-9]\d{0,2})(?:\.(?:0|[1-9]\d{0,2})){3}$/;

/**
 * Parses an IP address strictly: IPv4 only as four decimal parts without leading zeros (no hex,
 * octal or short forms, which other parsers read differently), IPv6 in any RFC 4291 text form
 * without a zone. IPv4-mapped IPv6 (`::ffff:1.2.3.4`, `::ffff:102:304`) is folded to IPv4 by its
 * bit range, so one address has one identity whatever its spelling.
 * @param text - the address as written
 * @returns the address, or `undefined` when the text is not an address in these forms
 */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    if (text.includes('%') || !ipaddr.IPv6.isValid(text)) return undefined;
    const v6 = ipaddr.IPv6.parse(text);
    return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
  }
  if (!dottedQuad.test(text)) return undefined;
  const octets = text.split('.').map(Number);
  return octets.every((octet) => octet <= 255) ? new ipaddr.IPv4(octets) : undefined;
}

/**
 * Canonical text of an address: dotted quad for IPv4 (mapped IPv6 included), RFC 5952 for IPv6.
 * @param address - a parsed address
 */
export function formatIp(address: IpAddress): string {
  return address.kind() === 'ipv4' ? address.toString() : (address as ipaddr.IPv6).toRFC5952String();
}

/**
 * Reads the address a socket reports, which may carry a zone (`fe80::1%eth0`) or be IPv4-mapped.
 * @param text - `socket.remoteAddress`
 * @returns the parsed address, or `undefined` for a missing or unreadable one
 */
export function parseSocketAddress(text: string | undefined): IpAddress | undefined {
  if (text === undefined || text === '') return undefined;
  // Dual-stack sockets report IPv4 peers as `::ffff:a.b.c.d`: read those without the IPv6 parser.
  if (text.startsWith('::ffff:') && dottedQuad.test(text.slice(7))) return parseIp(text.slice(7));
  const zone = text.indexOf('%');
  return parseIp(zone === -1 ? text : text.slice(0, zone));
}

/**
 * The canonical text of a socket's peer address, as {@link formatIp} would give it, without building
 * an address object for the common IPv4 and IPv4-mapped forms. Unreadable text is returned as is.
 * @param text - `socket.remoteAddress`
 */
export function canonicalSocketAddress(text: string | undefined): string {
  if (text === undefined) return '';
  const v4 = text.startsWith('::ffff:') ? text.slice(7) : text;
  if (dottedQuad.test(v4) && v4.split('.').every((octet) => Number(octet) <= 255)) return v4;
  const address = parseSocketAddress(text);
  return address === undefined ? text : formatIp(address);
}

/** A CIDR block: a network address and a prefix length in bits. */
export interface IpBlock {
  readonly address: IpAddress;
  readonly prefix: number;
}

/**
 * Parses one address or CIDR block (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`) strictly.
 * An IPv4-mapped IPv6 block (`::ffff:10.0.0.0/104`) is folded to its IPv4 block.
 * @param text - the block as written in config
 * @returns the block, or a message saying why it was refused
 */
export function parseIpBlock(text: string): IpBlock | string {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? undefined : text.slice(slash + 1);
  if (addressText.includes(':') && !addressText.includes('%') && ipaddr.IPv6.isValid(addressText)) {
    const v6 = ipaddr.IPv6.parse(addressText);
    const prefix = prefixText === undefined ? 128 : parsePrefix(prefixText, 128);
    if (prefix === undefined) return `invalid IPv6 prefix length in "${text}" (0 to 128)`;
    if (v6.isIPv4MappedAddress() && prefix >= 96) return { address: v6.toIPv4Address(), prefix: prefix - 96 };
    return { address: v6, prefix };
  }
  const address = parseIp(addressText);
  if (address === undefined) {
    return `"${text}" is not an IP address or CIDR block (IPv4 must be four decimal parts)`;
  }
  const prefix = prefixText === undefined ? 32 : parsePrefix(prefixText, 32);
  if (prefix === undefined) return `invalid IPv4 prefix length in "${text}" (0 to 32)`;
  return { address, prefix };
}

function parsePrefix(text: string, max: number): number | undefined {
  if (!/^(?:0|[1-9]\d{0,2})$/.test(text)) return undefined;
  const value = Number(text);
  return value <= max ? value : undefined;
}

/**
 * Tells whether an address lies in a block of the same family.
 * @param address - a parsed address
 * @param block - a parsed block
 */
export function blockContains(block: IpBlock, address: IpAddress): boolean {
  if (block.address.kind() !== address.kind()) return false;
  return (address as ipaddr.IPv4).match(block.address as ipaddr.IPv4, block.prefix);
}
