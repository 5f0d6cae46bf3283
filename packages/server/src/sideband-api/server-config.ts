import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError, type ConfigIssue, loadConfig, type SideguardConfigInput } from '@sideguard/core';
import { z } from 'zod';
import { parseSecretHash } from './secrets/secret-hash';
import { SecretStore, type SecretStoreState, secretNamePattern } from './secrets/secret-store';
import { decodeStateKey } from './state-seal';
import { defaultRequestLimitBytes } from './types';

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'must be an HTTP header name' });
const secretName = z
  .string()
  .regex(secretNamePattern, { error: 'must be 1–64 letters, digits, spaces, ".", "_" or "-"' });

/** The server config file's schema (see the package README for every field). */
export const serverConfigSchema = z
  .strictObject({
    /** Header carrying the shared secret, any case; default `CLIENT-TOKEN`. */
    sharedSecretHeader: headerName.default('CLIENT-TOKEN'),
    /** Named secrets, as hashes only. Managed with `sideguard secrets …`. */
    secrets: z
      .record(
        secretName,
        z.strictObject({
          hash: z.string().superRefine((hash, ctx) => {
            const parsed = parseSecretHash(hash);
            if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
          }),
          createdAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
        }),
      )
      .default({}),
    /** Names of the secrets in use, several during a rotation. */
    acceptedSecrets: z.array(secretName).default([]),
    /** The Sideguard configuration file deciding requests, relative to this file; default: no APIs. */
    guardConfig: z.string().min(1).optional(),
    listen: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(8443),
      })
      .default({ host: '127.0.0.1', port: 8443 }),
    /** Serve HTTPS with this PEM certificate and key (files relative to this file). */
    tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
    /**
     * Key sealing `state` (32 bytes, base64 or base64url) from an environment variable or a file.
     * Default: random per process. Servers behind one load balancer need the same key.
     */
    stateKey: z
      .union([
        z.strictObject({
          env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name' }),
        }),
        z.strictObject({ file: z.string().min(1) }),
      ])
      .optional(),
    /** How long a `state` stays valid, in seconds; default 300. */
    stateTtlSeconds: z.number().int().min(1).max(86_400).default(300),
    /** Largest sideband call body in bytes; default 8 MiB (see `defaultRequestLimitBytes`). */
    requestLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(defaultRequestLimitBytes),
  })
  .superRefine((config, ctx) => {
    config.acceptedSecrets.forEach((name, index) => {
      if (config.secrets[name] === undefined) {
        ctx.addIssue({ code: 'custom', path: ['acceptedSecrets', index], message: `no secret is named "${name}"` });
      } else if (config.acceptedSecrets.indexOf(name) !== index) {
        ctx.addIssue({ code: 'custom', path: ['acceptedSecrets', index], message: `"${name}" is listed twice` });
      }
    });
  });

/** A server config file as written (defaults optional). */
export type ServerConfigInput = z.input<typeof serverConfigSchema>;

/** A server config file after validation, defaults applied. */
export type ServerConfig = z.output<typeof serverConfigSchema>;

/** A server config file with every reference (guard config, TLS files, state key) read. */
export interface ResolvedServerConfig {
  readonly config: ServerConfig;
  readonly guardConfig: SideguardConfigInput;
  /** Files a reload depends on besides the server config file (the guard config). */
  readonly watchedFiles: readonly string[];
  readonly secrets: SecretStoreState;
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  readonly stateKey: Buffer | undefined;
}

/**
 * Reads and validates a server config file.
 * @param file - its path
 * @returns the raw JSON object (to edit and write back unchanged apart from the edit) and its validated form
 * @throws ConfigError naming every problem with its path, or why the file cannot be read
 */
export async function readServerConfig(file: string): Promise<{ raw: Record<string, unknown>; config: ServerConfig }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw fileError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseServerConfig(text, file);
}

function parseServerConfig(text: string, file: string): { raw: Record<string, unknown>; config: ServerConfig } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw fileError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fileError(`${file} must hold a JSON object`);
  const result = serverConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({ path: issue.path as ConfigIssue['path'], message: issue.message })),
    );
  }
  return { raw: raw as Record<string, unknown>, config: result.data };
}

/**
 * Reads a server config file and everything it refers to.
 * @param file - its path; relative references resolve from its folder
 * @param env - environment for `stateKey.env`
 * @throws ConfigError for an invalid file or an unreadable reference (the guard config is validated later, by the guard)
 */
export async function resolveServerConfig(
  file: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ResolvedServerConfig> {
  const absolute = resolve(file);
  const { config } = await readServerConfig(absolute);
  const from = (path: string) => (isAbsolute(path) ? path : resolve(dirname(absolute), path));
  const guardFile = config.guardConfig === undefined ? undefined : from(config.guardConfig);
  const guardConfig = guardFile === undefined ? {} : await loadConfig(guardFile);
  const tls =
    config.tls === undefined
      ? undefined
      : {
          cert: await readReferenced(from(config.tls.certFile), 'tls.certFile'),
          key: await readReferenced(from(config.tls.keyFile), 'tls.keyFile'),
        };
  let stateKey: Buffer | undefined;
  if (config.stateKey !== undefined) {
    const reference = config.stateKey;
    const text =
      'env' in reference
        ? env[reference.env]
        : (await readReferenced(from(reference.file), 'stateKey.file')).toString('utf8');
    if (text === undefined || text === '') {
      const name = 'env' in reference ? reference.env : '';
      throw new ConfigError([{ path: ['stateKey'], message: `environment variable ${name} is not set` }]);
    }
    stateKey = decodeStateKey(text.trim());
    if (stateKey === undefined) {
      const where = 'env' in reference ? `environment variable ${reference.env}` : `file ${reference.file}`;
      throw new ConfigError([{ path: ['stateKey'], message: `${where} must hold 32 bytes in base64 or base64url` }]);
    }
  }
  return {
    config,
    guardConfig,
    watchedFiles: guardFile === undefined ? [] : [guardFile],
    secrets: { secrets: config.secrets, accepted: config.acceptedSecrets },
    tls,
    stateKey,
  };
}

/**
 * Changes the secrets of a server config file through a {@link SecretStore} (so the life-cycle rules are
 * the store's) and writes the file back atomically with mode 0600; other fields are kept as written.
 * A missing file is created.
 * @param file - the server config file
 * @param change - the change; it may throw to leave the file untouched
 * @returns what `change` returned
 * @throws ConfigError for an invalid file; whatever `change` throws
 */
export async function updateServerSecrets<T>(file: string, change: (store: SecretStore) => Promise<T> | T): Promise<T> {
  const absolute = resolve(file);
  // Read, change and write under a lock: two `sideguard secrets` runs at once must not lose a change.
  const release = await lockFile(absolute, file);
  try {
    return await updateLocked(absolute, file, change);
  } finally {
    await release();
  }
}

/**
 * How long a `secrets` command waits for another one's lock, and when a lock counts as left over by a
 * process that died. Waiting outlasts staleness, so a dead command's lock never fails the next one.
 */
const lockWaitMs = 45_000;
const staleLockMs = 30_000;

/**
 * Takes `<file>.lock`: created exclusively, holding a random token so that only its owner removes
 * it. Waits while another process holds it; a stale lock is moved aside by rename (atomic: of several
 * waiters only one wins) before it is removed.
 * @returns a function that releases the lock
 */
async function lockFile(absolute: string, file: string): Promise<() => Promise<void>> {
  const lock = `${absolute}.lock`;
  const token = randomBytes(16).toString('hex');
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      try {
        await handle.writeFile(token, 'utf8');
      } finally {
        await handle.close();
      }
      return async () => {
        const holder = await readFile(lock, 'utf8').catch(() => undefined);
        if (holder === token) await unlink(lock).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw fileError(`cannot lock ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    const age = await stat(lock).then(
      (info) => Date.now() - info.mtimeMs,
      () => 0,
    );
    if (age > staleLockMs) {
      const aside = `${lock}.${token}.stale`;
      if (
        await rename(lock, aside).then(
          () => true,
          () => false,
        )
      )
        await unlink(aside).catch(() => {});
    } else if (Date.now() > deadline) {
      throw fileError(`${file} is locked by another sideguard secrets command (remove ${lock} if none is running)`);
    } else await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function updateLocked<T>(
  absolute: string,
  file: string,
  change: (store: SecretStore) => Promise<T> | T,
): Promise<T> {
  let text: string | undefined;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw fileError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const { raw, config } = parseServerConfig(text ?? '{}', file);
  const store = new SecretStore({ secrets: config.secrets, accepted: config.acceptedSecrets });
  const result = await change(store);
  const state = store.export();
  await writeFileAtomic(
    absolute,
    `${JSON.stringify({ ...raw, secrets: state.secrets, acceptedSecrets: state.accepted }, null, 2)}\n`,
  );
  return result;
}

/**
 * Replaces a file's content all at once: a watcher or reader sees the old file or the new one, never a
 * half-written one. The file gets mode 0600 (it holds secret hashes).
 * @param file - the file
 * @param text - its new content
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

async function readReferenced(path: string, field: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ConfigError([
      { path: field.split('.'), message: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})` },
    ]);
  }
}

function fileError(message: string): ConfigError {
  return new ConfigError([{ path: [], message }]);
}
