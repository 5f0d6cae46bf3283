import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasControlCharacter, parseBasicAuthorization } from '../../src/auth/basic/credentials';

const encode = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

describe('Basic credentials (RFC 7617)', () => {
  it('splits on the first colon, so passwords may contain colons', () => {
    expect(parseBasicAuthorization(encode('Aladdin:open:sesame'))).toEqual({
      username: 'Aladdin',
      password: 'open:sesame',
    });
    expect(parseBasicAuthorization(encode('user:'))).toEqual({ username: 'user', password: '' });
  });

  it('reads UTF-8 and a case-insensitive scheme', () => {
    expect(parseBasicAuthorization(`bAsIc ${Buffer.from('jürgen:pässwörd').toString('base64')}`)).toEqual({
      username: 'jürgen',
      password: 'pässwörd',
    });
  });

  it('tells non-Basic headers from malformed Basic ones', () => {
    expect(parseBasicAuthorization(undefined)).toBeUndefined();
    expect(parseBasicAuthorization('Bearer abc')).toBeUndefined();
    expect(parseBasicAuthorization('Basic')).toBeUndefined();
    expect(parseBasicAuthorization('Basic !!!')).toBe('malformed');
    expect(parseBasicAuthorization(encode('no-colon'))).toBe('malformed');
    expect(parseBasicAuthorization(encode(':password'))).toBe('malformed');
    expect(parseBasicAuthorization(encode('bell\u0007:x'))).toBe('malformed');
    expect(parseBasicAuthorization(`Basic ${Buffer.from([0x75, 0x3a, 0xff, 0xfe]).toString('base64')}`)).toBe(
      'malformed',
    );
  });

  it('round-trips every username without colon or control characters', () => {
    const wellFormed = (s: string) => !hasControlCharacter(s) && !/[\ud800-\udfff]/.test(s);
    const username = fc.string({ minLength: 1 }).filter((s) => !s.includes(':') && wellFormed(s));
    const password = fc.string().filter(wellFormed);
    fc.assert(
      fc.property(username, password, (u, p) => {
        const parsed = parseBasicAuthorization(encode(`${u}:${p}`));
        return typeof parsed === 'object' && parsed.username === u && parsed.password === p;
      }),
    );
  });
});
