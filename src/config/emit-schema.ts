/**
 * Writes schema/watcher.config.schema.json from the zod schema (editor completion for
 * watcher.config.yaml). Run `npm run schema` (= `node dist/config/emit-schema.js`) after changing
 * schema.ts; test/unit/config-drift.test.ts fails while the committed file differs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from './schema.js';

/** schema/watcher.config.schema.json in the package (two levels up from src/config or dist/config). */
export const SCHEMA_FILE = fileURLToPath(new URL('../../schema/watcher.config.schema.json', import.meta.url));

/** The exact text of the JSON Schema file. */
export function schemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

/** Write the file (creating schema/ if needed); returns its path. */
export function emitSchema(file: string = SCHEMA_FILE): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, schemaText());
  return file;
}

function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false; // argv[1] is not a file (node -e, a REPL): imported, not run
  }
}
if (invokedDirectly()) {
  const file = emitSchema(process.argv[2] ?? SCHEMA_FILE);
  process.stdout.write(`wrote ${file}\n`);
}
