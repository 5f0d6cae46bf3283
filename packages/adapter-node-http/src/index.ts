export { bodySourceOf } from './body-source';
export {
  continueRequest,
  createNodeGuardHandler,
  type NodeGuardHandler,
  type NodeGuardOutcome,
  type ProtectedListener,
  protect,
} from './handler';
export { applyRequestChanges, toGatewayRequestInit } from './request';
export { holdResponse, sendDecision, trackResponse } from './response';
