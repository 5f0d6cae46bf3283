import { describe, expect, it } from 'vitest';
import { addressPartition, hashPartition } from '../../src/ratelimit/consumer-key';

describe('consumer partitions', () => {
  it('keys IPv6 by prefix and IPv4-mapped addresses as IPv4', () => {
    expect(addressPartition('2001:db8:1:2:aaaa::1', 64)).toBe(addressPartition('2001:db8:1:2:ffff::9', 64));
    expect(addressPartition('2001:db8:1:2::1', 64)).not.toBe(addressPartition('2001:db8:1:3::1', 64));
    expect(addressPartition('2001:db8:1:2::1', 48)).toBe(addressPartition('2001:db8:1:3::1', 48));
    expect(addressPartition('::ffff:192.0.2.1', 64)).toBe('192.0.2.1');
    expect(addressPartition('192.0.2.1', 64)).toBe('192.0.2.1');
  });

  it('hashes partitions deterministically per secret, never echoing them', () => {
    const a = hashPartition('secret', 'ip:192.0.2.1');
    expect(a).toBe(hashPartition('secret', 'ip:192.0.2.1'));
    expect(a).not.toBe(hashPartition('other', 'ip:192.0.2.1'));
    expect(a).not.toContain('192');
  });
});
