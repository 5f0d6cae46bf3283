import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeStateKey, StateSealer } from '../../src/sideband-api/state-seal';

describe('state sealing', () => {
  const key = randomBytes(32);
  const sealer = new StateSealer(key);
  const value = { s: { id: 'e-1', identity: 'ann' } };

  it('opens what it sealed within the TTL, with a fresh IV each time', () => {
    const now = Date.now();
    const one = sealer.seal(value, now);
    expect(sealer.open(one, 1000, now + 999)).toEqual(value);
    expect(sealer.seal(value, now)).not.toBe(one);
    expect(one).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(one, 'base64url').toString('latin1')).not.toContain('ann');
  });

  it('never repeats an IV, within one sealer or between two under the same key', () => {
    const other = new StateSealer(key);
    const ivs = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      for (const s of [sealer, other])
        ivs.add(Buffer.from(s.seal(value, 0), 'base64url').subarray(1, 13).toString('hex'));
    }
    expect(ivs.size).toBe(4000);
  });

  it('refuses expired, future, tampered, foreign, truncated and oversized text', () => {
    const now = Date.now();
    const sealed = sealer.seal(value, now);
    expect(sealer.open(sealed, 1000, now + 1001)).toBeUndefined();
    expect(sealer.open(sealer.seal(value, now + 61_000), 1000, now)).toBeUndefined();
    expect(sealer.open(sealer.seal(value, now + 59_000), 1000, now)).toEqual(value); // tolerated skew
    const bytes = Buffer.from(sealed, 'base64url');
    for (let i = 0; i < bytes.length; i += 7) {
      const flipped = Buffer.from(bytes);
      flipped[i] = (flipped[i] as number) ^ 0x40;
      expect(sealer.open(flipped.toString('base64url'), 1000, now)).toBeUndefined();
    }
    expect(new StateSealer(randomBytes(32)).open(sealed, 1000, now)).toBeUndefined();
    expect(sealer.open(sealed.slice(0, 20), 1000, now)).toBeUndefined();
    expect(sealer.open('', 1000, now)).toBeUndefined();
    expect(sealer.open('a'.repeat(20_000), 1000, now)).toBeUndefined();
    expect(sealer.open('not base64!', 1000, now)).toBeUndefined();
  });

  it('reads 32-byte keys in base64 or base64url only', () => {
    const raw = randomBytes(32);
    expect(decodeStateKey(raw.toString('base64'))).toEqual(raw);
    expect(decodeStateKey(raw.toString('base64url'))).toEqual(raw);
    expect(decodeStateKey(randomBytes(16).toString('base64'))).toBeUndefined();
    expect(decodeStateKey('x'.repeat(43))).toEqual(expect.any(Buffer));
    expect(decodeStateKey('not a key')).toBeUndefined();
    expect(() => new StateSealer(randomBytes(16))).toThrow(RangeError);
  });
});
