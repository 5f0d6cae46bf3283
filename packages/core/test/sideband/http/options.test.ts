import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { testTls } from '../../../../../tools/test-utils/tls';
import { parseEndpointUrl } from '../../../src/sideband/http/endpoint-url';
import { classifyTransportFailure } from '../../../src/sideband/http/errors';
import { SidebandClient, type SidebandClientOptions } from '../../../src/sideband/http/index';
import { resolveTlsOptions } from '../../../src/sideband/http/tls-options';
import { spyLogger, tlsFile } from './helpers';

const clients: SidebandClient[] = [];

function create(options: Partial<SidebandClientOptions>): SidebandClient {
  const created = new SidebandClient({ endpoints: ['http://127.0.0.1:9'], logger: spyLogger(), ...options });
  clients.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((entry) => entry.close()));
});

describe('SidebandClient options', () => {
  it.each([
    [{ endpoints: [] }, /at least one/],
    [{ endpoints: undefined as unknown as string[] }, /at least one/],
    [{ endpoints: ['not a url'] }, /`endpoints\[0\]` must be an absolute URL/],
    [{ endpoints: ['http://ok:1', 'ftp://ase:21'] }, /`endpoints\[1\]` must use http: or https:/],
    [{ endpoints: ['https://user:secret@ase:8443'] }, /must not contain credentials/],
    [{ endpoints: ['https://ase:8443/?x=1'] }, /must not contain a query/],
    [{ endpoints: ['https://ase:8443', 'https://ase:8443/'] }, /`endpoints\[1\]` repeats/],
    [{ requestTimeoutMs: 0 }, /`requestTimeoutMs`/],
    [{ connectTimeoutMs: Number.NaN }, /`connectTimeoutMs`/],
    [{ requestTimeoutMs: 2 ** 31 }, /`requestTimeoutMs`/],
    [{ connections: 0 }, /`connections` must be an integer/],
    [{ connections: 1.5 }, /`connections`/],
    [{ maxResponseBytes: -1 }, /`maxResponseBytes`/],
    [{ recoveryCooldownMs: -5 }, /`recoveryCooldownMs`/],
    [{ healthCheck: { path: 'ase', intervalMs: 100 } }, /`healthCheck.path`/],
    [{ healthCheck: { path: '/ase', intervalMs: 0 } }, /`healthCheck.intervalMs`/],
  ])('rejects %j', (options, message) => {
    expect(() => create(options as Partial<SidebandClientOptions>)).toThrow(message);
  });

  it('never echoes a URL that may carry credentials', () => {
    expect(() => create({ endpoints: ['https://user:hunter2@ase:8443'] })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });

  it('accepts the documented defaults and a base path', () => {
    const client = create({ endpoints: ['https://ase.example:8443/pi/', 'http://[::1]:8000'] });
    expect(client.status().endpoints.map((endpoint) => endpoint.url)).toEqual([
      'https://ase.example:8443/pi',
      'http://[::1]:8000',
    ]);
  });
});

describe('parseEndpointUrl', () => {
  it('derives origin, base path and TLS server name', () => {
    expect(parseEndpointUrl('https://ase.example.com:8443/a/b//', 0)).toEqual({
      url: 'https://ase.example.com:8443/a/b',
      origin: 'https://ase.example.com:8443',
      basePath: '/a/b',
      secure: true,
      servername: 'ase.example.com',
    });
    expect(parseEndpointUrl('https://127.0.0.1:8443', 0).servername).toBeUndefined();
    expect(parseEndpointUrl('https://[::1]:8443', 0).servername).toBeUndefined();
    expect(parseEndpointUrl('http://ase:8000', 0)).toMatchObject({
      secure: false,
      servername: undefined,
      basePath: '',
    });
  });
});

describe('SidebandClient TLS options', () => {
  it('names an unreadable CA file', () => {
    expect(() => create({ tls: { caFiles: ['/nonexistent/ca.pem'] } })).toThrow(
      "Sideband TLS: cannot read `caFiles[0]` file '/nonexistent/ca.pem' (ENOENT)",
    );
  });

  it('rejects CA contents that are not certificates', () => {
    expect(() => create({ tls: { ca: ['hello'] } })).toThrow(/`ca\[0\]` is not PEM text/);
    expect(() => create({ tls: { ca: [Buffer.from('garbage bytes')] } })).toThrow(/neither a PEM nor a DER/);
    expect(() => create({ tls: { ca: ['-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n'] } })).toThrow(
      /contains no PEM certificate/,
    );
    expect(() => create({ tls: { caFiles: [tlsFile('client.key')] } })).toThrow(/contains no PEM certificate/);
  });

  it('requires both halves of a client certificate, each given once', () => {
    expect(() => create({ tls: { certFile: tlsFile('client.crt') } })).toThrow(/both a certificate and a key/);
    expect(() =>
      create({ tls: { cert: testTls.cert, certFile: tlsFile('client.crt'), keyFile: tlsFile('client.key') } }),
    ).toThrow(/either `cert` or `certFile`/);
  });

  it('rejects a wrong passphrase or a key that does not match, without echoing the key', () => {
    const key = readFileSync(tlsFile('client.key'), 'utf8');
    expect(() =>
      create({ tls: { certFile: tlsFile('client.crt'), keyFile: tlsFile('client-encrypted.key'), passphrase: 'no' } }),
    ).toThrow(/client certificate and key cannot be used/);
    let message = '';
    try {
      create({ tls: { cert: testTls.cert, key } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/client certificate and key cannot be used/);
    expect(message).not.toContain(key.split('\n')[1]);
  });

  it('builds one shared secure context only when custom CAs or a client certificate are given', () => {
    expect(resolveTlsOptions(undefined, spyLogger())).toEqual({ secureContext: undefined, rejectUnauthorized: true });
    expect(resolveTlsOptions({ rejectUnauthorized: false }, spyLogger())).toEqual({
      secureContext: undefined,
      rejectUnauthorized: false,
    });
    const resolved = resolveTlsOptions({ ca: [testTls.caDer], caFiles: [tlsFile('ca.crt')] }, spyLogger());
    expect(resolved.secureContext).toBeDefined();
    expect(resolved.rejectUnauthorized).toBe(true);
  });

  it('accepts a PEM bundle and a PEM file with a byte-order mark', () => {
    const bundle = `${testTls.ca.toString('utf8')}\n${testTls.cert.toString('utf8')}`;
    expect(resolveTlsOptions({ ca: [bundle] }, spyLogger()).secureContext).toBeDefined();
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), testTls.ca]);
    expect(resolveTlsOptions({ ca: [withBom] }, spyLogger()).secureContext).toBeDefined();
  });
});

describe('classifyTransportFailure', () => {
  const coded = (code: string, cause?: unknown) => Object.assign(new Error('x', { cause }), { code });

  it.each([
    [coded('ECONNREFUSED'), 'connect'],
    [coded('ENOTFOUND'), 'connect'],
    [coded('UND_ERR_CONNECT_TIMEOUT'), 'timeout'],
    [coded('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
    [coded('UND_ERR_BODY_TIMEOUT'), 'timeout'],
    [coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'tls'],
    [coded('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls'],
    [coded('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), 'tls'],
    [coded('CERT_HAS_EXPIRED'), 'tls'],
    [coded('UND_ERR_CLOSED'), 'closed'],
    [coded('UND_ERR_SOCKET'), 'other'],
    [coded('HPE_INVALID_CONSTANT'), 'other'],
    [new Error('no code'), 'other'],
    ['a string', 'other'],
    [coded('UND_ERR_SOCKET', coded('ECONNREFUSED')), 'connect'],
    [new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]), 'connect'],
  ])('maps %s', (error, code) => {
    expect(classifyTransportFailure(error).code).toBe(code);
  });
});
