import type { ResponseCapture } from '../../decision/request-decision';
import type { ExchangeState } from '../../guard/exchange';
import type { GatewayResponse } from '../../http/gateway-response';
import type { PingAuthorizeConnector } from './pingauthorize-connector';

/** The exchange's PingAuthorize connector, when its API's chain runs one. */
function connectorOf(exchange: ExchangeState): PingAuthorizeConnector | undefined {
  return exchange.route?.sideband.includes('pingauthorize') === true
    ? exchange.runtime.sideband.pingauthorize
    : undefined;
}

/**
 * What adapters must capture of the response for PingAuthorize's response phase; `undefined` when
 * the exchange's API does not run it.
 * @param exchange - an exchange being let through
 */
export function pingAuthorizeCapture(exchange: ExchangeState): ResponseCapture | undefined {
  return connectorOf(exchange)?.capture;
}

/**
 * Runs PingAuthorize's response phase when the exchange's API has it: resolves to the engine's
 * replacement, a 502 replacement (fail closed), or the response itself. Never rejects.
 * @param exchange - the exchange of the response
 * @param response - what the app or upstream answered, body captured
 */
export function pingAuthorizeResponse(exchange: ExchangeState, response: GatewayResponse): Promise<GatewayResponse> {
  const connector = connectorOf(exchange);
  return connector === undefined ? Promise.resolve(response) : connector.filterResponse(exchange, response);
}
