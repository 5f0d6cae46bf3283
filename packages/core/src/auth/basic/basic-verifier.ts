import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { BasicCredentials } from './credentials';
import { type PasswordHash, verifyPassword } from './password-hash';

/** One configured user of a Basic profile, before compilation. */
export interface BasicUserInput {
  /** Index of the user's profile among the API's Basic profiles, in assignment order. */
  readonly profileIndex: number;
  readonly username: string;
  /** A plain password, or a parsed hash. */
  readonly secret:
    | { readonly kind: 'plain'; readonly password: string }
    | { readonly kind: 'hash'; readonly hash: PasswordHash };
}

/** Who was verified. */
export interface BasicMatch {
  readonly profileIndex: number;
  readonly username: string;
}

type StoredSecret =
  | { readonly kind: 'plain'; readonly mac: Buffer }
  | { readonly kind: 'hash'; readonly hash: PasswordHash };

interface StoredUser {
  readonly profileIndex: number;
  readonly username: string;
  readonly usernameMac: Buffer;
  readonly secret: StoredSecret;
}

const bcryptAlphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Verifies Basic credentials against every user of an API's Basic profiles. Usernames and plain
 * passwords are compared as fixed-length keyed hashes with `timingSafeEqual`, and every user is
 * compared on every attempt (no early exit), so response time tells neither whether a user exists nor
 * how long a password is. An unknown user pays for a decoy hash of the same kind and cost.
 */
export class BasicVerifier {
  readonly #key = randomBytes(32);
  readonly #users: readonly StoredUser[];
  readonly #decoy: StoredSecret;

  /** @param users - the users, in profile assignment order (the first match wins) */
  constructor(users: readonly BasicUserInput[]) {
    this.#users = users.map((user) => ({
      profileIndex: user.profileIndex,
      username: user.username,
      usernameMac: this.#mac(user.username),
      secret: user.secret.kind === 'plain' ? { kind: 'plain', mac: this.#mac(user.secret.password) } : user.secret,
    }));
    this.#decoy = decoyFor(users);
  }

  /**
   * Checks credentials; resolves to the first user (in profile order) whose name and password match,
   * or `undefined`. The same username may appear in several profiles with different passwords.
   * @param credentials - parsed from the header
   */
  async verify(credentials: BasicCredentials): Promise<BasicMatch | undefined> {
    const usernameMac = this.#mac(credentials.username);
    const candidates: StoredUser[] = [];
    for (const user of this.#users) {
      if (timingSafeEqual(usernameMac, user.usernameMac)) candidates.push(user);
    }
    if (candidates.length === 0) {
      await this.#check(this.#decoy, credentials.password);
      return undefined;
    }
    for (const user of candidates) {
      const valid = await this.#check(user.secret, credentials.password);
      // A plain password is cheap to check; where other users are hashed, pay for the decoy too so a
      // fast answer does not reveal that this username exists.
      if (user.secret.kind === 'plain' && this.#decoy.kind === 'hash')
        await this.#check(this.#decoy, credentials.password);
      if (valid) return { profileIndex: user.profileIndex, username: user.username };
    }
    return undefined;
  }

  async #check(secret: StoredSecret, password: string): Promise<boolean> {
    if (secret.kind === 'plain') return timingSafeEqual(this.#mac(password), secret.mac);
    return verifyPassword(secret.hash, password);
  }

  #mac(text: string): Buffer {
    return createHmac('sha256', this.#key).update(text, 'utf8').digest();
  }
}

/**
 * A secret no password matches, costing what the API's most expensive hashed user costs (or a plain
 * compare when no user is hashed).
 */
function decoyFor(users: readonly BasicUserInput[]): StoredSecret {
  let model: PasswordHash | undefined;
  for (const { secret } of users) {
    if (secret.kind === 'hash' && (model === undefined || hashCost(secret.hash) > hashCost(model))) model = secret.hash;
  }
  if (model === undefined) return { kind: 'plain', mac: randomBytes(32) };
  if (model.kind === 'scrypt')
    return { kind: 'hash', hash: { ...model, salt: randomBytes(16), hash: randomBytes(model.hash.length) } };
  const tail = Array.from(randomBytes(53), (byte) => bcryptAlphabet[byte & 63]).join('');
  return {
    kind: 'hash',
    hash: { kind: 'bcrypt', cost: model.cost, encoded: `$2b$${String(model.cost).padStart(2, '0')}$${tail}` },
  };
}

/** Relative work of a hash, comparable within one algorithm; scrypt ranks above bcrypt at equal exponents. */
function hashCost(hash: PasswordHash): number {
  return hash.kind === 'scrypt' ? 2 ** hash.log2n * hash.r * hash.p : 2 ** hash.cost;
}
