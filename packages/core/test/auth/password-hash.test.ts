import { describe, expect, it } from 'vitest';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../src/auth/basic/password-hash';

describe('password hashes', () => {
  it('hashes and verifies with scrypt', async () => {
    const encoded = await hashPassword('correct horse', { cost: 10 });
    expect(encoded).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    const parsed = parsePasswordHash(encoded);
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(await verifyPassword(parsed, 'correct horse')).toBe(true);
    expect(await verifyPassword(parsed, 'correct horsE')).toBe(false);
  });

  it('hashes and verifies with bcrypt', async () => {
    const encoded = await hashPassword('battery staple', { algorithm: 'bcrypt', cost: 4 });
    expect(encoded).toMatch(/^\$2b\$04\$/);
    const parsed = parsePasswordHash(encoded);
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(await verifyPassword(parsed, 'battery staple')).toBe(true);
    expect(await verifyPassword(parsed, 'battery')).toBe(false);
    const legacy = parsePasswordHash(encoded.replace('$2b$', '$2y$'));
    expect(typeof legacy === 'object' && legacy.kind).toBe('bcrypt');
  });

  it('refuses unknown formats and unsafe parameters without echoing the hash', () => {
    expect(parsePasswordHash('plaintext')).toMatch(/^unsupported password hash/);
    expect(parsePasswordHash('$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA')).toMatch(/^unsupported/);
    expect(
      parsePasswordHash('$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
    ).toMatch(/out of range/);
    expect(parsePasswordHash(`$2b$31$${'a'.repeat(53)}`)).toMatch(/cost out of range/);
  });
});
