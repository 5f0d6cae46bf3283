import type { AuditEvent } from '@sideguard/core';
import { type SidebandApiServer, startSidebandApiServer } from '@sideguard/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { annAuth, annTrace, guardConfig, json, pingTrace, recordingLogger, sideband, storeWith } from './helpers';

describe('Sideband API request phase', () => {
  let server: SidebandApiServer;
  const audit: AuditEvent[] = [];
  beforeAll(async () => {
    server = await startSidebandApiServer({
      config: guardConfig,
      secrets: await storeWith(),
      logger: recordingLogger().logger,
      onAudit: (event) => audit.push(event),
    });
  });
  afterAll(() => server.close());

  it("accepts Ping's reference request and answers a protected API's challenge as the deny object", async () => {
    const result = await sideband(server.url, 'request', pingTrace());
    expect(result.status).toBe(200);
    expect(result.headers['content-type']).toBe('application/json');
    expect(result.headers['correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    // The bearer token is no Basic credential: the guard's 401 challenge, returned in Ping's deny shape.
    expect(json(result)).toEqual({
      response: {
        response_code: '401',
        response_status: 'UNAUTHORIZED',
        http_version: '1.1',
        headers: [
          { 'content-type': 'application/json; charset=utf-8' },
          { 'www-authenticate': 'Basic realm="persons", charset="UTF-8"' },
        ],
        body: JSON.stringify({ error: 'unauthenticated', message: 'Valid credentials are required.' }),
      },
    });
  });

  it('answers a rule deny with the documented deny object', async () => {
    const result = await sideband(server.url, 'request', annTrace({ method: 'DELETE' }));
    expect(json(result)).toEqual({
      response: {
        response_code: '403',
        response_status: 'FORBIDDEN',
        http_version: '1.1',
        headers: [{ 'content-type': 'application/json' }],
        body: '{"errorMessage":"Access Denied","status":403}',
      },
    });
  });

  it('allows with the identity header added, X-App-Id removed, everything else as sent, and a state', async () => {
    const result = await sideband(server.url, 'request', annTrace());
    expect(result.status).toBe(200);
    const reply = json(result);
    expect(reply).not.toHaveProperty('response');
    expect(reply).not.toHaveProperty('body'); // none was sent
    expect(reply).toMatchObject({
      source_ip: '::1',
      source_port: 46248,
      method: 'GET',
      http_version: '1.1',
      url: 'http://localhost:6443/persons/7d9fc465-ec1a-460c-ab38-435471f4918b',
    });
    expect(reply.headers).toEqual([
      { Accept: 'application/json' },
      { Authorization: annAuth },
      { 'User-Agent': 'PostmanRuntime/7.26.5' },
      { 'Cache-Control': 'no-cache' },
      // The gateway's own Host stays, although the guard routed on the URL's authority.
      { Host: 'localhost:8080' },
      // A response rule reads the body, so the upstream must answer uncompressed.
      { 'accept-encoding': 'identity' },
      { Connection: 'keep-alive' },
      { 'sh-user': 'ann' },
    ]);
    expect(reply.state).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    // Opaque: no identity or API name readable in it.
    expect(Buffer.from(reply.state as string, 'base64url').toString('latin1')).not.toMatch(/ann|persons/);
  });

  it('echoes source_port as the gateway sent it, string or number, and accepts 0 as unknown', async () => {
    expect(json(await sideband(server.url, 'request', annTrace({ source_port: '5034' }))).source_port).toBe('5034');
    expect(json(await sideband(server.url, 'request', annTrace({ source_port: 0 }))).source_port).toBe(0);
  });

  it('keeps the body, raw query, client certificate and token claims it was sent', async () => {
    const extra = {
      method: 'POST',
      url: 'https://api.example:8443/public/items?b=2&a=%20x#frag',
      body: '{"name":"x","audit":true}',
      client_certificate: { kty: 'EC', x5c: ['MIIB'] },
      access_token: { active: true, sub: '7d9f' },
    };
    const reply = json(await sideband(server.url, 'request', pingTrace(extra)));
    expect(reply).toMatchObject(extra);
    expect(reply.state).toEqual(expect.any(String));
  });

  it('reads a header object with several keys as that many entries, in order', async () => {
    const headers = [{ Authorization: annAuth, 'X-One': '1' }, { 'X-Two': '2' }];
    const reply = json(await sideband(server.url, 'request', annTrace({ headers })));
    expect(reply.headers).toEqual([
      { Authorization: annAuth },
      { 'X-One': '1' },
      { 'X-Two': '2' },
      { 'sh-user': 'ann' },
      { 'accept-encoding': 'identity' },
    ]);
  });

  it('echoes requests of no API unchanged and without state', async () => {
    const payload = pingTrace({ url: 'http://localhost:6443/elsewhere?q=1' });
    const reply = json(await sideband(server.url, 'request', payload));
    expect(reply).toEqual(payload);
  });

  it('audits denies under the correlation id it answers with', async () => {
    const result = await sideband(server.url, 'request', annTrace({ method: 'DELETE', source_ip: '203.0.113.9' }));
    const event = audit.find((entry) => entry.exchangeId === result.headers['correlation-id']);
    expect(event).toMatchObject({
      api: 'persons',
      identity: 'ann',
      clientIp: '203.0.113.9',
      method: 'DELETE',
      status: 403,
      decision: 'respond',
    });
  });

  it('routes on the URL authority: an API bound to a host sees the URL host, not the Host header', async () => {
    const bound = await startSidebandApiServer({
      config: { apis: [{ name: 'h', host: 'api.example', basePath: '/' }], unmatched: 'deny' },
      secrets: await storeWith(),
      logger: recordingLogger().logger,
    });
    try {
      const headers = [{ Host: 'gateway.internal:8080' }];
      const routed = json(await sideband(bound.url, 'request', pingTrace({ url: 'https://api.example/x', headers })));
      expect(routed).not.toHaveProperty('response');
      expect(routed.headers).toEqual(headers);
      const other = json(await sideband(bound.url, 'request', pingTrace({ url: 'https://other.example/x', headers })));
      expect(other).toMatchObject({ response: { response_code: '404', response_status: 'NOT FOUND' } });
    } finally {
      await bound.close();
    }
  });

  it('enforces SSL-only on the URL scheme', async () => {
    const strict = await startSidebandApiServer({
      config: { apis: [{ name: 's', basePath: '/', sslOnly: 'reject' }] },
      secrets: await storeWith(),
      logger: recordingLogger().logger,
    });
    try {
      const plain = json(await sideband(strict.url, 'request', pingTrace({ url: 'http://api.example/x' })));
      expect(plain).toMatchObject({ response: { response_code: '403' } });
      const tls = json(await sideband(strict.url, 'request', pingTrace({ url: 'https://api.example/x' })));
      expect(tls).not.toHaveProperty('response');
    } finally {
      await strict.close();
    }
  });
});
