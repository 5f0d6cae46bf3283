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

  it('serves its APIs with Sideguard context', async () => {
    const res = await send(address, { path: '/api/orders' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ api: 'orders', clientIp: '127.0.0.1' });
    expect(JSON.parse((await send(address, { path: '/api/orders/2' })).body)).toMatchObject({ item: 'monitor' });
    expect(events.map((e) => `${e.api} ${e.status}`)).toContain('orders 200');
  });

  it('refuses everything outside its APIs and path tricks', async () => {
    expect((await send(address, { path: '/admin' })).status).toBe(404);
    expect((await send(address, { path: '/health/../admin' })).status).toBe(400);
  });
});
