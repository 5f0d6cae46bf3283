import { createHmac, randomBytes } from 'node:crypto';
import { BoundedLru } from '@sideguard/core';
import { BoundedGate } from './bounded-gate';
import {
  defaultScryptCost,
  hashSecret,
  maxScryptCost,
  minScryptCost,
  parseSecretHash,
  type SecretHash,
  secretMatches,
} from './secret-hash';

/** One named shared secret as persisted: its hash, never its value. */
export interface StoredSharedSecret {
  /** `scrypt$N$r$p$salt$hash`, salt and hash in base64url. */
  readonly hash: string;
  /** When it was created (ISO 8601). */
  readonly createdAt: string;
}

/** Everything a {@link SecretStore} holds, in the shape the server config file stores it. */
export interface SecretStoreState {
  /** Every secret by name, in use or not. */
  readonly secrets: Readonly<Record<string, StoredSharedSecret>>;
  /** Names of the secrets the server accepts, in order (Ping's `shared-secrets` property). */
  readonly accepted: readonly string[];
}

/** What {@link SecretStore.list} tells about a secret; never its value or hash. */
export interface SharedSecretInfo {
  readonly name: string;
  /** Whether the server accepts it now. */
  readonly inUse: boolean;
  /** When it was created (ISO 8601). */
  readonly createdAt: string;
}

/** Options of {@link SecretStore}. */
export interface SecretStoreOptions {
  /** scrypt work factor (log2 N, 10–20) of secrets created here; default 15. */
  readonly scryptCost?: number;
  /** scrypt verifications of uncached values run at once; default 2. */
  readonly maxConcurrentChecks?: number;
  /** Verifications queued behind them; more are refused at once (401); default 16. */
  readonly maxQueuedChecks?: number;
  /** Wrong values remembered, so a retried wrong value costs no scrypt; default 1,024. */
  readonly missCacheSize?: number;
  /** How long a wrong value is remembered, in seconds; default 60. */
  readonly missCacheTtlSeconds?: number;
}

/** Stable codes of {@link SecretStoreError}. */
export type SecretStoreErrorCode =
  | 'SECRET_NAME_INVALID'
  | 'SECRET_VALUE_INVALID'
  | 'SECRET_EXISTS'
  | 'SECRET_UNKNOWN'
  | 'SECRET_IN_USE'
  | 'SECRET_NOT_IN_USE'
  | 'SECRET_STATE_INVALID';

/** A refused secret operation. Messages name secrets, never show a value. */
export class SecretStoreError extends Error {
  /** Stable code to branch on; the message is for people. */
  readonly code: SecretStoreErrorCode;

  /**
   * @param code - what went wrong
   * @param message - a sentence naming the secret
   */
  constructor(code: SecretStoreErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'SecretStoreError';
  }
}

/** Secret names: labels as Ping allows them, e.g. `Shared Secret A`. */
export const secretNamePattern = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
/** Longest secret value accepted; longer presented values are refused without hashing. */
export const maxSecretLength = 1024;

/** Distinct uncached values one caller may have under verification at once. */
export const maxChecksPerSource = 2;
const minSecretLength = 8;
// Visible ASCII, inner spaces allowed: HTTP trims a header value's ends and forbids control characters.
const secretValuePattern = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

interface SecretRecord {
  readonly name: string;
  readonly encoded: string;
  readonly hash: SecretHash;
  readonly createdAt: string;
}

/** The outcome of one scrypt verification, with the state it was computed against. */
interface Check {
  /** The accepted secret the value matched, if any. */
  readonly match: SecretRecord | undefined;
  /** {@link SecretStore} `#missEpoch` when the check began. */
  readonly epoch: number;
}

/**
 * Named shared secrets, Ping's life cycle: {@link create} (unused until added), {@link add} to the
 * accepted set, {@link remove} from use, {@link delete}. Only scrypt hashes are kept, so no value can
 * be read back. Every change applies at once to the next verification.
 *
 * {@link verify} pays scrypt once per distinct presented value: results are cached under an HMAC of the
 * value (with a key private to this process). A match stays cached for as long as its secret is accepted,
 * with no expiry, so a gateway's known secret keeps working even while a flood of wrong values fills the
 * bounded scrypt queue (values beyond the queue are refused at once).
 */
export class SecretStore {
  readonly #scryptCost: number;
  readonly #gate: BoundedGate;
  readonly #missTtlMs: number;
  readonly #hmacKey = randomBytes(32);
  #records = new Map<string, SecretRecord>();
  #accepted: readonly string[] = [];
  /** Matches by keyed hash of the value; at most one per accepted secret, purged when it leaves use. */
  readonly #matches = new Map<string, SecretRecord>();
  /** Known wrong values by keyed hash, with the epoch they were found wrong in. */
  readonly #misses: BoundedLru<string, number>;
  /** Bumped whenever a secret enters use, which can turn an earlier miss into a match. */
  #missEpoch = 0;
  /** Verifications under way, so concurrent requests with one new value share one scrypt run. */
  readonly #pending = new Map<string, Promise<Check>>();
  /** Uncached verifications under way per caller (address), so one caller cannot fill the queue. */
  readonly #perSource = new Map<string, number>();

  /**
   * @param state - secrets and accepted names to start with (e.g. read from the server config file)
   * @param options - scrypt cost, verification concurrency and caching
   * @throws SecretStoreError (`SECRET_STATE_INVALID`) for a malformed state
   */
  constructor(state: SecretStoreState = { secrets: {}, accepted: [] }, options: SecretStoreOptions = {}) {
    const {
      scryptCost = defaultScryptCost,
      maxConcurrentChecks = 2,
      maxQueuedChecks = 16,
      missCacheSize = 1024,
      missCacheTtlSeconds = 60,
    } = options;
    if (!Number.isInteger(scryptCost) || scryptCost < minScryptCost || scryptCost > maxScryptCost) {
      throw new RangeError(`scryptCost (log2 N) must be ${minScryptCost}–${maxScryptCost}`);
    }
    for (const [key, value, min] of [
      ['maxConcurrentChecks', maxConcurrentChecks, 1],
      ['maxQueuedChecks', maxQueuedChecks, 0],
      ['missCacheSize', missCacheSize, 1],
      ['missCacheTtlSeconds', missCacheTtlSeconds, 0],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${key} must be an integer ≥ ${min}`);
    }
    this.#scryptCost = scryptCost;
    this.#gate = new BoundedGate(maxConcurrentChecks, maxQueuedChecks);
    this.#misses = new BoundedLru(missCacheSize);
    this.#missTtlMs = missCacheTtlSeconds * 1000;
    this.load(state);
  }

  /**
   * Creates a secret. It is not accepted until {@link add}ed.
   * @param name - a label: 1–64 letters, digits, spaces, `.`, `_` or `-`
   * @param value - the secret: 8–1,024 visible ASCII characters (inner spaces allowed)
   * @throws SecretStoreError for a bad name or value, or a name already taken
   */
  async create(name: string, value: string): Promise<SharedSecretInfo> {
    checkName(name);
    if (typeof value !== 'string' || value.length < minSecretLength || value.length > maxSecretLength) {
      throw new SecretStoreError(
        'SECRET_VALUE_INVALID',
        `The value of "${name}" must be ${minSecretLength}–${maxSecretLength} characters`,
      );
    }
    if (!secretValuePattern.test(value)) {
      throw new SecretStoreError(
        'SECRET_VALUE_INVALID',
        `The value of "${name}" must be visible ASCII characters (inner spaces allowed), as it travels in a header`,
      );
    }
    this.#checkFree(name);
    const encoded = await hashSecret(value, this.#scryptCost);
    this.#checkFree(name); // Another create may have taken the name while scrypt ran.
    const record = toRecord(name, { hash: encoded, createdAt: new Date().toISOString() });
    this.#records.set(name, record);
    return this.#info(record);
  }

  /**
   * Puts a created secret in use: requests carrying it are accepted from now on.
   * @param name - the secret's name
   * @throws SecretStoreError when it does not exist or is already in use
   */
  add(name: string): void {
    this.#mustExist(name);
    if (this.#accepted.includes(name)) throw new SecretStoreError('SECRET_IN_USE', `"${name}" is already in use`);
    this.#accepted = [...this.#accepted, name];
    this.#missEpoch++;
  }

  /**
   * Takes a secret out of use: requests carrying it are refused from now on. It can be added again.
   * @param name - the secret's name
   * @throws SecretStoreError when it does not exist or is not in use
   */
  remove(name: string): void {
    this.#mustExist(name);
    if (!this.#accepted.includes(name)) throw new SecretStoreError('SECRET_NOT_IN_USE', `"${name}" is not in use`);
    this.#accepted = this.#accepted.filter((accepted) => accepted !== name);
    this.#purgeMatches();
  }

  /**
   * Deletes a secret that is not in use (like Ping, which refuses to delete a secret in use).
   * @param name - the secret's name
   * @throws SecretStoreError when it does not exist or is still in use
   */
  delete(name: string): void {
    this.#mustExist(name);
    if (this.#accepted.includes(name)) {
      throw new SecretStoreError('SECRET_IN_USE', `"${name}" is in use; remove it from use before deleting it`);
    }
    this.#records.delete(name);
  }

  /** Every secret's name, whether it is in use, and when it was created; never a value or hash. */
  list(): SharedSecretInfo[] {
    return [...this.#records.values()].map((record) => this.#info(record));
  }

  /** The persistable state (hashes only), e.g. to write to the server config file. */
  export(): SecretStoreState {
    const secrets: Record<string, StoredSharedSecret> = {};
    for (const record of this.#records.values())
      secrets[record.name] = { hash: record.encoded, createdAt: record.createdAt };
    return { secrets, accepted: [...this.#accepted] };
  }

  /**
   * Replaces everything at once (a reload of the server config file). Secrets whose name and hash are
   * unchanged keep their cached verifications; nothing changes when the state is invalid.
   * @param state - the new secrets and accepted names
   * @throws SecretStoreError (`SECRET_STATE_INVALID`) naming the problem
   */
  load(state: SecretStoreState): void {
    const records = parseState(state);
    for (const [name, record] of records) {
      const old = this.#records.get(name);
      if (old !== undefined && old.encoded === record.encoded) records.set(name, old);
    }
    const before = new Set(this.#accepted.map((name) => this.#records.get(name)));
    this.#records = records;
    this.#accepted = [...state.accepted];
    if (this.#accepted.some((name) => !before.has(records.get(name)))) this.#missEpoch++;
    this.#purgeMatches();
  }

  /**
   * Finds the accepted secret a presented value equals.
   * @param presented - the shared-secret header's value, if any
   * @param now - the current time in milliseconds
   * @param source - who presents it (the caller's address): each source may have only
   *   {@link maxChecksPerSource} distinct uncached values under verification at once, so one caller
   *   flooding wrong values cannot take every scrypt slot from the others (a gateway's first call with
   *   a newly added secret, say)
   * @returns the secret's name, or `undefined` for no match, no value, or verification capacity exhausted
   */
  async verify(presented: string | undefined, now = Date.now(), source = ''): Promise<string | undefined> {
    if (presented === undefined || presented === '' || presented.length > maxSecretLength) return undefined;
    const key = createHmac('sha256', this.#hmacKey).update(presented).digest('base64url');
    // A change of the accepted set during a check can invalidate its result; check again then, a few times.
    for (let attempt = 0; attempt < 3; attempt++) {
      const known = this.#matches.get(key);
      if (known !== undefined && this.#isAccepted(known)) return known.name;
      if (this.#misses.get(key, now) === this.#missEpoch) return undefined;
      const check = this.#check(key, presented, now, source);
      if (check === undefined) return undefined;
      const { match, epoch } = await check;
      if (match !== undefined ? this.#isAccepted(match) : epoch === this.#missEpoch) return match?.name;
    }
    return undefined;
  }

  #check(key: string, presented: string, now: number, source: string): Promise<Check> | undefined {
    const pending = this.#pending.get(key);
    if (pending !== undefined) return pending;
    const running = this.#perSource.get(source) ?? 0;
    if (running >= maxChecksPerSource) return undefined;
    const epoch = this.#missEpoch;
    const candidates = this.#accepted.map((name) => this.#records.get(name) as SecretRecord);
    const check = this.#gate.run(async (): Promise<Check> => {
      let match: SecretRecord | undefined;
      for (const record of candidates) {
        if (await secretMatches(record.hash, presented)) {
          match = record;
          break;
        }
      }
      // Cached only if still true: a secret that entered or left use meanwhile makes the result stale.
      if (match === undefined && epoch === this.#missEpoch) this.#misses.set(key, epoch, now + this.#missTtlMs);
      if (match !== undefined && this.#isAccepted(match)) this.#matches.set(key, match);
      return { match, epoch };
    });
    if (check === undefined) return undefined;
    this.#perSource.set(source, running + 1);
    const shared = check.finally(() => {
      this.#pending.delete(key);
      const left = (this.#perSource.get(source) ?? 1) - 1;
      if (left > 0) this.#perSource.set(source, left);
      else this.#perSource.delete(source);
    });
    this.#pending.set(key, shared);
    return shared;
  }

  /** Whether this very record (not just its name, which a reload may have given another hash) is in use. */
  #isAccepted(record: SecretRecord): boolean {
    return this.#records.get(record.name) === record && this.#accepted.includes(record.name);
  }

  #purgeMatches(): void {
    for (const [key, record] of this.#matches) if (!this.#isAccepted(record)) this.#matches.delete(key);
  }

  #mustExist(name: string): void {
    if (!this.#records.has(name)) throw new SecretStoreError('SECRET_UNKNOWN', `No shared secret is named "${name}"`);
  }

  #checkFree(name: string): void {
    if (this.#records.has(name)) {
      throw new SecretStoreError('SECRET_EXISTS', `A shared secret named "${name}" already exists`);
    }
  }

  #info(record: SecretRecord): SharedSecretInfo {
    return { name: record.name, inUse: this.#accepted.includes(record.name), createdAt: record.createdAt };
  }
}

/**
 * Checks a state the way {@link SecretStore.load} would, without loading it (so a reload can validate
 * everything before changing anything).
 * @param state - secrets and accepted names
 * @throws SecretStoreError (`SECRET_STATE_INVALID`) naming the problem
 */
export function checkSecretStoreState(state: SecretStoreState): void {
  parseState(state);
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !secretNamePattern.test(name)) {
    throw new SecretStoreError(
      'SECRET_NAME_INVALID',
      'A secret name must be 1–64 letters, digits, spaces, ".", "_" or "-", starting with a letter or digit',
    );
  }
}

function toRecord(name: string, stored: StoredSharedSecret): SecretRecord {
  const hash = parseSecretHash(stored.hash);
  if (typeof hash === 'string') throw new SecretStoreError('SECRET_STATE_INVALID', `secrets["${name}"].hash: ${hash}`);
  return { name, encoded: stored.hash, hash, createdAt: stored.createdAt };
}

function parseState(state: SecretStoreState): Map<string, SecretRecord> {
  const invalid = (message: string) => new SecretStoreError('SECRET_STATE_INVALID', message);
  if (typeof state !== 'object' || state === null || typeof state.secrets !== 'object' || state.secrets === null) {
    throw invalid('secrets must be an object of named secrets');
  }
  if (!Array.isArray(state.accepted)) throw invalid('accepted must be an array of secret names');
  const records = new Map<string, SecretRecord>();
  for (const [name, stored] of Object.entries(state.secrets)) {
    if (!secretNamePattern.test(name)) throw invalid(`secrets["${name}"]: not a valid secret name`);
    if (typeof stored?.hash !== 'string' || typeof stored.createdAt !== 'string') {
      throw invalid(`secrets["${name}"]: needs "hash" and "createdAt" strings`);
    }
    records.set(name, toRecord(name, stored));
  }
  state.accepted.forEach((name, index) => {
    if (!records.has(name)) throw invalid(`accepted[${index}]: no secret is named "${name}"`);
    if (state.accepted.indexOf(name) !== index) throw invalid(`accepted[${index}]: "${name}" is listed twice`);
  });
  return records;
}
