import { resolve } from 'node:path';
import {
  configJsonSchema,
  formatConfigPath,
  hashPassword,
  isSideguardError,
  loadConfig,
  validateConfig,
} from '@sideguard/core';
import { aseEmulatorCommand } from '../ase-emulator/cli-command';
import { sidebandApiCommand } from '../sideband-api/cli-command';
import { secretsCommand } from '../sideband-api/secrets-command';
import { readStdin } from './read-stdin';

/** Where the CLI reads and writes; injectable so it can be run and tested in-process. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Reads all of standard input (for secrets, which must not appear in arguments). */
  readInput?(): Promise<string>;
  /**
   * Stops long-running commands (`ase-emulator`, `sideband-api`) when aborted; without it they stop on
   * SIGINT or SIGTERM.
   */
  signal?: AbortSignal;
}

const usage = `Usage: sideguard <command>

Commands:
  validate <config.json>            check a configuration file and list every problem with its path
  schema                            print the JSON Schema of configuration files
  hash-password [--bcrypt] [--cost N]
                                    hash a password read from standard input, for "passwordHash"
  ase-emulator [--port N] [--host H] [--token T] [--config emulator.json]
               [--tls-cert F --tls-key F] [--no-keepalive]
                                    run a PingIntelligence ASE sideband emulator until SIGINT/SIGTERM
                                    (token also from ASE_TOKEN; config: { "apis", "denyLists" })
  sideband-api --config server.json [--host H] [--port N]
                                    serve the PingAuthorize-compatible Sideband API until SIGINT/SIGTERM;
                                    reloads when server.json or its guard config changes, or on SIGHUP
  secrets create <name> --config server.json [--generate]
                                    store a new shared secret's hash (value from standard input, or
                                    generated and printed once); not in use until added
  secrets add|remove|delete <name> --config server.json
                                    put a secret in use, take it out of use, delete one not in use
  secrets list --config server.json [--json]
                                    names, whether in use, creation dates (never values)
  help                              show this text`;

/**
 * Runs the `sideguard` command line.
 * @param args - arguments after the program name
 * @param io - output streams, and the signal that stops long-running commands
 * @returns the process exit code: 0 success, 1 invalid input, 2 usage error
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'validate':
      return validateCommand(rest, io);
    case 'schema':
      io.out(JSON.stringify(configJsonSchema(), null, 2));
      return 0;
    case 'hash-password':
      return hashPasswordCommand(rest, io);
    case 'ase-emulator':
      return aseEmulatorCommand(rest, io);
    case 'sideband-api':
      return sidebandApiCommand(rest, io);
    case 'secrets':
      return secretsCommand(rest, { out: io.out, err: io.err, readInput: io.readInput ?? readStdin });
    case 'help':
    case '--help':
    case '-h':
      io.out(usage);
      return 0;
    default:
      io.err(command === undefined ? usage : `Unknown command "${command}".\n\n${usage}`);
      return 2;
  }
}

async function validateCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [file] = args;
  if (file === undefined || args.length > 1) {
    io.err('Usage: sideguard validate <config.json>');
    return 2;
  }
  try {
    // Relative secret files resolve from the config file's folder, as they will when serving.
    const issues = validateConfig(await loadConfig(resolve(file)));
    if (issues.length === 0) {
      io.out(`${file}: valid`);
      return 0;
    }
    io.err(`${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}`);
    for (const issue of issues) io.err(`  - ${formatConfigPath(issue.path)}: ${issue.message}`);
    return 1;
  } catch (error) {
    io.err(isSideguardError(error) ? error.message : String(error));
    return 1;
  }
}

async function hashPasswordCommand(args: readonly string[], io: CliIo): Promise<number> {
  let algorithm: 'scrypt' | 'bcrypt' = 'scrypt';
  let cost: number | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--bcrypt') algorithm = 'bcrypt';
    else if (args[i] === '--cost' && /^\d{1,2}$/.test(args[i + 1] ?? '')) cost = Number(args[++i]);
    else {
      io.err('Usage: sideguard hash-password [--bcrypt] [--cost N]  (password on standard input)');
      return 2;
    }
  }
  const password = (await (io.readInput ?? readStdin)()).replace(/\r?\n$/, '');
  if (password === '') {
    io.err('No password on standard input.');
    return 1;
  }
  try {
    io.out(await hashPassword(password, { algorithm, ...(cost === undefined ? {} : { cost }) }));
    return 0;
  } catch (error) {
    io.err(error instanceof RangeError ? error.message : String(error));
    return 2;
  }
}
