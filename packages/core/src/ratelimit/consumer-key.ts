import { createHmac } from 'node:crypto';
import type ipaddr from 'ipaddr.js';
import { parseIp } from '../net/ip';

/**
 * The rate-limit partition of a client address: IPv4 as is (mapped IPv6 already folded to IPv4),
 * IPv6 cut to its first `ipv6Prefix` bits, since one subscriber usually holds a whole /64.
 * @param clientIp - canonical client address
 * @param ipv6Prefix - prefix length kept for IPv6 (1–128)
 */
export function addressPartition(clientIp: string, ipv6Prefix: number): string {
  const address = parseIp(clientIp);
  if (address === undefined) return clientIp;
  if (address.kind() === 'ipv4') return address.toString();
  const bytes = (address as ipaddr.IPv6).toByteArray();
  for (let bit = ipv6Prefix; bit < 128; bit++) {
    const byte = bit >> 3;
    bytes[byte] = (bytes[byte] ?? 0) & ~(0x80 >> (bit & 7));
  }
  return `${Buffer.from(bytes).toString('hex')}/${ipv6Prefix}`;
}

/**
 * A keyed hash of a partition identifier, so counters and headers never carry a client address or
 * identity in clear. Deterministic for a given secret, so every gateway sharing a store computes the
 * same counter key.
 * @param key - the configured partition secret
 * @param partition - the identifier
 */
export function hashPartition(key: string, partition: string): string {
  return createHmac('sha256', key).update(partition, 'utf8').digest('base64url').slice(0, 22);
}
