export {
  type AseApiDefinition,
  type AseDenyLists,
  type AseEmulator,
  type AseEmulatorOptions,
  type AseFault,
  type AseRecord,
  startAseEmulator,
} from './ase-emulator/index';
export { type CliIo, runCli } from './cli/run-cli';
export {
  SecretStore,
  SecretStoreError,
  type SecretStoreErrorCode,
  type SecretStoreOptions,
  type SecretStoreState,
  type ServerConfig,
  type ServerConfigInput,
  type SharedSecretInfo,
  type SidebandApiReload,
  type SidebandApiServer,
  type SidebandApiServerOptions,
  type StoredSharedSecret,
  startSidebandApiServer,
} from './sideband-api/index';
