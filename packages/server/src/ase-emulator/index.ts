export { startAseEmulator } from './server';
export type {
  AseApiDefinition,
  AseDenyLists,
  AseEmulator,
  AseEmulatorOptions,
  AseFault,
  AseRecord,
} from './types';
