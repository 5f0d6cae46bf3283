/**
 * The HTTP transport shared by the sideband connectors: {@link SidebandClient} and its types.
 * @packageDocumentation
 */
export type { SidebandEndpointStatus, SidebandStatus } from './endpoint-health';
export type { SidebandReply } from './endpoint-pool';
export {
  type SidebandAttemptFailure,
  SidebandTransportError,
  type SidebandTransportErrorCode,
  type SidebandTransportErrorOptions,
} from './errors';
export type { SidebandHealthCheckOptions } from './health-check';
export { SidebandClient, type SidebandClientOptions, type SidebandRequest } from './sideband-client';
export type { SidebandTlsOptions } from './tls-options';
