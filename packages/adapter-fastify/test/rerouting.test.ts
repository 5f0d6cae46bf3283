import { type ContinueDecision, createGuard, withRequestChanges } from '@sideguard/core';
import { sideguardPlugin } from '@sideguard/fastify';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { send } from '../../../tools/test-utils/http-client';
import {
  captureWith,
  type GuardTweaks,
  readBody,
  replacement,
  rewriteRequest,
  type TweakedGuard,
  tweakGuard,
} from '../../../tools/test-utils/tweaked-guard';

const apps: FastifyInstance[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

const ignore = (): void => {};
const quiet = { debug: ignore, info: ignore, warn: ignore, error: ignore };
const json = { 'content-type': 'application/json' };

interface Running {
  address: { host: string; port: number };
  guard: TweakedGuard;
  /** Hooks and handlers in the order they ran, with the method and route they ran for. */
  ran: string[];
  /** How many times the guard was asked. */
  asked(): number;
}

/**
 * An app with `GET`, `PUT` and `POST /orders/:id` and hooks registered after the plugin that note when
 * they run. `PUT` has its own `onRequest` hook.
 */
async function start(
  rewrite: NonNullable<GuardTweaks['continue']>,
  respond?: GuardTweaks['respond'],
  options: FastifyServerOptions = {},
): Promise<Running> {
  let asked = 0;
  const guard = tweakGuard(createGuard({ apis: [{ name: 'orders', basePath: '/orders' }] }, { logger: quiet }), {
    continue: (decision) => {
      asked++;
      return rewrite(decision);
    },
    respond,
  });
  const ran: string[] = [];
  const app = Fastify(options);
  apps.push(app);
  await app.register(sideguardPlugin, { guard });
  app.addHook('onRequest', async (request) => {
    ran.push(`onRequest ${request.method} ${request.routeOptions.url}`);
  });
  app.addHook('preHandler', async (request) => {
    ran.push(`preHandler ${request.method} ${request.routeOptions.url}`);
  });
  const echo = async (request: {
    method: string;
    params: unknown;
    query: unknown;
    originalUrl: string;
    body: unknown;
    sideguard: { api?: { name: string } | undefined } | null;
  }) => {
    ran.push(`handler ${request.method}`);
    return {
      method: request.method,
      params: request.params,
      query: request.query,
      originalUrl: request.originalUrl,
      body: request.body ?? null,
      api: request.sideguard?.api?.name ?? null,
    };
  };
  app.get('/orders/:id', echo);
  app.post('/orders/:id', echo);
  app.put('/orders/:id', { onRequest: async () => void ran.push('onRequest of the PUT route') }, echo);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on a port');
  return { address: { host: '127.0.0.1', port: address.port }, guard, ran, asked: () => asked };
}

describe('Fastify plugin, requests the guard rewrote', () => {
  it('routes a rewritten URL and query to the params and query of the new URL', async () => {
    const app = await start(rewriteRequest('GET', '/orders/2?x=2'));
    const res = await send(app.address, { path: '/orders/1?x=1' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      method: 'GET',
      params: { id: '2' },
      query: { x: '2' },
      originalUrl: '/orders/1?x=1',
      body: null,
      api: 'orders',
    });
    expect(app.asked()).toBe(1);
    // The first routing stopped at the guard: no later hook ran for it, and the new one ran each once.
    expect(app.ran).toEqual(['onRequest GET /orders/:id', 'preHandler GET /orders/:id', 'handler GET']);
  });

  it("routes a rewritten method to the new method's route, with the body the guard read", async () => {
    const rewrite = rewriteRequest('POST', '/orders/2?x=2');
    const app = await start(async (decision) => rewrite(await readBody(decision)));
    const body = JSON.stringify({ order: 1 });
    const res = await send(app.address, { method: 'PUT', path: '/orders/1?x=1', headers: json, body });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      method: 'POST',
      params: { id: '2' },
      query: { x: '2' },
      body: { order: 1 },
      api: 'orders',
    });
    expect(app.asked()).toBe(1);
    expect(app.ran).toEqual(['onRequest POST /orders/:id', 'preHandler POST /orders/:id', 'handler POST']);
  });

  it('captures and replaces the response of the new route', async () => {
    const rewrite = rewriteRequest('GET', '/orders/3');
    const capture = captureWith({ maxBytes: 4096, onOverflow: undefined });
    const app = await start(
      (decision) => capture(rewrite(decision)),
      (response) => {
        const { params } = JSON.parse(Buffer.from(response.body ?? []).toString('utf8'));
        return replacement(200, [['content-type', 'text/plain']], `replaced order ${params.id}`);
      },
    );
    const res = await send(app.address, { path: '/orders/1' });
    expect(res).toMatchObject({ status: 200, body: 'replaced order 3' });
    expect(res.headers['content-length']).toBe(String(res.body.length));
    expect(app.guard.reports).toHaveLength(1);
    expect(app.ran).toEqual(['onRequest GET /orders/:id', 'preHandler GET /orders/:id', 'handler GET']);
  });

  it("keeps the client's URL as originalUrl when the app also rewrites URLs", async () => {
    const app = await start(rewriteRequest('GET', '/v1/orders/2'), undefined, {
      // Like a proxy prefix being stripped; it leaves a URL it already rewrote alone.
      rewriteUrl: (req) => (req.url ?? '/').replace(/^\/v1\//, '/'),
    });
    const res = await send(app.address, { path: '/v1/orders/1' });
    expect(JSON.parse(res.body)).toMatchObject({ params: { id: '2' }, originalUrl: '/v1/orders/1' });
  });

  it('answers 500 instead of hanging when the app fails to route the rewritten request', async () => {
    const app = await start(rewriteRequest('GET', '/unroutable'), undefined, {
      rewriteUrl: (req) => {
        if (req.url === '/unroutable') throw new Error('refused by rewriteUrl');
        return req.url ?? '/';
      },
    });
    const res = await send(app.address, { path: '/orders/1' });
    expect(res.status).toBe(500);
    expect(app.ran).toEqual([]);
  });
});

/** A `continue` tweak: one header line set to a new value, as a PingAuthorize policy may do to any header. */
function setHeader(name: string, value: string): (decision: ContinueDecision) => ContinueDecision {
  return (decision) => {
    const headers = decision.request.headers.filter(([line]) => line.toLowerCase() !== name.toLowerCase());
    headers.push([name, value]);
    return { ...decision, request: withRequestChanges(decision.request, { headers }) };
  };
}

/**
 * An app with one path served by routes constrained by `Host` and by `Accept-Version`, each answering
 * its own name, and an `onRequest` hook registered before the plugin that counts routing passes.
 */
async function startConstrained(
  rewrite: NonNullable<GuardTweaks['continue']>,
): Promise<{ address: { host: string; port: number }; ran: string[] }> {
  const guard = tweakGuard(createGuard({ apis: [{ name: 'orders', basePath: '/orders' }] }, { logger: quiet }), {
    continue: rewrite,
  });
  const ran: string[] = [];
  const app = Fastify();
  apps.push(app);
  app.addHook('onRequest', async () => void ran.push('routed'));
  await app.register(sideguardPlugin, { guard });
  const answer = (name: string) => async () => {
    ran.push(name);
    return name;
  };
  app.get('/orders/panel', { constraints: { host: 'admin.example' } }, answer('admin'));
  app.get('/orders/panel', { constraints: { host: 'public.example' } }, answer('public'));
  app.get('/orders/api', { constraints: { version: '1.0.0' } }, answer('v1'));
  app.get('/orders/api', { constraints: { version: '2.0.0' } }, answer('v2'));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on a port');
  return { address: { host: '127.0.0.1', port: address.port }, ran };
}

describe('Fastify plugin, requests whose routing headers the guard rewrote', () => {
  it('routes a rewritten Host to the route constrained to the new host', async () => {
    const app = await startConstrained(setHeader('HOST', 'public.example'));
    const res = await send(app.address, { path: '/orders/panel', headers: { host: 'admin.example' } });
    expect(res).toMatchObject({ status: 200, body: 'public' });
    expect(app.ran).toEqual(['routed', 'routed', 'public']);
  });

  it('routes a rewritten Accept-Version to the route of the new version', async () => {
    const app = await startConstrained(setHeader('accept-version', '2.x'));
    const res = await send(app.address, { path: '/orders/api', headers: { 'accept-version': '1.x' } });
    expect(res).toMatchObject({ status: 200, body: 'v2' });
    expect(app.ran).toEqual(['routed', 'routed', 'v2']);
  });

  it('does not route again for a header that routes nothing', async () => {
    const app = await startConstrained(setHeader('x-identity', 'alice'));
    const res = await send(app.address, { path: '/orders/panel', headers: { host: 'admin.example' } });
    expect(res).toMatchObject({ status: 200, body: 'admin' });
    expect(app.ran).toEqual(['routed', 'admin']);
  });
});
