import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors/config-error';
import type { SideguardConfigInput } from './schema';

/** Where a loaded config came from; relative secret files are read from this folder. */
const configDir = Symbol.for('sideguard.configDir');

/**
 * Types a configuration written in TypeScript; returns it unchanged.
 * @param config - the configuration
 * @example export default defineConfig({ apis: [{ name: 'orders', basePath: '/orders' }] });
 */
export function defineConfig(config: SideguardConfigInput): SideguardConfigInput {
  return config;
}

/**
 * Reads a JSON configuration file. The result remembers the file's folder, so `{ "file": … }` secrets
 * are read relative to the config file. Validation happens in `createGuard` (or `validateConfig`).
 * @param path - the file
 * @throws ConfigError when the file cannot be read or is not JSON
 */
export async function loadConfig(path: string): Promise<SideguardConfigInput> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new ConfigError([
      { path: [], message: `cannot read ${absolute} (${(error as NodeJS.ErrnoException).code ?? 'error'})` },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([{ path: [], message: `${absolute} is not valid JSON: ${(error as Error).message}` }]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([{ path: [], message: `${absolute} must hold a JSON object` }]);
  }
  Object.defineProperty(parsed, configDir, { value: dirname(absolute), enumerable: false });
  return parsed as SideguardConfigInput;
}

/**
 * The folder a config was loaded from, if it came from {@link loadConfig}.
 * @param config - a configuration
 */
export function configDirOf(config: unknown): string | undefined {
  if (typeof config !== 'object' || config === null) return undefined;
  const dir = (config as Record<symbol, unknown>)[configDir];
  return typeof dir === 'string' ? dir : undefined;
}
