import { ConfigError, formatConfigPath } from '@sideguard/core';
import { SecretStoreError } from './secrets/secret-store';

/**
 * A config or start-up error for people: every config problem with its path, else the message.
 * @param file - the server config file as given
 * @param error - what was thrown
 */
export function describeError(file: string, error: unknown): string {
  if (error instanceof ConfigError) {
    const { issues } = error;
    const lines = issues.map((issue) => `  - ${formatConfigPath(issue.path)}: ${issue.message}`);
    return `${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${lines.join('\n')}`;
  }
  if (error instanceof SecretStoreError) return `${file}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
