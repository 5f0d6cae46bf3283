import { fileURLToPath } from 'node:url';
import { describeDistExports } from '../../../tools/test-utils/dist-exports';

describeDistExports(fileURLToPath(new URL('..', import.meta.url)), '@sideguard/core');
