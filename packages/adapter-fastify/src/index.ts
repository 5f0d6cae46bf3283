import type { Exchange, Guard } from '@sideguard/core';
import { continueRequest, toGatewayRequestInit } from '@sideguard/node-http';
import type { FastifyPluginAsync } from 'fastify';
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
  fastify.decorateRequest('sideguard', null);
  fastify.addHook('onRequest', async (request, reply) => {
    const decision = await guard.handleRequest(toGatewayRequestInit(request.raw));
    if (decision.action === 'respond') {
      reply.code(decision.status);
      for (const [name, value] of decision.headers) reply.header(name, value);
      if (decision.status === 413) reply.header('connection', 'close');
      return reply.send(decision.body);
    }
    continueRequest(request.raw, reply.raw, guard, decision);
    request.sideguard = decision.exchange;
    return undefined;
  });
};

/**
 * The Sideguard plugin for Fastify 5: an `onRequest` hook that runs every request through the guard.
 * Requests the guard answers get that answer and go no further; the others continue with
 * `request.sideguard` set.
 * @example
 * await app.register(sideguardPlugin, { guard: createGuard({ apis: [{ name: 'orders', basePath: '/orders' }] }) });
 */
export const sideguardPlugin = fp(plugin, { name: '@sideguard/fastify', fastify: '5.x' });
