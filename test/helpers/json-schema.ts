/**
 * A small JSON Schema (draft 2020-12) validator for the keywords our published documents use
 * (schema/doctor.schema.json, schema/watcher.config.schema.json), so what hotwatch writes (doctor --json,
 * init's watcher.config.yaml) is checked against the documents editors and tools read, not only against
 * the zod schemas they are generated from. Unknown keywords make it throw (a document grew: extend this,
 * do not skip).
 */
type Schema = Record<string, unknown>;

const KNOWN = new Set([
  '$schema',
  'type',
  'properties',
  'const',
  'description',
  'enum',
  'items',
  'required',
  'additionalProperties',
  'anyOf',
  'default',
  'pattern',
  'minimum',
  'maximum',
  'propertyNames',
  'minItems',
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
    case 'null':
      return v === null;
    default:
      throw new Error(`validator: unknown type ${t}`);
  }
}

/** Every violation as "path: message"; [] when `value` is valid. */
export function validateJsonSchema(schema: Schema, value: unknown, at = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`validator: unsupported keyword ${k} at ${at}`);
  const errs: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => typeOk(t, value))) return [`${at}: expected ${types.join('|')}, got ${JSON.stringify(value)?.slice(0, 60)}`];
  }
  if ('const' in schema && value !== schema.const) errs.push(`${at}: expected ${JSON.stringify(schema.const)}`);
  if (schema.enum && !(schema.enum as unknown[]).includes(value))
    errs.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string' && typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
    errs.push(`${at}: "${value}" does not match ${schema.pattern}`);
  if (typeof value === 'number' && typeof schema.minimum === 'number' && value < schema.minimum)
    errs.push(`${at}: ${value} < ${schema.minimum}`);
  if (typeof value === 'number' && typeof schema.maximum === 'number' && value > schema.maximum)
    errs.push(`${at}: ${value} > ${schema.maximum}`);
  if (schema.anyOf) {
    const ok = (schema.anyOf as Schema[]).some((s) => validateJsonSchema(s, value, at).length === 0);
    if (!ok) errs.push(`${at}: matches none of anyOf`);
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) errs.push(`${at}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      if (schema.propertyNames) errs.push(...validateJsonSchema(schema.propertyNames as Schema, k, `${at}[key ${k}]`));
      if (props[k]) errs.push(...validateJsonSchema(props[k], v, `${at}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${at}.${k}: not allowed`);
      else if (typeof schema.additionalProperties === 'object')
        errs.push(...validateJsonSchema(schema.additionalProperties as Schema, v, `${at}.${k}`));
    }
  }
  if (Array.isArray(value) && typeof schema.minItems === 'number' && value.length < schema.minItems)
    errs.push(`${at}: at least ${schema.minItems} item(s), got ${value.length}`);
  if (Array.isArray(value) && schema.items)
    value.forEach((v, i) => errs.push(...validateJsonSchema(schema.items as Schema, v, `${at}[${i}]`)));
  return errs;
}
