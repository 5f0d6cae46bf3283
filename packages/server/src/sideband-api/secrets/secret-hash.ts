import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';

/** A stored shared-secret hash, parsed: scrypt parameters, salt and derived key. */
export interface SecretHash {
  readonly n: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

/** Fewest and most scrypt work factors accepted, as log2 N. */
export const minScryptCost = 10;
export const maxScryptCost = 20;
/** log2 N of new hashes: 32 MiB and some tens of milliseconds per verification. */
export const defaultScryptCost = 15;

const format = /^scrypt\$(\d{1,8})\$(\d{1,2})\$(\d)\$([A-Za-z0-9_-]{22,})\$([A-Za-z0-9_-]{43,})$/;

/**
 * Reads a stored hash `scrypt$N$r$p$salt$key` (salt and key in unpadded base64url).
 * @param text - the hash as stored in the server config file
 * @returns the parsed hash, or a message saying why it is refused (never echoing the hash)
 */
export function parseSecretHash(text: string): SecretHash | string {
  const match = format.exec(text);
  if (match === null) return 'must be "scrypt$N$r$p$salt$hash" (made by "sideguard secrets create")';
  const [n, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const log2n = Math.log2(n);
  if (!Number.isInteger(log2n) || log2n < minScryptCost || log2n > maxScryptCost) {
    return `scrypt N must be a power of two from 2^${minScryptCost} to 2^${maxScryptCost}`;
  }
  if (r < 1 || r > 16 || p < 1 || p > 4) return 'scrypt r must be 1–16 and p 1–4';
  return { n, r, p, salt: Buffer.from(match[4] ?? '', 'base64url'), key: Buffer.from(match[5] ?? '', 'base64url') };
}

/**
 * Hashes a shared secret with scrypt and a fresh random salt.
 * @param value - the secret
 * @param cost - log2 N, from {@link minScryptCost} to {@link maxScryptCost}
 */
export async function hashSecret(value: string, cost = defaultScryptCost): Promise<string> {
  if (!Number.isInteger(cost) || cost < minScryptCost || cost > maxScryptCost) {
    throw new RangeError(`scrypt cost (log2 N) must be ${minScryptCost}–${maxScryptCost}`);
  }
  const n = 2 ** cost;
  const salt = randomBytes(16);
  const key = await derive(value, { n, r: 8, p: 1, salt, key: Buffer.alloc(32) });
  return `scrypt$${n}$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/**
 * Checks a presented value against a stored hash; the comparison takes the same time wherever the
 * derived keys differ.
 * @param stored - a parsed hash
 * @param value - the value a client presented
 */
export async function secretMatches(stored: SecretHash, value: string): Promise<boolean> {
  return timingSafeEqual(await derive(value, stored), stored.key);
}

function derive(value: string, params: SecretHash): Promise<Buffer> {
  const { n, r, p, salt, key } = params;
  return new Promise((resolve, reject) => {
    // scrypt needs about 128·N·r bytes; Node's default cap (32 MiB) is too tight from 2^15 on.
    scryptCallback(value, salt, key.length, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (error, derived) =>
      error ? reject(error) : resolve(derived),
    );
  });
}
