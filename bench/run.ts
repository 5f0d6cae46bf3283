import { writeFile } from 'node:fs/promises';
import { cpus, totalmem, type } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchSuite } from './suite';
import { basicAuthSuite } from './suites/basic-auth';
import { ipRangesSuite } from './suites/ip-ranges';
import { jwtSuite } from './suites/jwt';
import { rateLimitMemorySuite } from './suites/ratelimit-memory';
import { rateLimitRedisSuite } from './suites/ratelimit-redis';
import { sidebandAseSuite } from './suites/sideband-ase';
import { sidebandPingAuthorizeSuite } from './suites/sideband-pingauthorize';

const suites: BenchSuite[] = [
  basicAuthSuite,
  jwtSuite,
  ipRangesSuite,
  rateLimitMemorySuite,
  rateLimitRedisSuite,
  sidebandAseSuite,
  sidebandPingAuthorizeSuite,
];

const only = process.argv.slice(2);
const chosen = only.length === 0 ? suites : suites.filter((suite) => only.includes(suite.id));
const sections: string[] = [];
for (const suite of chosen) {
  process.stdout.write(`running ${suite.id}…\n`);
  sections.push(`## ${suite.title}\n\n${await suite.run()}\n`);
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const header = `# Benchmarks

Produced by \`npm run bench\` (${only.length === 0 ? 'all suites' : `suites: ${only.join(', ')}`}) on ${new Date().toISOString().slice(0, 10)}.

Machine: ${type()} ${process.arch}, ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.
Numbers are from one run on a shared 2-core machine; compare rows within a table, not across runs.
`;
const target = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
await writeFile(target, `${header}\n${sections.join('\n')}`);
process.stdout.write(`wrote ${target}\n`);
