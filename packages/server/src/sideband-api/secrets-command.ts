import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { describeError } from './describe-error';
import { SecretStore, SecretStoreError, type SharedSecretInfo } from './secrets/secret-store';
import { readServerConfig, updateServerSecrets } from './server-config';

/** Where the command writes, and where a new secret's value comes from. */
export interface SecretsCommandIo {
  out(line: string): void;
  err(line: string): void;
  /** Reads all of standard input. */
  readInput(): Promise<string>;
}

/** Usage of the command, also shown in the CLI's help. */
export const secretsUsage = `sideguard secrets create <name> --config server.json [--generate]
  sideguard secrets add|remove|delete <name> --config server.json
  sideguard secrets list --config server.json [--json]`;

/**
 * `sideguard secrets …`: Ping's shared-secret life cycle on a server config file. `create` stores a new
 * secret's hash (the value from standard input, or `--generate`d and printed once), `add` puts it in
 * use, `remove` takes it out of use, `delete` deletes one not in use, `list` shows names, use and
 * creation dates. A running `sideguard sideband-api` picks each change up at once.
 * @param args - arguments after `secrets`
 * @param io - output and standard input
 * @returns 0 success, 1 refused (unknown name, duplicate, in use, invalid file or value), 2 bad usage
 */
export async function secretsCommand(args: readonly string[], io: SecretsCommandIo): Promise<number> {
  const parsed = parseArgs(args);
  if (parsed === undefined) {
    io.err(`Usage: ${secretsUsage}`);
    return 2;
  }
  const { action, name, config } = parsed;
  const file = resolve(config);
  try {
    switch (action) {
      case 'list': {
        const { config: server } = await readServerConfig(file);
        const secrets = new SecretStore({ secrets: server.secrets, accepted: server.acceptedSecrets }).list();
        if (parsed.json) io.out(JSON.stringify(secrets, null, 2));
        else printTable(secrets, io);
        return 0;
      }
      case 'create': {
        const value = parsed.generate ? randomBytes(32).toString('base64url') : await readValue(io);
        if (value === undefined) {
          io.err('No secret on standard input (pipe it in, or use --generate).');
          return 1;
        }
        await updateServerSecrets(file, (store) => store.create(name, value));
        const next = `it is not in use until: sideguard secrets add "${name}" --config ${config}`;
        if (parsed.generate) {
          // The value alone on standard output, so scripts can capture it; it is shown this once only.
          io.out(value);
          io.err(`Created shared secret "${name}" (value above, shown once); ${next}`);
        } else io.out(`Created shared secret "${name}"; ${next}`);
        return 0;
      }
      case 'add': {
        const inUse = await updateServerSecrets(file, (store) => {
          store.add(name);
          return names(store);
        });
        io.out(`Shared secret "${name}" is in use. In use now: ${inUse.join(', ')}`);
        return 0;
      }
      case 'remove': {
        const inUse = await updateServerSecrets(file, (store) => {
          store.remove(name);
          return names(store);
        });
        io.out(`Shared secret "${name}" is no longer in use.`);
        if (inUse.length === 0) io.err('No shared secret is in use now: the server refuses every call.');
        return 0;
      }
      case 'delete':
        await updateServerSecrets(file, (store) => store.delete(name));
        io.out(`Deleted shared secret "${name}".`);
        return 0;
    }
  } catch (error) {
    io.err(error instanceof SecretStoreError ? error.message : describeError(config, error));
    return 1;
  }
}

type Action = 'create' | 'add' | 'remove' | 'delete' | 'list';

interface ParsedArgs {
  action: Action;
  name: string;
  config: string;
  generate: boolean;
  json: boolean;
}

function parseArgs(args: readonly string[]): ParsedArgs | undefined {
  const [action, ...rest] = args;
  if (action !== 'create' && action !== 'add' && action !== 'remove' && action !== 'delete' && action !== 'list') {
    return undefined;
  }
  let name: string | undefined;
  let config: string | undefined;
  let generate = false;
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (arg === '--config') {
      config = rest[++i];
      if (config === undefined) return undefined;
    } else if (arg === '--generate' && action === 'create') generate = true;
    else if (arg === '--json' && action === 'list') json = true;
    else if (!arg.startsWith('--') && name === undefined && action !== 'list') name = arg;
    else return undefined;
  }
  if (config === undefined || (action !== 'list' && name === undefined)) return undefined;
  return { action, name: name ?? '', config, generate, json };
}

async function readValue(io: SecretsCommandIo): Promise<string | undefined> {
  const value = (await io.readInput()).replace(/\r?\n$/, '');
  return value === '' ? undefined : value;
}

function names(store: SecretStore): string[] {
  return store
    .list()
    .filter((secret) => secret.inUse)
    .map((secret) => secret.name);
}

function printTable(secrets: readonly SharedSecretInfo[], io: SecretsCommandIo): void {
  if (secrets.length === 0) {
    io.out('No shared secrets.');
    return;
  }
  const width = Math.max(4, ...secrets.map((secret) => secret.name.length));
  io.out(`${'NAME'.padEnd(width)}  IN USE  CREATED`);
  for (const secret of secrets) {
    io.out(`${secret.name.padEnd(width)}  ${(secret.inUse ? 'yes' : 'no').padEnd(6)}  ${secret.createdAt}`);
  }
}
