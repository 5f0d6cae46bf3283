import { readFile } from 'node:fs/promises';
import { formatConfigPath, validateConfig } from '@sideguard/core';

/** Where the CLI writes; injectable so it can be run and tested in-process. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const usage = `Usage: sideguard <command>

Commands:
  validate <config.json>   check a configuration file and list every problem with its path
  help                     show this text`;

/**
 * Runs the `sideguard` command line.
 * @param args - arguments after the program name
 * @param io - output streams
 * @returns the process exit code: 0 success, 1 invalid input, 2 usage error
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'validate':
      return validateCommand(rest, io);
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
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    io.err(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    return 1;
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    io.err(`${file} is not valid JSON: ${(error as Error).message}`);
    return 1;
  }
  const issues = validateConfig(config);
  if (issues.length === 0) {
    io.out(`${file}: valid`);
    return 0;
  }
  io.err(`${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}`);
  for (const issue of issues) io.err(`  - ${formatConfigPath(issue.path)}: ${issue.message}`);
  return 1;
}
