import { distTestConfig } from '../../vitest.shared.ts';

export default distTestConfig;
