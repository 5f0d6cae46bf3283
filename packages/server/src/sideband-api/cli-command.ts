import { resolve } from 'node:path';
import type { Logger, LogMethod } from '@sideguard/core';
import { stopped } from '../cli/stopped';
import { describeError } from './describe-error';
import { FileWatcher } from './file-watcher';
import { SecretStore } from './secrets/secret-store';
import { startSidebandApiServer } from './server';
import { type ResolvedServerConfig, resolveServerConfig } from './server-config';
import type { SidebandApiServer } from './types';

/** Where the command writes, and what stops it (the `sideguard` CLI's I/O). */
export interface SidebandApiCommandIo {
  out(line: string): void;
  err(line: string): void;
  /** Stops the server when aborted; without it, SIGINT or SIGTERM does. */
  signal?: AbortSignal;
}

/** Usage line of the command, also shown in the CLI's help. */
export const sidebandApiUsage = 'sideguard sideband-api --config server.json [--host H] [--port N]';

/**
 * `sideguard sideband-api`: serves the Sideband API from a server config file until stopped. When the
 * file (or the guard config it names) changes, or on SIGHUP, secrets, header name, limits and guard
 * config are reloaded at once without dropping calls; an invalid file is reported and the running
 * configuration stays. Listening address, TLS and state key apply at the next start.
 * @param args - arguments after the command name
 * @param io - output and stop signal
 * @returns 0 after a clean stop, 1 for an invalid config or a listen error, 2 for bad usage
 */
export async function sidebandApiCommand(args: readonly string[], io: SidebandApiCommandIo): Promise<number> {
  const parsed = parseArgs(args);
  if (parsed === undefined) {
    io.err(`Usage: ${sidebandApiUsage}`);
    return 2;
  }
  const file = resolve(parsed.config);
  let first: ResolvedServerConfig;
  try {
    first = await resolveServerConfig(file);
  } catch (error) {
    io.err(describeError(parsed.config, error));
    return 1;
  }
  const { config } = first;
  let server: SidebandApiServer;
  try {
    server = await startSidebandApiServer({
      config: first.guardConfig,
      secrets: new SecretStore(first.secrets),
      sharedSecretHeader: config.sharedSecretHeader,
      requestLimitBytes: config.requestLimitBytes,
      stateTtlSeconds: config.stateTtlSeconds,
      host: parsed.host ?? config.listen.host,
      port: parsed.port ?? config.listen.port,
      ...(first.stateKey === undefined ? {} : { stateKey: first.stateKey }),
      ...(first.tls === undefined ? {} : { tls: first.tls }),
      logger: lineLogger(io),
    });
  } catch (error) {
    // Config problems here are the guard config's; others (EADDRINUSE) are about listening.
    io.err(describeError(config.guardConfig ?? parsed.config, error));
    return 1;
  }
  io.out(`Sideband API listening on ${server.url}`);
  io.out(`Shared secrets in use: ${first.secrets.accepted.length} (header ${first.config.sharedSecretHeader})`);
  if (first.stateKey === undefined) {
    io.err('No stateKey configured: state is sealed with a random key, so only this process can open it');
  }

  let lastGuardText = JSON.stringify(first.guardConfig);
  let queue = Promise.resolve();
  let queued = false;
  const reload = (trigger: string) => {
    if (queued) return; // One reload waiting is enough: it reads the newest file.
    queued = true;
    queue = queue.then(async () => {
      queued = false;
      let next: ResolvedServerConfig;
      try {
        next = await resolveServerConfig(file);
      } catch (error) {
        io.err(`Reload rejected; the running configuration stays in force. ${describeError(parsed.config, error)}`);
        return;
      }
      // An unchanged guard config is not recompiled on a secret rotation; SIGHUP always reloads it.
      const guardText = JSON.stringify(next.guardConfig);
      try {
        server.reload({
          ...(trigger === 'SIGHUP' || guardText !== lastGuardText ? { config: next.guardConfig } : {}),
          secrets: next.secrets,
          sharedSecretHeader: next.config.sharedSecretHeader,
          requestLimitBytes: next.config.requestLimitBytes,
          stateTtlSeconds: next.config.stateTtlSeconds,
        });
      } catch (error) {
        const where = next.config.guardConfig ?? parsed.config;
        io.err(`Reload rejected; the running configuration stays in force. ${describeError(where, error)}`);
        return;
      }
      lastGuardText = guardText;
      watcher.watch([file, ...next.watchedFiles]);
      io.out(`Reloaded ${parsed.config} (${trigger}): shared secrets in use: ${next.secrets.accepted.length}`);
      if (needsRestart(first.config, next.config)) io.err('Changes to listen, tls or stateKey apply at the next start');
    });
  };
  const watcher = new FileWatcher(
    () => reload('file changed'),
    (error) => io.err(`Cannot watch for config changes: ${error.message}`),
  );
  watcher.watch([file, ...first.watchedFiles]);
  const onHangUp = () => reload('SIGHUP');
  process.on('SIGHUP', onHangUp);

  await stopped(io.signal);
  process.off('SIGHUP', onHangUp);
  watcher.close();
  await queue;
  await server.close();
  io.out('Sideband API stopped');
  return 0;
}

interface ParsedArgs {
  config: string;
  host?: string;
  port?: number;
}

function parseArgs(args: readonly string[]): ParsedArgs | undefined {
  let config: string | undefined;
  const parsed: Partial<ParsedArgs> = {};
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[++i];
    if (value === undefined || value.startsWith('--')) return undefined;
    if (flag === '--config') config = value;
    else if (flag === '--host') parsed.host = value;
    else if (flag === '--port' && /^\d{1,5}$/.test(value) && Number(value) <= 65_535) parsed.port = Number(value);
    else return undefined;
  }
  return config === undefined ? undefined : { ...parsed, config };
}

function needsRestart(before: ResolvedServerConfig['config'], after: ResolvedServerConfig['config']): boolean {
  const fixed = (config: ResolvedServerConfig['config']) =>
    JSON.stringify([config.listen, config.tls ?? null, config.stateKey ?? null]);
  return fixed(before) !== fixed(after);
}

/** Log entries as JSON lines on the command's error stream (never secrets: the server logs none). */
function lineLogger(io: SidebandApiCommandIo): Logger {
  const method =
    (level: string): LogMethod =>
    (context, message) =>
      io.err(JSON.stringify({ level, time: new Date().toISOString(), ...context, msg: message }));
  return { debug: () => {}, info: method('info'), warn: method('warn'), error: method('error') };
}
