export { replayRequestBody } from './body-replay';
export { bodySourceOf } from './body-source';
export {
  continueRequest,
  createNodeGuardHandler,
  type NodeGuardHandler,
  type NodeGuardOutcome,
  type ProtectedListener,
  protect,
} from './handler';
export { captureResponse, holdResponse } from './held-response';
export { applyRequestChanges, toGatewayRequestInit } from './request';
export { sendDecision, trackResponse } from './response';
