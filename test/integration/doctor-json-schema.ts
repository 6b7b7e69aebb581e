/**
 * A small JSON Schema (draft 2020-12) validator for the keywords schema/doctor.schema.json uses, so the
 * doctor's JSON is checked against the published document itself, not only against the zod schema it
 * was generated from. Unknown keywords make it throw (the document grew: extend this, do not skip).
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
  if (schema.anyOf) {
    const ok = (schema.anyOf as Schema[]).some((s) => validateJsonSchema(s, value, at).length === 0);
    if (!ok) errs.push(`${at}: matches none of anyOf`);
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) errs.push(`${at}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errs.push(...validateJsonSchema(props[k], v, `${at}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${at}.${k}: not allowed`);
      else if (typeof schema.additionalProperties === 'object')
        errs.push(...validateJsonSchema(schema.additionalProperties as Schema, v, `${at}.${k}`));
    }
  }
  if (Array.isArray(value) && schema.items)
    value.forEach((v, i) => errs.push(...validateJsonSchema(schema.items as Schema, v, `${at}[${i}]`)));
  return errs;
}
