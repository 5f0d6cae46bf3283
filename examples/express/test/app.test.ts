import { createServer } from 'node:http';
import type { AuditEvent } from '@sideguard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen, send } from '../../../tools/test-utils/http-client';
import { buildApp } from '../src/app';
import { demoConfig } from '../src/config';

describe('Express demo', () => {
  const events: AuditEvent[] = [];
  const server = createServer(buildApp(demoConfig, { onAudit: (e) => events.push(e) }));
  let address: { host: string; port: number };
  beforeAll(async () => {
    address = await listen(server);
  });
  afterAll(() => close(server));

  const demo = { authorization: `Basic ${Buffer.from('demo:sideguard').toString('base64')}` };

  it('serves its APIs with Sideguard context to the right callers', async () => {
    expect((await send(address, { path: '/health' })).status).toBe(200);
    const refused = await send(address, { path: '/api/orders' });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Basic realm="Sideguard demo", charset="UTF-8"');
    const res = await send(address, { path: '/api/orders', headers: demo });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ api: 'orders', user: 'demo', clientIp: '127.0.0.1' });
    expect(JSON.parse((await send(address, { path: '/api/orders/2', headers: demo })).body)).toMatchObject({
      item: 'monitor',
    });
    expect(events.map((e) => `${e.api} ${e.identity} ${e.status}`)).toEqual(
      expect.arrayContaining(['health Anonymous 200', 'orders undefined 401', 'orders demo 200']),
    );
  });

  it('refuses everything outside its APIs and path tricks', async () => {
    expect((await send(address, { path: '/admin' })).status).toBe(404);
    expect((await send(address, { path: '/health/../admin' })).status).toBe(400);
  });
});
