import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Exchange, Guard } from '@sideguard/core';
import { continueRequest, toGatewayRequestInit } from '@sideguard/node-http';

/** The context shape the middleware needs; Koa's `Context` satisfies it. */
export interface SideguardKoaContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  state: Record<string, unknown>;
  status: number;
  body: unknown;
  append(field: string, value: string): void;
}

/** What the middleware puts on `ctx.state`. */
export interface SideguardKoaState {
  /** What Sideguard learned about this request: matched API, identity, client IP. */
  sideguard?: Exchange;
}

/**
 * Koa middleware that runs every request through a Sideguard guard. A request the guard answers gets
 * that answer through Koa (so earlier middleware still sees status and headers) and goes no further;
 * the others continue with `ctx.state.sideguard` set.
 * @param guard - a guard from `createGuard`
 * @example
 * const app = new Koa();
 * app.use(sideguard(createGuard({ apis: [{ name: 'orders', basePath: '/orders' }] })));
 */
export function sideguard(guard: Guard): (ctx: SideguardKoaContext, next: () => Promise<unknown>) => Promise<void> {
  return async (ctx, next) => {
    const decision = await guard.handleRequest(toGatewayRequestInit(ctx.req));
    if (decision.action === 'respond') {
      ctx.status = decision.status;
      for (const [name, value] of decision.headers) ctx.append(name, value);
      // The rest of an oversized body was never read; the connection cannot be reused.
      if (decision.status === 413) ctx.append('connection', 'close');
      ctx.body = decision.body;
      return;
    }
    continueRequest(ctx.req, ctx.res, guard, decision);
    ctx.state.sideguard = decision.exchange;
    await next();
  };
}
