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

/** One sideband hop: bare Fastify, the hand-written floor, the naive fetch() version, and Sideguard. */
export const sidebandAseSuite: BenchSuite = {
  id: 'sideband-ase',
  title: 'ASE sideband hop (Fastify)',
  async run() {
    const ase = await startFixture('null-ase');
    const aseUrl = `http://127.0.0.1:${ase.port}`;
    const variants: [string, string][] = [
      ['bare', 'bare Fastify (no sideband call)'],
      ['sideguard-plain', 'Fastify + Sideguard, no sideband (adapter and pipeline only)'],
      ['floor', 'floor: hand-written hook, one undici Pool request per client request'],
      ['naive', 'naive: the same hook with fetch()'],
      ['sideguard', 'Fastify + Sideguard, ASE connector'],
    ];
    const results: Result[] = [];
    for (const [variant, name] of variants) {
      const gateway = await startFixture('fastify-gateway', [variant, aseUrl]);
      results.push(await load(gateway.port, name));
      await gateway.stop();
    }
    await ase.stop();
    const [bare, , floor, naive, ours] = results as [Result, Result, Result, Result, Result];
    const rows = results.map(
      (r) =>
        `| ${r.name} | ${Math.round(r.rps).toLocaleString('en-US')} | ${r.p50} | ${r.p99} | +${Math.max(0, r.p50 - bare.p50)} / +${Math.max(0, r.p99 - bare.p99)} | ${r.errors} |`,
    );
    return `| variant | req/s | p50 ms | p99 ms | added p50 / p99 vs bare, ms | errors |
| --- | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Sideguard reaches ${((ours.rps / floor.rps) * 100).toFixed(0)}% of the floor's throughput (target ≥ 80%) and
${(ours.rps / naive.rps).toFixed(1)}× the naive fetch() version (target ≥ 4×). Set-up: autocannon with 32 connections
for 5 s after a 1 s warm-up, against \`GET /api/hello\`; each gateway variant and a do-nothing ASE (200, empty body,
keep-alive) run in their own processes on this 2-core machine, so the load generator, gateway and ASE share the
cores. Sideguard's response phase is off here, so every variant makes exactly one sideband call per request.`;
  },
};
