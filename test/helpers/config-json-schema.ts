/**
 * Validates a value against schema/watcher.config.schema.json itself (the file editors read), not only
 * the zod schema it is generated from: a generated watcher.config.yaml must pass both.
 */
import fs from 'node:fs';
import { SCHEMA_FILE } from '../../src/config/emit-schema.js';
import { validateJsonSchema } from './json-schema.js';

/** Violations of the committed JSON Schema file. */
export function validateConfigJson(value: unknown): string[] {
  return validateJsonSchema(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>, value);
}
