import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A fixture running in its own process, so the load generator measures only HTTP. */
export interface Fixture {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts `bench/fixtures/<name>.ts` with the workspace sources and waits for the port it prints.
 * @param name - fixture file name without extension
 * @param args - its arguments
 */
export async function startFixture(name: string, args: string[] = []): Promise<Fixture> {
  const script = fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=sideguard-source', '--import', 'tsx', script, ...args],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`fixture ${name} exited with ${code}`)));
  });
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.stdin?.end();
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
