import { z } from 'zod';
import { configSchema } from './schema';

/**
 * The JSON Schema (draft 2020-12) of a configuration file as written, generated from the zod schema so
 * the two cannot drift. Editors use it for completion; `sideguard schema` prints it.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }),
    title: 'Sideguard configuration',
  };
}
