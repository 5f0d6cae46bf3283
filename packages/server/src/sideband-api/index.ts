export {
  SecretStore,
  SecretStoreError,
  type SecretStoreErrorCode,
  type SecretStoreOptions,
  type SecretStoreState,
  type SharedSecretInfo,
  type StoredSharedSecret,
} from './secrets/secret-store';
export { startSidebandApiServer } from './server';
export type { ServerConfig, ServerConfigInput } from './server-config';
export type { SidebandApiReload, SidebandApiServer, SidebandApiServerOptions } from './types';
