import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { testTls } from '../../../../../tools/test-utils/tls';
import {
  SidebandClient,
  type SidebandClientOptions,
  type SidebandTlsOptions,
  SidebandTransportError,
} from '../../../src/sideband/http/index';
import { closeAllServers, type SpyLogger, spyLogger, startHttps, type TestServer, tlsFile } from './helpers';

const clients: SidebandClient[] = [];

function client(options: SidebandClientOptions): SidebandClient {
  const created = new SidebandClient({ logger: spyLogger(), ...options });
  clients.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((entry) => entry.close()));
  await closeAllServers();
});

const serverTls = { cert: testTls.cert, key: testTls.key };

async function call(server: TestServer, tls: SidebandTlsOptions, logger: SpyLogger = spyLogger()) {
  const sideband = client({ endpoints: [server.url], tls, logger });
  return sideband.send({ method: 'POST', path: '/ase/request', headers: {}, body: '{}' });
}

async function failure(promise: Promise<unknown>): Promise<SidebandTransportError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SidebandTransportError);
  return error as SidebandTransportError;
}

describe('SidebandClient over TLS', () => {
  it('trusts a CA given as PEM text', async () => {
    const server = await startHttps(serverTls);
    const reply = await call(server, { ca: [testTls.ca.toString('utf8')] });
    expect(reply.status).toBe(200);
    expect(reply.endpoint).toBe(server.url);
  });

  it('trusts a CA given as a PEM file path', async () => {
    const server = await startHttps(serverTls);
    expect((await call(server, { caFiles: [tlsFile('ca.crt')] })).status).toBe(200);
  });

  it('trusts a CA given as a DER file path', async () => {
    const server = await startHttps(serverTls);
    expect((await call(server, { caFiles: [tlsFile('ca.der')] })).status).toBe(200);
  });

  it('trusts a CA given as DER file contents', async () => {
    const server = await startHttps(serverTls);
    expect((await call(server, { ca: [testTls.caDer] })).status).toBe(200);
  });

  it("fails with 'tls' when the server certificate is not trusted", async () => {
    const server = await startHttps(serverTls);
    const error = await failure(call(server, {}));
    expect(error.code).toBe('tls');
    expect(error.endpoint).toBe(server.url);
  });

  it('skips verification only with rejectUnauthorized: false, logging one warning', async () => {
    const server = await startHttps(serverTls);
    const logger = spyLogger();
    const sideband = client({ endpoints: [server.url], tls: { rejectUnauthorized: false }, logger });
    for (let i = 0; i < 3; i++) {
      expect((await sideband.send({ method: 'GET', path: '/ase', headers: {} })).status).toBe(200);
    }
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]?.[1]).toMatch(/verification is disabled/);
  });

  it('logs no TLS warning when verification is on', async () => {
    const server = await startHttps(serverTls);
    const logger = spyLogger();
    await call(server, { ca: [testTls.ca] }, logger);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});

describe('SidebandClient with mTLS', () => {
  const mtlsServer = () => startHttps({ ...serverTls, ca: testTls.ca, requestCert: true, rejectUnauthorized: true });

  it('presents a client certificate from files', async () => {
    const server = await mtlsServer();
    const reply = await call(server, {
      caFiles: [tlsFile('ca.crt')],
      certFile: tlsFile('client.crt'),
      keyFile: tlsFile('client.key'),
    });
    expect(reply.status).toBe(200);
    expect(server.requests[0]?.clientCn).toBe('sideguard-test-client');
  });

  it('presents a client certificate given as PEM with an encrypted key and its passphrase', async () => {
    const server = await mtlsServer();
    const reply = await call(server, {
      ca: [testTls.ca],
      cert: readFileSync(tlsFile('client.crt'), 'utf8'),
      key: readFileSync(tlsFile('client-encrypted.key')),
      passphrase: 'sideguard-test',
    });
    expect(reply.status).toBe(200);
    expect(server.requests[0]?.clientCn).toBe('sideguard-test-client');
  });

  it('is refused by the server without a client certificate', async () => {
    const server = await mtlsServer();
    const error = await failure(call(server, { ca: [testTls.ca] }));
    // Under TLS 1.3 the client finishes its handshake first; the server then drops the connection, which
    // usually surfaces as a plain close ('other', UND_ERR_SOCKET) rather than a TLS alert ('tls').
    expect(['tls', 'other']).toContain(error.code);
    expect(server.requests).toHaveLength(0);
  });
});
