import { createServer, type Server } from 'node:http';
import { type AuditEvent, createGuard, type Guard, type Logger, type SideguardConfigInput } from '@sideguard/core';
import { sideguard } from '@sideguard/express';
import { SecretStore, type SidebandApiServer, startSidebandApiServer } from '@sideguard/server';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { close, listen, send } from '../../../tools/test-utils/http-client';

// Both ends of the PingAuthorize wire, over real sockets: client → Express + Sideguard connector →
// Sideguard's Sideband API server → the Express route (the "backend").

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function recorder() {
  const errors: string[] = [];
  const ignore = () => {};
  const logger: Logger = { debug: ignore, info: ignore, warn: ignore, error: (_c, message) => errors.push(message) };
  return { logger, errors };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The policy side: Basic users, identity headers, a deny rule and a response filter. */
const policy: SideguardConfigInput = {
  environments: {
    prod: { profiles: { partners: { type: 'basic', users: [{ username: 'alice', password: 'wonderland' }] } } },
  },
  apis: [{ name: 'persons', basePath: '/persons', environment: 'prod', profiles: ['partners'] }],
  rules: [
    { name: 'no-deletes', match: { methods: ['DELETE'] }, deny: { status: 403, body: { message: 'Access Denied' } } },
    { name: 'identity', request: { setHeaders: { 'sh-user': '{identity}' }, removeHeaders: ['x-app-id'] } },
    { name: 'hide-ssn', match: { path: '/persons/**' }, response: { removeFields: ['$.ssn', '$..password'] } },
  ],
};

async function sidebandServer(secrets: Record<string, string>, audit: AuditEvent[] = []): Promise<SidebandApiServer> {
  const store = new SecretStore();
  for (const [name, value] of Object.entries(secrets)) {
    await store.create(name, value);
    store.add(name);
  }
  const server = await startSidebandApiServer({
    config: policy,
    secrets: store,
    logger: recorder().logger,
    onAudit: (event) => audit.push(event),
  });
  cleanup.push(() => server.close());
  return server;
}

function gatewayConfig(endpoint: string, sharedSecret: string, responsePhase = true): SideguardConfigInput {
  return {
    apis: [{ name: 'persons', basePath: '/persons', sideband: ['pingauthorize'] }],
    sideband: { pingAuthorize: { endpoints: [endpoint], sharedSecret, timeoutMs: 2000, responsePhase } },
  };
}

/** The gateway: Sideguard first, the app's own body parser after it, then the backend route. */
async function gateway(config: SideguardConfigInput, logger: Logger = recorder().logger) {
  const seen: { method: string; url: string; headers: Record<string, unknown>; body: unknown }[] = [];
  const guard: Guard = createGuard(config, { logger });
  const app = express();
  app.use(sideguard(guard));
  app.use(express.json());
  app.use((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers, body: req.body });
    res.json({ name: 'Bruce Heller', ssn: '078-05-1120', account: { password: 'x', id: 7 } });
  });
  const server: Server = createServer(app);
  const address = await listen(server);
  cleanup.push(async () => {
    await close(server);
    await guard.close();
  });
  return { guard, address, seen };
}

describe('Express gateway ↔ Sideguard Sideband API server', () => {
  it('forwards the request as the policy modified it, and the response as the policy filtered it', async () => {
    const paz = await sidebandServer({ 'Shared Secret A': 'secret-a-0123456789' });
    const { address, seen } = await gateway(gatewayConfig(paz.url, 'secret-a-0123456789'));
    const response = await send(address, {
      method: 'POST',
      path: '/persons/7?expand=true',
      headers: {
        authorization: basic('alice', 'wonderland'),
        'x-app-id': 'PNG',
        'sh-user': 'mallory',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'Bruce' }),
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ name: 'Bruce Heller', account: { id: 7 } });
    expect(seen).toHaveLength(1);
    const [backend] = seen;
    expect(backend?.url).toBe('/persons/7?expand=true');
    expect(backend?.headers['sh-user']).toBe('alice');
    expect(backend?.headers['x-app-id']).toBeUndefined();
    // The body the connector read for the engine still reaches the app's own parser.
    expect(backend?.body).toEqual({ name: 'Bruce' });
  });

  it('denies before the backend: policy denial and failed authentication', async () => {
    const paz = await sidebandServer({ 'Shared Secret A': 'secret-a-0123456789' });
    const { address, seen } = await gateway(gatewayConfig(paz.url, 'secret-a-0123456789'));
    const denied = await send(address, {
      method: 'DELETE',
      path: '/persons/7',
      headers: { authorization: basic('alice', 'wonderland') },
    });
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toEqual({ message: 'Access Denied' });
    const unauthenticated = await send(address, {
      path: '/persons/7',
      headers: { authorization: basic('alice', 'no') },
    });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers['www-authenticate']).toMatch(/^Basic /);
    expect(seen).toHaveLength(0);
  });

  it('answers 502 and logs a shared-secret mismatch when the gateway holds the wrong secret', async () => {
    const paz = await sidebandServer({ 'Shared Secret A': 'secret-a-0123456789' });
    const { logger, errors } = recorder();
    const { address, seen } = await gateway(gatewayConfig(paz.url, 'not-the-secret'), logger);
    const response = await send(address, {
      path: '/persons/7',
      headers: { authorization: basic('alice', 'wonderland') },
    });
    expect(response.status).toBe(502);
    expect(seen).toHaveLength(0);
    expect(errors.join('\n')).toMatch(/shared secret/i);
    expect(errors.join('\n')).not.toContain('not-the-secret');
  });

  it('rotates the shared secret without a failed request', async () => {
    const paz = await sidebandServer({ 'Shared Secret A': 'secret-a-0123456789' });
    const gatewayA = await gateway(gatewayConfig(paz.url, 'secret-a-0123456789'));
    const statuses: number[] = [];
    let running = true;
    const load = (async () => {
      while (running) {
        const batch = await Promise.all(
          Array.from({ length: 8 }, () =>
            send(gatewayA.address, { path: '/persons/1', headers: { authorization: basic('alice', 'wonderland') } }),
          ),
        );
        for (const response of batch) statuses.push(response.status);
      }
    })();
    const settle = () => new Promise((resolve) => setTimeout(resolve, 150));
    await settle();
    // Seed 001: create B, add it to the accepted set, move the gateway over, remove A, delete A.
    await paz.secrets.create('Shared Secret B', 'secret-b-9876543210');
    paz.secrets.add('Shared Secret B');
    await settle();
    gatewayA.guard.reload(gatewayConfig(paz.url, 'secret-b-9876543210'));
    await settle();
    paz.secrets.remove('Shared Secret A');
    await settle();
    paz.secrets.delete('Shared Secret A');
    await settle();
    running = false;
    await load;
    expect(statuses.length).toBeGreaterThan(50);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(paz.secrets.list().map((secret) => secret.name)).toEqual(['Shared Secret B']);
    // The old secret is refused from now on.
    const stale = await gateway(gatewayConfig(paz.url, 'secret-a-0123456789'));
    const refused = await send(stale.address, {
      path: '/persons/1',
      headers: { authorization: basic('alice', 'wonderland') },
    });
    expect(refused.status).toBe(502);
  });

  it('keeps each exchange’s state apart under 1,000 concurrent exchanges', async () => {
    const audit: AuditEvent[] = [];
    const paz = await sidebandServer({ 'Shared Secret A': 'secret-a-0123456789' }, audit);
    const { address } = await gateway(gatewayConfig(paz.url, 'secret-a-0123456789'));
    // The server learns each exchange's path and id again only from the `state` its response phase gets.
    const responses = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        send(address, { path: `/persons/${i}`, headers: { authorization: basic('alice', 'wonderland') } }),
      ),
    );
    expect(responses.filter((response) => response.status !== 200)).toEqual([]);
    for (const response of responses) expect(JSON.parse(response.body)).not.toHaveProperty('ssn');
    // One audit event per exchange, finished under its own id and path: no state was sent twice.
    expect(audit).toHaveLength(1000);
    expect(new Set(audit.map((event) => event.exchangeId)).size).toBe(1000);
    expect(new Set(audit.map((event) => event.path))).toEqual(
      new Set(Array.from({ length: 1000 }, (_, i) => `/persons/${i}`)),
    );
  });
});
