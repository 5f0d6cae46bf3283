import type { ContinueDecision, GatewayResponse, Guard, ReplacementResponse, ResponseCapture } from '@sideguard/core';
import { withRequestChanges } from '@sideguard/core';

/** Changes a test guard makes to what a real guard decides, standing in for response steps and engines. */
export interface GuardTweaks {
  /** Rewrites a `continue` decision: read or replace the body, ask for capture. */
  readonly continue?: (decision: ContinueDecision) => ContinueDecision | Promise<ContinueDecision>;
  /** Answers a response report once the real guard has finished the exchange; default: its own answer. */
  readonly respond?: (response: GatewayResponse) => GatewayResponse | Promise<GatewayResponse>;
}

/** A guard that wraps a real one; `reports` lists every response the adapter reported, in order. */
export interface TweakedGuard extends Guard {
  readonly reports: GatewayResponse[];
}

/**
 * Wraps a real guard (from `createGuard`) so adapter tests can make the decisions that response steps
 * and sideband engines make — a body read, a body replaced, a response captured or replaced — while
 * everything else (routing, audit, `handleResponse` itself) stays the real guard's.
 * @param guard - the real guard
 * @param tweaks - what to change
 */
export function tweakGuard(guard: Guard, tweaks: GuardTweaks): TweakedGuard {
  const reports: GatewayResponse[] = [];
  // Inherit from the real guard, so members added to Guard later still work unchanged.
  const tweaked = Object.create(guard) as Guard;
  return Object.assign(tweaked, {
    reports,
    async handleRequest(init: Parameters<Guard['handleRequest']>[0]) {
      const decision = await guard.handleRequest(init);
      return decision.action === 'continue' && tweaks.continue !== undefined ? tweaks.continue(decision) : decision;
    },
    async handleResponse(exchange: Parameters<Guard['handleResponse']>[0], response: GatewayResponse) {
      reports.push(response);
      const answer = await guard.handleResponse(exchange, response);
      return tweaks.respond === undefined ? answer : tweaks.respond(answer);
    },
  });
}

/**
 * A `continue` tweak: the core reads the whole body, as a sideband engine that inspects it would.
 * @param decision - the decision
 */
export async function readBody(decision: ContinueDecision): Promise<ContinueDecision> {
  await decision.request.body.read();
  return decision;
}

/**
 * A `continue` tweak: a new body with its `Content-Length`, as an engine that rewrites the body would
 * (`Transfer-Encoding` dropped, since the length is known now).
 * @param body - the new body
 */
export function replaceBody(body: string): (decision: ContinueDecision) => ContinueDecision {
  const bytes = new TextEncoder().encode(body);
  return (decision) => {
    const headers = decision.request.headers.filter(([name]) => !/^(content-length|transfer-encoding)$/i.test(name));
    headers.push(['Content-Length', String(bytes.byteLength)]);
    return { ...decision, request: withRequestChanges(decision.request, { headers, body: bytes }) };
  };
}

/**
 * A `continue` tweak: a new method and request target, as a sideband engine that rewrites the request
 * would (PingAuthorize may change both). Keeps whatever the decision did to the body.
 * @param method - the new method
 * @param url - the new request target, path and query
 */
export function rewriteRequest(method: string, url: string): (decision: ContinueDecision) => ContinueDecision {
  return (decision) => ({ ...decision, request: withRequestChanges(decision.request, { method, url }) });
}

/**
 * A `continue` tweak: capture the response, as a response step that reads and may replace it would.
 * @param capture - limit and overflow answer
 */
export function captureWith(capture: ResponseCapture): (decision: ContinueDecision) => ContinueDecision {
  return (decision) => ({ ...decision, holdResponse: true, observeResponse: true, captureResponse: capture });
}

/**
 * A replacement response with a UTF-8 body.
 * @param status - its status
 * @param headers - its header lines
 * @param body - its body
 */
export function replacement(status: number, headers: [string, string][], body: string): ReplacementResponse {
  return { status, headers, body: new TextEncoder().encode(body) };
}
