import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const version = 1;
const ivBytes = 12;
const tagBytes = 16;
/** Longest `state` opened; the server's own are far shorter, so longer ones are refused unread. */
const maxStateLength = 16 * 1024;
/** Issue times this far ahead are tolerated: another server behind the same balancer may run a little fast. */
const clockSkewMs = 60_000;

/**
 * Reads a 32-byte key written in base64 or base64url (43 characters, optionally one `=`).
 * @param text - the key's text
 * @returns the key, or `undefined` when the text is not exactly that
 */
export function decodeStateKey(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) return undefined;
  const key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === 32 ? key : undefined;
}

/**
 * Seals values into opaque `state` strings with AES-256-GCM: confidential (they carry identities) and
 * tamper-proof, with the issue time inside so that old ones expire.
 */
export class StateSealer {
  readonly #key: Buffer;
  /**
   * GCM needs an IV that never repeats under one key, not a random one: 8 random bytes per sealer
   * (so servers sharing the key do not collide) then a 4-byte counter. A random IV per call would cost
   * a system call per request; the prefix is renewed when the counter wraps.
   */
  #prefix = randomBytes(8);
  #counter = 0;

  /** @param key - 32 bytes */
  constructor(key: Uint8Array) {
    if (key.byteLength !== 32) throw new RangeError('The state key must be 32 bytes');
    this.#key = Buffer.from(key);
  }

  /**
   * Seals a JSON-safe value.
   * @param value - what to carry
   * @param now - issue time in milliseconds
   * @returns base64url text: version, IV, ciphertext, tag
   */
  seal(value: unknown, now: number): string {
    const iv = this.#nextIv();
    const header = Buffer.from([version]);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(header);
    const plain = Buffer.from(JSON.stringify({ iat: now, v: value }), 'utf8');
    const sealed = Buffer.concat([header, iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return sealed.toString('base64url');
  }

  #nextIv(): Buffer {
    if (this.#counter === 0xffff_ffff) {
      this.#prefix = randomBytes(8);
      this.#counter = 0;
    }
    const iv = Buffer.allocUnsafe(ivBytes);
    this.#prefix.copy(iv, 0);
    iv.writeUInt32BE(this.#counter++, 8);
    return iv;
  }

  /**
   * Opens a sealed value.
   * @param state - text from {@link seal}
   * @param ttlMs - how long after its issue time it stays valid
   * @param now - the current time in milliseconds
   * @returns the value, or `undefined` when the text is malformed, tampered with, sealed under another
   *   key, or expired
   */
  open(state: string, ttlMs: number, now: number): unknown {
    if (state.length > maxStateLength || !/^[A-Za-z0-9_-]+$/.test(state)) return undefined;
    const sealed = Buffer.from(state, 'base64url');
    if (sealed.length < 1 + ivBytes + tagBytes || sealed[0] !== version) return undefined;
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(1, 1 + ivBytes));
      decipher.setAAD(sealed.subarray(0, 1));
      decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
      plain = Buffer.concat([
        decipher.update(sealed.subarray(1 + ivBytes, sealed.length - tagBytes)),
        decipher.final(),
      ]);
    } catch {
      return undefined; // Authentication failed: tampered with, or another key.
    }
    // Authentic, so it is our own JSON; only the age remains to check.
    const { iat, v } = JSON.parse(plain.toString('utf8')) as { iat: number; v: unknown };
    if (!(iat <= now + clockSkewMs && now - iat <= ttlMs)) return undefined;
    return v;
  }
}
