import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/index';

describe('config JSON Schema', () => {
  it('is up to date in the repository (run `npm run schema` after changing the config schema)', async () => {
    const committed = JSON.parse(await readFile(new URL('../../config.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });

  it('describes the parts people write', () => {
    const schema = configJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        'environments',
        'apis',
        'defaultAccess',
        'unmatched',
        'trustedProxies',
        'authentication',
      ]),
    );
  });
});
