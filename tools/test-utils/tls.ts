import { readFileSync } from 'node:fs';

const read = (name: string) => readFileSync(new URL(`./tls/${name}`, import.meta.url));

/** Test-only TLS material: a CA and a server certificate for localhost, 127.0.0.1 and ::1. */
export const testTls = {
  ca: read('ca.crt'),
  caDer: read('ca.der'),
  cert: read('server.crt'),
  key: read('server.key'),
};
