/**
 * Validates a value against schema/watcher.config.schema.json itself (the file editors read), not only
 * the zod schema it is generated from: a generated watcher.config.yaml must pass both. Covers the
 * keywords that document uses; an unknown keyword throws (the document grew: extend this, never skip).
 */
import fs from 'node:fs';
import { SCHEMA_FILE } from '../../src/config/emit-schema.js';

type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['$schema', 'description', 'default']);
const KNOWN = new Set([
  ...ANNOTATIONS,
  'type',
  'properties',
  'additionalProperties',
  'items',
  'enum',
  'pattern',
  'minimum',
  'maximum',
  'propertyNames',
]);

function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    default:
      throw new Error(`validator: unknown type ${t}`);
  }
}

/** Every violation as "path: message"; [] when `value` is valid. */
export function validate(schema: Schema, value: unknown, at = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`validator: unsupported keyword ${k} at ${at}`);
  if (schema.type !== undefined && !typeOk(schema.type as string, value))
    return [`${at}: expected ${String(schema.type)}, got ${JSON.stringify(value)}`];
  const errs: string[] = [];
  if (schema.enum && !(schema.enum as unknown[]).includes(value))
    errs.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string' && typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
    errs.push(`${at}: "${value}" does not match ${schema.pattern}`);
  if (typeof value === 'number' && typeof schema.minimum === 'number' && value < schema.minimum)
    errs.push(`${at}: ${value} < ${schema.minimum}`);
  if (typeof value === 'number' && typeof schema.maximum === 'number' && value > schema.maximum)
    errs.push(`${at}: ${value} > ${schema.maximum}`);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const [k, v] of Object.entries(value)) {
      if (schema.propertyNames) errs.push(...validate(schema.propertyNames as Schema, k, `${at}[key ${k}]`));
      if (props[k]) errs.push(...validate(props[k], v, `${at}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${at}.${k}: not allowed`);
      else if (typeof schema.additionalProperties === 'object')
        errs.push(...validate(schema.additionalProperties as Schema, v, `${at}.${k}`));
    }
  }
  if (Array.isArray(value) && schema.items) {
    for (const [i, v] of value.entries()) errs.push(...validate(schema.items as Schema, v, `${at}[${i}]`));
  }
  return errs;
}

/** Violations of the committed JSON Schema file. */
export function validateConfigJson(value: unknown): string[] {
  return validate(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as Schema, value);
}
