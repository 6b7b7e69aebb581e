/**
 * Reads an .air.toml (smol-toml) into its keys by dotted path, each checked against the type air reads
 * it as. A syntax error or a wrong type is ONE HotwatchError (exit 2) naming file:line:col and the fix;
 * a key air does not know is kept aside to be reported (air itself ignores it).
 */
import { parse, TomlError } from 'smol-toml';
import { HotwatchError } from '../../errors.js';
import { AIR_KEYS, TYPE_EXAMPLE, type AirType } from './keys.js';

export interface AirFile {
  /** Every key the file sets, by dotted path ('build.cmd'), tables left out (their keys are here). */
  values: Map<string, unknown>;
  /** Keys air does not know, by dotted path. */
  unknown: string[];
  /** Line (1-based) where a key is set, for messages. */
  lineOf(key: string): number | undefined;
}

/** Line of each `key =` under its `[table]`, by dotted path (first occurrence). Pure. */
export function keyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let table = '';
  const clean = (s: string): string =>
    s
      .split('.')
      .map((p) => p.trim().replace(/^["']|["']$/g, ''))
      .join('.');
  text.split('\n').forEach((raw, i) => {
    const header = /^\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$/.exec(raw);
    if (header) {
      table = clean(header[1]!);
      if (!lines.has(table)) lines.set(table, i + 1);
      return;
    }
    const key = /^\s*([A-Za-z0-9_.\-"' ]+?)\s*=/.exec(raw);
    if (key) {
      const full = table ? `${table}.${clean(key[1]!)}` : clean(key[1]!);
      if (!lines.has(full)) lines.set(full, i + 1);
    }
  });
  return lines;
}

const isTable = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

function typeOk(t: AirType, v: unknown): boolean {
  const strings = (x: unknown): boolean => Array.isArray(x) && x.every((s) => typeof s === 'string');
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'bool':
      return typeof v === 'boolean';
    case 'strings':
      return strings(v);
    case 'entrypoint':
      return typeof v === 'string' || strings(v);
    case 'duration':
      return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'string';
    case 'table':
      return isTable(v);
    case 'tables':
      return Array.isArray(v) && v.every(isTable);
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (isTable(v)) return 'a table';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Walks the parsed document: known leaves into `values`, unknown keys into `unknown`, wrong types thrown. */
function collect(doc: Record<string, unknown>, prefix: string, out: AirFile, where: (k: string) => string): void {
  for (const [k, v] of Object.entries(doc)) {
    const key = prefix ? `${prefix}.${k}` : k;
    const type = AIR_KEYS[key];
    if (type === undefined) {
      if (isTable(v))
        collect(v, key, out, where); // its keys are unknown too: report each
      else out.unknown.push(key);
      continue;
    }
    if (!typeOk(type, v)) {
      throw new HotwatchError(
        'CONFIG_INVALID',
        `${key}: air reads ${type === 'table' ? 'a table' : `this as ${TYPE_EXAMPLE[type].split(',')[0]}`}, not ${describe(v)}`,
        {
          where: where(key),
          hint: `write ${key.split('.').pop()} as ${TYPE_EXAMPLE[type]}`,
        },
      );
    }
    if (type === 'table') collect(v as Record<string, unknown>, key, out, where);
    else out.values.set(key, v);
  }
}

/** `shown`: how the file is named in messages. */
export function readAirToml(text: string, shown: string): AirFile {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    const what = e.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
    throw new HotwatchError('CONFIG_PARSE', `invalid TOML: ${what}`, {
      where: `${shown}:${e.line}:${e.column}`,
      hint: 'fix the TOML syntax there (air cannot read this file either): quote strings, close brackets and quotes, one key = value per line',
      cause: e,
    });
  }
  const lines = keyLines(text);
  const out: AirFile = { values: new Map(), unknown: [], lineOf: (k) => lines.get(k) };
  collect(doc, '', out, (k) => `${shown}:${lines.get(k) ?? 1}`);
  return out;
}
