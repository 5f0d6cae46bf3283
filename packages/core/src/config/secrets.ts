import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

/** Where secret references are resolved from. */
export interface SecretContext {
  /** Folder that relative `{ "file": … }` references are read from: the config file's folder, or the working directory. */
  readonly baseDir: string;
  /** Environment for `{ "env": … }` references. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A secret as written in config: the value itself, or a reference to an environment variable or a file. */
export type SecretInput = string | { env: string } | { file: string };

/**
 * A schema for a secret that resolves references while validating. Problems name the variable or file,
 * never a value. Exactly one trailing newline (LF or CRLF) is dropped from a file, since editors add
 * one; any other whitespace stays, for the consumer to accept or refuse.
 * @param context - where references are resolved
 */
export function secretSchema(context: SecretContext) {
  return z
    .union([
      z.string().min(1, { error: 'must not be empty' }),
      z.strictObject({
        env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name' }),
      }),
      z.strictObject({ file: z.string().min(1, { error: 'must be a file path' }) }),
    ])
    .transform((secret, ctx): string => {
      if (typeof secret === 'string') return secret;
      if ('env' in secret) {
        const value = context.env[secret.env];
        if (value === undefined || value === '') {
          ctx.addIssue({ code: 'custom', message: `environment variable ${secret.env} is not set` });
          return z.NEVER;
        }
        return value;
      }
      const path = isAbsolute(secret.file) ? secret.file : resolve(context.baseDir, secret.file);
      try {
        const value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
        if (value === '') ctx.addIssue({ code: 'custom', message: `secret file ${path} is empty` });
        return value;
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `cannot read secret file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        });
        return z.NEVER;
      }
    });
}
