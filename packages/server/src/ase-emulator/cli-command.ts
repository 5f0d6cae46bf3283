import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { stopped } from '../cli/stopped';
import { isRecord } from './options';
import { startAseEmulator } from './server';
import type { AseEmulatorOptions } from './types';

/** Where the command writes, and what stops it (the `sideguard` CLI's I/O). */
export interface AseEmulatorCommandIo {
  out(line: string): void;
  err(line: string): void;
  /** Stops the emulator when aborted; without it, SIGINT or SIGTERM does. */
  signal?: AbortSignal;
}

/** Usage line of the command, also shown in the CLI's help. */
export const aseEmulatorUsage =
  'sideguard ase-emulator [--port N] [--host H] [--token T] [--config emulator.json] [--tls-cert F --tls-key F] [--no-keepalive]';

/**
 * `sideguard ase-emulator`: starts the ASE emulator, prints its URL and serves until stopped.
 * The token comes from `--token` or the `ASE_TOKEN` environment variable and is never printed.
 * @param args - arguments after the command name
 * @param io - output and stop signal
 * @returns 0 after a clean stop, 1 for an unreadable or invalid config or a listen error, 2 for bad usage
 */
export async function aseEmulatorCommand(args: readonly string[], io: AseEmulatorCommandIo): Promise<number> {
  const parsed = parseArgs(args);
  if (parsed === undefined) {
    io.err(`Usage: ${aseEmulatorUsage}`);
    return 2;
  }
  let options: AseEmulatorOptions;
  try {
    options = await buildOptions(parsed);
  } catch (error) {
    io.err(error instanceof Error ? error.message : String(error));
    return 1;
  }
  let emulator: Awaited<ReturnType<typeof startAseEmulator>>;
  try {
    emulator = await startAseEmulator(options);
  } catch (error) {
    // Option errors (TypeError) come from the config file; others, such as EADDRINUSE, from listening.
    const where = error instanceof TypeError && parsed.config !== undefined ? `${parsed.config}: ` : '';
    io.err(`${where}${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  io.out(`ASE emulator listening on ${emulator.url}`);
  io.out(options.token === undefined ? 'Sideband authentication off (no ASE-Token needed)' : 'ASE-Token required');
  await stopped(io.signal);
  await emulator.close();
  io.out('ASE emulator stopped');
  return 0;
}

interface ParsedArgs {
  port?: number;
  host?: string;
  token?: string;
  config?: string;
  tlsCert?: string;
  tlsKey?: string;
  keepAlive: boolean;
}

function parseArgs(args: readonly string[]): ParsedArgs | undefined {
  const parsed: ParsedArgs = { keepAlive: true };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    if (flag === '--no-keepalive') {
      parsed.keepAlive = false;
      continue;
    }
    const value = args[++i];
    if (value === undefined || value.startsWith('--')) return undefined;
    if (flag === '--port' && /^\d{1,5}$/.test(value) && Number(value) <= 65535) parsed.port = Number(value);
    else if (flag === '--host') parsed.host = value;
    else if (flag === '--token' && value !== '') parsed.token = value;
    else if (flag === '--config') parsed.config = value;
    else if (flag === '--tls-cert') parsed.tlsCert = value;
    else if (flag === '--tls-key') parsed.tlsKey = value;
    else return undefined;
  }
  // A certificate without its key (or the reverse) is a mistake, not a request for plain HTTP.
  return (parsed.tlsCert === undefined) === (parsed.tlsKey === undefined) ? parsed : undefined;
}

async function buildOptions(args: ParsedArgs): Promise<AseEmulatorOptions> {
  const options: AseEmulatorOptions = { keepAlive: args.keepAlive };
  if (args.port !== undefined) options.port = args.port;
  if (args.host !== undefined) options.host = args.host;
  const token = args.token ?? (process.env.ASE_TOKEN || undefined);
  if (token !== undefined) options.token = token;
  if (args.tlsCert !== undefined && args.tlsKey !== undefined) {
    options.tls = { cert: await readFile(resolve(args.tlsCert)), key: await readFile(resolve(args.tlsKey)) };
  }
  if (args.config !== undefined) Object.assign(options, await readConfig(args.config));
  return options;
}

/** Reads the JSON config file: `{ "apis": [...], "denyLists": {...} }`; the values are checked at start. */
async function readConfig(file: string): Promise<Pick<AseEmulatorOptions, 'apis' | 'denyLists'>> {
  const text = await readFile(resolve(file), 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isRecord(value)) throw new Error(`${file}: must be a JSON object with "apis" and/or "denyLists"`);
  const unknown = Object.keys(value).filter((key) => key !== 'apis' && key !== 'denyLists');
  if (unknown.length > 0) throw new Error(`${file}: unknown key "${unknown[0]}" (expected "apis", "denyLists")`);
  const config: Pick<AseEmulatorOptions, 'apis' | 'denyLists'> = {};
  // Shapes are checked by startAseEmulator, which names the bad value's path.
  if (value.apis !== undefined) config.apis = value.apis as AseEmulatorOptions['apis'];
  if (value.denyLists !== undefined) config.denyLists = value.denyLists as AseEmulatorOptions['denyLists'];
  return config;
}
