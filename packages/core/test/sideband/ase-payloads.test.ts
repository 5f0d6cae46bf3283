import { describe, expect, it } from 'vitest';
import { createGatewayRequest } from '../../src/http/gateway-request';
import { aseRequestPayload, aseResponsePayload } from '../../src/sideband/ase/payloads';
import { filterHeaders, type HeaderFilterSettings } from '../../src/sideband/header-filter';

const sendAll: HeaderFilterSettings = {
  mode: 'deny',
  names: new Set(),
  redact: new Set(),
  sendCredentials: true,
  redactionKey: 'k',
  maxHeaders: 100,
  maxBytes: 16_384,
};

describe('ASE payloads', () => {
  it("matches Ping's documented request example field by field", () => {
    const request = createGatewayRequest(
      {
        method: 'GET',
        target: '/api3?query=eyJ0eXAiOiJKV1Qi...&abc=xyz',
        httpVersion: '1.1',
        headers: [
          ['Content-Type', 'application/xml'],
          ['Host', 'shop.com'],
          ['Content-Length', '100'],
          ['X-Forwarded-For', 'dev.pxy.com'],
          ['User-Agent', 'Mozilla/5.0 ...'],
        ],
        remoteAddress: '127.0.0.1',
        remotePort: 12345,
        encrypted: false,
      },
      { trustedProxies: undefined, maxBodyBytes: 1024 },
    );
    const payload = aseRequestPayload(request, sendAll, { username: 'abc', clientId: 'cabfsghhbsag' });
    expect(JSON.parse(JSON.stringify(payload))).toEqual({
      source_ip: '127.0.0.1',
      source_port: 12345,
      method: 'GET',
      url: '/api3?query=eyJ0eXAiOiJKV1Qi...&abc=xyz',
      http_version: '1.1',
      user_info: [{ username: 'abc', client_id: 'cabfsghhbsag' }],
      headers: [
        { host: 'shop.com' },
        { 'content-type': 'application/xml' },
        { 'content-length': '100' },
        { 'x-forwarded-for': 'dev.pxy.com' },
        { 'user-agent': 'Mozilla/5.0 ...' },
      ],
    });
    expect(Object.keys(payload)).not.toContain('body');
  });

  it('omits user_info for anonymous callers and keeps repeated headers as repeated entries', () => {
    const request = createGatewayRequest(
      {
        method: 'POST',
        target: '/mashery',
        httpVersion: '1.1',
        headers: [
          ['Host', 'chains.api.example.com'],
          ['X-API-Key', '3aj4q6s7cv8a8547g56s6txf'],
          ['Accept', 'text/html'],
          ['accept', 'application/json'],
        ],
        remoteAddress: '::ffff:10.0.0.3',
        remotePort: 80,
        encrypted: false,
      },
      { trustedProxies: undefined, maxBodyBytes: 1024 },
    );
    const payload = aseRequestPayload(request, sendAll, undefined);
    expect(payload.source_ip).toBe('10.0.0.3');
    expect(payload.user_info).toBeUndefined();
    expect(payload.headers).toEqual([
      { host: 'chains.api.example.com' },
      { 'x-api-key': '3aj4q6s7cv8a8547g56s6txf' },
      { accept: 'text/html' },
      { accept: 'application/json' },
    ]);
  });

  it('matches the documented response shape with a string status code', () => {
    const payload = aseResponsePayload(
      200,
      [
        ['Content-Type', 'application/xml'],
        ['Content-Length', '442'],
        ['Access-Control-Allow-Methods', 'POST, GET, OPTIONS, DELETE'],
      ],
      sendAll,
    );
    expect(payload).toEqual({
      response_code: '200',
      response_status: 'OK',
      http_version: '1.1',
      headers: [
        { 'content-type': 'application/xml' },
        { 'content-length': '442' },
        { 'access-control-allow-methods': 'POST, GET, OPTIONS, DELETE' },
      ],
    });
  });
});

describe('sideband header filter', () => {
  const headers: [string, string][] = [
    ['Host', 'api.test'],
    ['Cookie', 'session=abc'],
    ['Authorization', 'Bearer secret-token'],
    ['X-Api-Key', 'key-123'],
    ['User-Agent', 'curl'],
    ['X-Internal', 'yes'],
  ];
  const base: HeaderFilterSettings = { ...sendAll, sendCredentials: false };

  it('drops credentials by default and denies listed headers, host always first', () => {
    expect(filterHeaders(headers, { ...base, names: new Set(['x-internal']) }, 'api.test')).toEqual([
      { host: 'api.test' },
      { 'x-api-key': 'key-123' },
      { 'user-agent': 'curl' },
    ]);
  });

  it('allows only listed headers in allow mode, host included', () => {
    expect(filterHeaders(headers, { ...base, mode: 'allow', names: new Set(['user-agent']) }, 'api.test')).toEqual([
      { host: 'api.test' },
      { 'user-agent': 'curl' },
    ]);
  });

  it('redacts chosen values with a keyed SHA-256, stable per key', () => {
    const settings = { ...base, redact: new Set(['authorization', 'x-api-key']), redactionKey: 'secret' };
    const first = filterHeaders(headers, settings, 'api.test');
    expect(first).toContainEqual({ authorization: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.stringify(first)).not.toContain('secret-token');
    expect(JSON.stringify(first)).not.toContain('key-123');
    expect(filterHeaders(headers, settings, 'api.test')).toEqual(first);
    expect(filterHeaders(headers, { ...settings, redactionKey: 'other' }, 'api.test')).not.toEqual(first);
  });

  it('caps the number and size of entries', () => {
    const many: [string, string][] = Array.from({ length: 50 }, (_, i) => [`x-h${i}`, 'v'.repeat(100)]);
    expect(filterHeaders(many, { ...base, maxHeaders: 10 }, 'h')).toHaveLength(10);
    expect(filterHeaders(many, { ...base, maxBytes: 1000 }, 'h').length).toBeLessThan(11);
  });
});
