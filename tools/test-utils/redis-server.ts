import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A redis-server started by {@link startRedisServer}. */
export interface RedisServerHandle {
  /** Address the server listens on (loopback only). */
  host: '127.0.0.1';
  /** TCP port the server listens on. */
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** Shuts the server down (SIGTERM, then SIGKILL after 5 s) and waits until it has exited. */
  stop(): Promise<void>;
  /** Kills the server at once with SIGKILL, as an outage would; `stop()` afterwards waits for the exit. */
  kill(): void;
}

const startAttempts = 5;
const readyTimeoutMs = 5000;

/** Servers still running, killed when this process exits however the tests ended. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** Options of {@link startRedisServer}. */
export interface StartRedisServerOptions {
  /** Port to listen on, e.g. to bring a killed server back where its clients reconnect; a free one by default. */
  port?: number;
}

/**
 * Starts a throwaway `redis-server` from PATH on a free port of 127.0.0.1, without persistence, and
 * waits until it answers. The server is killed when this process exits, even if `stop()` was never called.
 * @param options - a fixed port instead of a free one
 * @throws Error when `redis-server` is not installed or does not come up
 */
export async function startRedisServer(options: StartRedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = findOnPath('redis-server');
  if (binary === undefined) {
    throw new Error('redis-server is not on PATH; install it (e.g. `apt-get install -y redis-server`)');
  }
  installExitHook();
  let lastError: unknown;
  for (let attempt = 0; attempt < startAttempts; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await launch(binary, port);
    } catch (error) {
      if (!(error instanceof AddressInUseError)) throw error;
      if (options.port !== undefined) throw new Error(`port ${port} is already in use`, { cause: error });
      // Another process may take the port between probing and binding; try a new one.
      lastError = error;
    }
  }
  throw new Error(`redis-server could not bind a free port after ${startAttempts} attempts`, { cause: lastError });
}

class AddressInUseError extends Error {}

async function launch(binary: string, port: number): Promise<RedisServerHandle> {
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      tmpdir(),
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    // Only the start-up lines matter (for error messages); cap what is kept.
    if (output.length < 8192) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
  });
  // A spawn failure (e.g. not executable) emits 'error' and then possibly no 'exit'.
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  void exited.then(() => running.delete(child));
  const isExited = () => child.exitCode !== null || child.signalCode !== null || spawnError !== undefined;

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (isExited()) {
      if (/address already in use/i.test(output)) throw new AddressInUseError(output.trim());
      throw new Error(`redis-server exited during start-up: ${spawnError?.message ?? output.trim()}`);
    }
    // Make sure the answer comes from our process, not from whatever else might hold the port.
    const info = await rawCommand(port, 'INFO server').catch(() => undefined);
    const pid = info === undefined ? undefined : /^process_id:(\d+)/m.exec(info)?.[1];
    if (pid === String(child.pid)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`redis-server did not answer on port ${port} within ${readyTimeoutMs} ms: ${output.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (!isExited()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await exited;
    },
    kill() {
      if (!isExited()) child.kill('SIGKILL');
    },
  };
}

/** A port no one listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Sends one inline command over a fresh TCP connection and resolves with the reply's text: the simple
 * string, error or bulk string. Enough for readiness checks without a client library.
 */
function rawCommand(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    const finish = (error: Error | undefined, text?: string) => {
      socket.destroy();
      if (error === undefined && text !== undefined) resolve(text);
      else reject(error ?? new Error('no reply'));
    };
    socket.setTimeout(timeoutMs, () => finish(new Error('timed out')));
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error('connection closed before a reply')));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const lineEnd = received.indexOf('\r\n');
      if (lineEnd < 0) return;
      const head = received.subarray(0, lineEnd).toString('latin1');
      if (head.startsWith('+') || head.startsWith('-')) return finish(undefined, head.slice(1));
      if (!head.startsWith('$')) return finish(new Error(`unexpected reply ${head}`));
      const length = Number(head.slice(1));
      if (received.length < lineEnd + 2 + length + 2) return;
      finish(undefined, received.subarray(lineEnd + 2, lineEnd + 2 + length).toString('utf8'));
    });
  });
}

function findOnPath(name: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}
