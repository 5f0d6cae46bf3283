import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

/** A stored password hash Sideguard can verify. */
export type PasswordHash =
  | {
      readonly kind: 'scrypt';
      readonly log2n: number;
      readonly r: number;
      readonly p: number;
      readonly salt: Buffer;
      readonly hash: Buffer;
    }
  | { readonly kind: 'bcrypt'; readonly encoded: string; readonly cost: number };

const scryptFormat = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{32,})$/;
const bcryptFormat = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;

/**
 * Reads a stored hash: `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (unpadded base64), or bcrypt
 * `$2a$`/`$2b$`/`$2y$`.
 * @param text - the hash as written in config
 * @returns the parsed hash, or a message saying why it is not accepted (never echoing the hash)
 */
export function parsePasswordHash(text: string): PasswordHash | string {
  const s = scryptFormat.exec(text);
  if (s) {
    const [log2n, r, p] = [Number(s[1]), Number(s[2]), Number(s[3])];
    if (log2n < 10 || log2n > 20 || r < 1 || p < 1 || p > 4)
      return 'scrypt parameters out of range (ln 10–20, r ≥ 1, p 1–4)';
    return {
      kind: 'scrypt',
      log2n,
      r,
      p,
      salt: Buffer.from(s[4] ?? '', 'base64'),
      hash: Buffer.from(s[5] ?? '', 'base64'),
    };
  }
  const b = bcryptFormat.exec(text);
  if (b) {
    const cost = Number(b[1]);
    if (cost < 4 || cost > 16) return 'bcrypt cost out of range (4–16)';
    return { kind: 'bcrypt', encoded: text, cost };
  }
  return 'unsupported password hash (expected "$scrypt$ln=…,r=…,p=…$salt$hash" or a bcrypt "$2b$…" hash)';
}

function scrypt(password: string, salt: Buffer, length: number, log2n: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** log2n;
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/**
 * Checks a password against a stored hash in constant time (for scrypt; bcrypt compares internally).
 * @param stored - a parsed hash
 * @param password - the password offered
 */
export async function verifyPassword(stored: PasswordHash, password: string): Promise<boolean> {
  if (stored.kind === 'bcrypt') return bcrypt.compare(password, stored.encoded);
  const derived = await scrypt(password, stored.salt, stored.hash.length, stored.log2n, stored.r, stored.p);
  return timingSafeEqual(derived, stored.hash);
}

/** Options of {@link hashPassword}. */
export interface HashPasswordOptions {
  /** `scrypt` (default) or `bcrypt`. */
  algorithm?: 'scrypt' | 'bcrypt';
  /** scrypt: log2 of N (default 15); bcrypt: cost (default 12). */
  cost?: number;
}

/**
 * Hashes a password in a format Basic profiles accept, for `passwordHash` in config.
 * @param password - the password
 * @param options - algorithm and cost
 * @throws RangeError for a cost outside what {@link parsePasswordHash} accepts
 */
export async function hashPassword(password: string, options: HashPasswordOptions = {}): Promise<string> {
  if (options.algorithm === 'bcrypt') {
    const cost = options.cost ?? 12;
    if (!Number.isInteger(cost) || cost < 4 || cost > 16) throw new RangeError('bcrypt cost must be 4–16');
    return bcrypt.hash(password, cost);
  }
  const log2n = options.cost ?? 15;
  if (!Number.isInteger(log2n) || log2n < 10 || log2n > 20) throw new RangeError('scrypt cost (log2 N) must be 10–20');
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, log2n, 8, 1);
  const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=${log2n},r=8,p=1$${b64(salt)}$${b64(hash)}`;
}
