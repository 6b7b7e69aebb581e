/**
 * src/config/config-facts.ts is generated from the zod schema (scripts/config-facts.mjs) so that a run
 * without a config file never loads zod: it must say exactly what the schema says.
 */
import { describe, expect, it } from 'vitest';
import { CONFIG_KEY_PATHS, configDefaults } from '../../src/config/config-facts.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { allSchemaPaths } from '../../src/config/schema-keys.js';

const REGENERATE = 'out of date with src/config/schema.ts: run `npx tsc -p tsconfig.json && node scripts/config-facts.mjs`';

describe('config-facts.ts', () => {
  it("the defaults are the schema's (ConfigSchema.parse({}))", () => {
    expect(configDefaults(), REGENERATE).toStrictEqual(ConfigSchema.parse({}));
  });

  it("the key paths are the schema's", () => {
    expect([...CONFIG_KEY_PATHS], REGENERATE).toEqual(allSchemaPaths());
  });

  it('each caller gets a copy of its own: a change to one is not seen by the next', () => {
    const a = configDefaults();
    a.watch.include.push('x/**');
    a.run.port = 1;
    expect(configDefaults().watch.include).toEqual([]);
    expect(configDefaults().run.port).toBe(ConfigSchema.parse({}).run.port);
  });
});
