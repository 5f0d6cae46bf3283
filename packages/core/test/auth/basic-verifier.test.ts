import { describe, expect, it } from 'vitest';
import { BasicVerifier } from '../../src/auth/basic/basic-verifier';
import { hashPassword, type PasswordHash, parsePasswordHash } from '../../src/auth/basic/password-hash';

async function hashed(password: string): Promise<PasswordHash> {
  const parsed = parsePasswordHash(await hashPassword(password, { cost: 10 }));
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

describe('Basic verifier', () => {
  it('verifies plain and hashed users, the first matching profile winning', async () => {
    const verifier = new BasicVerifier([
      { profileIndex: 0, username: 'ann', secret: { kind: 'plain', password: 's3cret' } },
      { profileIndex: 1, username: 'bob', secret: { kind: 'hash', hash: await hashed('hunter2') } },
      { profileIndex: 1, username: 'ann', secret: { kind: 'plain', password: 'other' } },
    ]);
    expect(await verifier.verify({ username: 'ann', password: 's3cret' })).toEqual({
      profileIndex: 0,
      username: 'ann',
    });
    expect(await verifier.verify({ username: 'bob', password: 'hunter2' })).toEqual({
      profileIndex: 1,
      username: 'bob',
    });
    expect(await verifier.verify({ username: 'bob', password: 'hunter3' })).toBeUndefined();
    // The same username in a later profile, with its own password, still gets in through that profile.
    expect(await verifier.verify({ username: 'ann', password: 'other' })).toEqual({ profileIndex: 1, username: 'ann' });
    expect(await verifier.verify({ username: 'ann', password: 'neither' })).toBeUndefined();
    expect(await verifier.verify({ username: 'eve', password: 's3cret' })).toBeUndefined();
    expect(await verifier.verify({ username: 'ANN', password: 's3cret' })).toBeUndefined();
  });

  it('makes unknown users pay for a decoy hash like known ones', async () => {
    const verifier = new BasicVerifier([
      { profileIndex: 0, username: 'bob', secret: { kind: 'hash', hash: await hashed('pw') } },
    ]);
    const time = async (username: string) => {
      const start = performance.now();
      await verifier.verify({ username, password: 'wrong' });
      return performance.now() - start;
    };
    await time('bob');
    // A real scrypt (ln=10) costs milliseconds; a short-circuit for unknown users would cost microseconds.
    expect(await time('nobody')).toBeGreaterThan(0.2);
  });
});
