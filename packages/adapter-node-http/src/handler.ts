import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContinueDecision, Exchange, Guard } from '@sideguard/core';
import { replayRequestBody } from './body-replay';
import { captureResponse, holdResponse } from './held-response';
import { applyRequestChanges, toGatewayRequestInit } from './request';
import { sendDecision, trackResponse } from './response';

/** What happened to a request at the guard. */
export type NodeGuardOutcome =
  /** Hand the request on; `exchange` carries what Sideguard learned (API, identity). */
  | { readonly action: 'continue'; readonly exchange: Exchange }
  /** Sideguard already answered; the app must not. */
  | { readonly action: 'responded'; readonly exchange: Exchange | undefined };

/** Runs a Node request through a guard and applies the decision. */
export type NodeGuardHandler = (req: IncomingMessage, res: ServerResponse) => Promise<NodeGuardOutcome>;

/**
 * The shared base of the node-family adapters: translate the request, ask the guard, then either send
 * its answer or write its changes onto the request and watch the response. Never rejects.
 * @param guard - the guard
 */
export function createNodeGuardHandler(guard: Guard): NodeGuardHandler {
  return async (req, res) => {
    const decision = await guard.handleRequest(toGatewayRequestInit(req));
    try {
      if (decision.action === 'respond') {
        sendDecision(res, decision);
        return { action: 'responded', exchange: decision.exchange };
      }
      continueRequest(req, res, guard, decision);
      return { action: 'continue', exchange: decision.exchange };
    } catch {
      // Applying a decision can only fail on a response someone else already started; never throw into the app.
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else res.destroy();
      return { action: 'responded', exchange: decision.exchange };
    }
  };
}

/**
 * Carries out a `continue` decision on a Node request: writes the core's changes onto it, gives the app
 * back a body the core read or replaced, adds the headers the core wants on the response (rate-limit
 * state) and, when the core asks for it, watches the response (audit, response phases), holds it until
 * the guard is done, or captures it for response steps that may replace it. For adapters that send
 * `respond` decisions their own way (Koa, Fastify).
 * @param req - the incoming request
 * @param res - its response
 * @param guard - the guard that decided
 * @param decision - the `continue` decision
 */
export function continueRequest(
  req: IncomingMessage,
  res: ServerResponse,
  guard: Guard,
  decision: ContinueDecision,
): void {
  applyRequestChanges(req, decision.exchange.original, decision.request);
  const body = decision.request.body;
  // The core read the body off the socket (or replaced it): the framework can only get it from us now.
  if (body.started) replayRequestBody(req, body.bytes);
  // Set now, before the app writes: the app may still override them, but never loses them by accident.
  for (const [name, value] of decision.responseHeaders) res.appendHeader(name, value);
  const capture = decision.captureResponse;
  if (capture !== undefined) captureResponse(res, guard, decision.exchange, capture, decision.responseHeaders);
  else if (decision.holdResponse) holdResponse(res, guard, decision.exchange);
  else if (decision.observeResponse) trackResponse(res, guard, decision.exchange);
}

/** A `node:http` request listener that also receives the Sideguard exchange. */
export type ProtectedListener = (req: IncomingMessage, res: ServerResponse, exchange: Exchange) => void;

/**
 * Wraps a plain `node:http` request listener: Sideguard decides first, and the listener runs only for
 * requests it lets through, receiving the exchange as third argument.
 * @param guard - the guard
 * @param listener - the application's listener
 * @example
 * createServer(protect(guard, (req, res, exchange) => res.end(exchange.api?.name))).listen(3000);
 */
export function protect(
  guard: Guard,
  listener: ProtectedListener,
): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = createNodeGuardHandler(guard);
  return (req, res) => {
    void handle(req, res).then((outcome) => {
      if (outcome.action === 'continue') listener(req, res, outcome.exchange);
    });
  };
}
