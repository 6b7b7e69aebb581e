/**
 * Writes schema/doctor.schema.json (the `hotwatch doctor --json` document) from the zod schema in
 * report-schema.ts. Run `node dist/diagnostics/emit-doctor-schema.js` after changing it;
 * test/unit/diagnostics-report-schema.test.ts fails while the committed file differs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { doctorJsonSchema } from './report-schema.js';

export const DOCTOR_SCHEMA_FILE = fileURLToPath(new URL('../../schema/doctor.schema.json', import.meta.url));

/** The exact text of the JSON Schema file. */
export function doctorSchemaText(): string {
  return `${JSON.stringify(doctorJsonSchema(), null, 2)}\n`;
}

function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
if (invokedDirectly()) {
  const file = process.argv[2] ?? DOCTOR_SCHEMA_FILE;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, doctorSchemaText());
  process.stdout.write(`wrote ${file}\n`);
}
