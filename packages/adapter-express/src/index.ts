import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Exchange, Guard } from '@sideguard/core';
import { createNodeGuardHandler } from '@sideguard/node-http';

declare global {
  // Declaration merging into Express's own namespace: `req.sideguard` is typed in handlers.
  namespace Express {
    interface Request {
      /** What Sideguard learned about this request: matched API, identity, client IP. */
      sideguard?: Exchange;
    }
  }
}

/** The request shape the middleware needs; Express's `Request` satisfies it. */
export type SideguardExpressRequest = IncomingMessage & { sideguard?: Exchange };

/** An Express-compatible middleware function. */
export type SideguardMiddleware = (
  req: SideguardExpressRequest,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * Express middleware that runs every request through a Sideguard guard. Requests the guard answers
 * never reach later middleware; the others continue with `req.sideguard` set.
 * @param guard - a guard from `createGuard`
 * @example
 * const app = express();
 * app.use(sideguard(createGuard({ apis: [{ name: 'orders', basePath: '/orders' }] })));
 */
export function sideguard(guard: Guard): SideguardMiddleware {
  const handle = createNodeGuardHandler(guard);
  return (req, res, next) => {
    void handle(req, res).then((outcome) => {
      if (outcome.action !== 'continue') return;
      req.sideguard = outcome.exchange;
      next();
    });
  };
}
