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
