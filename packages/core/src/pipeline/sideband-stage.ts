import type { SidebandConnectorName } from '../config/compile';
import type { SidebandConnector } from '../sideband/sideband-connector';
import type { RequestStage, StageResult } from './stage';

/**
 * Step 6: the API's sideband connectors in their configured order (chaining); the first that answers
 * for the client ends the pipeline, and one may replace the request the next one sees (PingAuthorize).
 * Each connector applies its own fail mode, so this never throws for a connector's sake.
 */
export const sidebandStage: RequestStage = {
  name: 'sideband',
  run(exchange) {
    const chain = exchange.route?.sideband;
    if (chain === undefined || chain.length === 0) return undefined;
    // One connector, the common case: its answer is the stage's, without another async layer.
    if (chain.length === 1) return exchange.runtime.sideband[chain[0] as SidebandConnectorName]?.checkRequest(exchange);
    return runChain(exchange, chain);
  },
};

async function runChain(
  exchange: Parameters<RequestStage['run']>[0],
  chain: readonly SidebandConnectorName[],
): Promise<StageResult> {
  for (const name of chain) {
    const connector: SidebandConnector | undefined = exchange.runtime.sideband[name];
    if (connector === undefined) continue;
    const answer = await connector.checkRequest(exchange);
    if (answer !== undefined) return answer;
  }
  return undefined;
}
