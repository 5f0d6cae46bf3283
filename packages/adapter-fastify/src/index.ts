import type { IncomingMessage } from 'node:http';
import type { Exchange, Guard } from '@sideguard/core';
import { continueRequest, toGatewayRequestInit } from '@sideguard/node-http';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** What Sideguard learned about this request: matched API, identity, client IP; `null` before the guard ran. */
    sideguard: Exchange | null;
  }
}

/** Options of the Sideguard Fastify plugin. */
export interface SideguardFastifyOptions {
  /** A guard from `createGuard`. */
  guard: Guard;
}

const plugin: FastifyPluginAsync<SideguardFastifyOptions> = async (fastify, options) => {
  const { guard } = options;
  // Requests routed again after the guard changed what Fastify routes by, with the guard's exchange: the
  // second pass through the hook must neither ask the guard again nor apply its decision twice.
  const rerouted = new WeakMap<IncomingMessage, Exchange>();
  fastify.decorateRequest('sideguard', null);
  fastify.addHook('onRequest', async (request, reply) => {
    const raw = request.raw;
    const decided = rerouted.get(raw);
    if (decided !== undefined) {
      request.sideguard = decided;
      return undefined;
    }
    const routedBy = routingOf(raw);
    // Read before the decision is applied: the getter keeps the first URL it sees.
    const sentUrl = request.originalUrl;
    const decision = await guard.handleRequest(toGatewayRequestInit(raw));
    if (decision.action === 'respond') {
      reply.code(decision.status);
      for (const [name, value] of decision.headers) reply.header(name, value);
      if (decision.status === 413) reply.header('connection', 'close');
      return reply.send(decision.body);
    }
    // Replays a body the core read and installs response capture on `reply.raw`, both kept by a new route.
    continueRequest(raw, reply.raw, guard, decision);
    request.sideguard = decision.exchange;
    if (!sameRouting(routingOf(raw), routedBy)) {
      rerouted.set(raw, decision.exchange);
      routeAgain(fastify, request, reply, sentUrl);
    }
    return undefined;
  });
};

/**
 * What Fastify chose the route by: method, URL and the headers its built-in `host` and `version` route
 * constraints read (Node gives header names in lower case). Custom constraint strategies are the app's
 * own code and may read anything, so they are not covered.
 */
function routingOf(raw: IncomingMessage): readonly unknown[] {
  const { headers } = raw;
  return [raw.method, raw.url, headers.host, headers[':authority'], headers['accept-version']];
}

/** Whether two {@link routingOf} results would route alike. */
function sameRouting(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.every((value, i) => value === b[i]);
}

/**
 * Fastify routes before `onRequest` hooks run, so a request whose method, URL, `Host` or
 * `Accept-Version` the guard changed would still reach the old route: its handler, hooks, schemas,
 * `params` and `query`. This hijacks that first pass, which stops it before any later hook or its
 * handler, and hands the request back to Fastify's router (the public `fastify.routing`), which runs
 * the new route's whole lifecycle from `onRequest` on. A throw out of it (only from app code such as
 * `rewriteUrl`) answers 500 rather than leave the client waiting on a hijacked reply.
 */
function routeAgain(fastify: FastifyInstance, request: FastifyRequest, reply: FastifyReply, sentUrl: string): void {
  const raw = request.raw as IncomingMessage & { originalUrl?: string };
  const res = reply.raw;
  // Fastify's `originalUrl` is the URL before internal re-routing: the one the client sent.
  raw.originalUrl = sentUrl;
  reply.hijack();
  try {
    fastify.routing(raw, res);
  } catch (error) {
    request.log.error({ err: error }, 'Sideguard could not route the request its guard rewrote');
    if (res.headersSent) res.destroy();
    else {
      res.statusCode = 500;
      res.end();
    }
  } finally {
    // `rewriteUrl`, when set, overwrote it.
    raw.originalUrl = sentUrl;
  }
}

/**
 * The Sideguard plugin for Fastify 5: an `onRequest` hook that runs every request through the guard.
 * Requests the guard answers get that answer and go no further; the others continue with
 * `request.sideguard` set. A request whose method, URL, `Host` or `Accept-Version` the guard changed is
 * routed again, so it reaches the route, `params` and `query` of the new method and URL, and the `host`
 * and `version` constraints of the new headers, with the body the guard read or replaced; the route
 * Fastify first chose runs neither its handler nor any hook after this one, except `onResponse` hooks,
 * which Fastify runs for a hijacked reply too. `onRequest` hooks added before this plugin run again on
 * the new route, so register it first. Fastify's `rewriteUrl`, if set, is applied again to the changed
 * URL, so it must leave URLs it already rewrote as they are.
 * @example
 * await app.register(sideguardPlugin, { guard: createGuard({ apis: [{ name: 'orders', basePath: '/orders' }] }) });
 */
export const sideguardPlugin = fp(plugin, { name: '@sideguard/fastify', fastify: '5.x' });
