import autocannon from 'autocannon';
import { startFixture } from '../child-process';
import type { BenchSuite } from '../suite';

interface Result {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(port: number, name: string): Promise<Result> {
  const url = `http://127.0.0.1:${port}/api/hello`;
  await autocannon({ url, connections: 32, duration: 1 });
  const result = await autocannon({ url, connections: 32, duration: 5 });
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

/** A gateway using Sideguard's own Sideband API server on loopback: request phase only, and both phases. */
export const sidebandPingAuthorizeSuite: BenchSuite = {
  id: 'sideband-pingauthorize',
  title: 'PingAuthorize sideband through the Sideband API server (Fastify)',
  async run() {
    const server = await startFixture('sideband-api-server');
    const serverUrl = `http://127.0.0.1:${server.port}`;
    const variants: [string, string][] = [
      ['bare', 'bare Fastify (no sideband call)'],
      ['pingauthorize-request', 'Fastify + Sideguard, PingAuthorize request phase'],
      ['pingauthorize-both', 'Fastify + Sideguard, PingAuthorize request and response phases'],
    ];
    const results: Result[] = [];
    for (const [variant, name] of variants) {
      const gateway = await startFixture('fastify-gateway', [variant, serverUrl]);
      results.push(await load(gateway.port, name));
      await gateway.stop();
    }
    await server.stop();
    const [bare] = results as [Result];
    const rows = results.map(
      (r) =>
        `| ${r.name} | ${Math.round(r.rps).toLocaleString('en-US')} | ${r.p50} | ${r.p99} | +${Math.max(0, r.p50 - bare.p50)} / +${Math.max(0, r.p99 - bare.p99)} | ${r.errors} |`,
    );
    return `| variant | req/s | p50 ms | p99 ms | added p50 / p99 vs bare, ms | errors |
| --- | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Set-up: autocannon with 32 connections for 5 s after a 1 s warm-up, against \`GET /api/hello\` (a small JSON
body). The gateway and Sideguard's Sideband API server (\`startSidebandApiServer\`, one shared secret,
a rule adding an identity header to the request and one removing \`$.secret\` from JSON responses) run in
their own processes on this 2-core machine, sharing the cores with the load generator. The request phase
is one \`/sideband/request\` call per request (the server authenticates the call, decides with its own
guard and seals the exchange into \`state\`); with both phases the gateway also holds the response, sends
it with that \`state\` to \`/sideband/response\` and returns the server's version.`;
  },
};
