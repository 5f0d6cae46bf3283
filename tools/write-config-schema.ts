import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '@sideguard/core';

/** Regenerates packages/core/config.schema.json from the zod schema (`npm run schema`). */
const target = fileURLToPath(new URL('../packages/core/config.schema.json', import.meta.url));
await writeFile(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
