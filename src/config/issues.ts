/**
 * zod issues → one human message per problem: `<dotted.path>: <what>` plus an optional fix.
 * `configErrorMap` is passed to safeParse, so messages the schema sets itself (durations, globs) win and
 * every other issue gets a message written for a person editing YAML rather than a TypeScript developer.
 */
import type { z } from 'zod';
import { formatPath, type ConfigPath } from './yaml-position.js';
import { suggest } from './suggest.js';

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

export interface ConfigProblem {
  path: ConfigPath;
  /** Point at the key (unknown keys) or at the value (everything else). */
  anchor: 'key' | 'value';
  /** `build.cmnd: unknown key (did you mean build.cmd?)` */
  message: string;
  hint: string | undefined;
}

/** The keys a config object accepts, looked up by path (from the JSON Schema); undefined = not an object. */
export type KeysAt = (path: ConfigPath) => readonly string[] | undefined;

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value lines)',
  record: 'a mapping (key: value lines)',
};

/** How a YAML value reads to the person who wrote it. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `a string (${JSON.stringify(v)})`;
  if (typeof v === 'number') return Number.isInteger(v) ? `a number (${v})` : `a fractional number (${v})`;
  return `${typeof v} (${String(v)})`;
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/** The message for issues the schema does not word itself; undefined leaves zod's default. */
export function configErrorMap(iss: RawIssue | Issue): string | undefined {
  const input = (iss as { input?: unknown }).input;
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${describeValue(input)}`;
    case 'invalid_value': {
      const values = iss.values.map(String);
      const signal = typeof input === 'string' ? values.find((v) => v === `SIG${input.toUpperCase()}`) : undefined;
      const close = typeof input === 'string' ? (signal ?? suggest(input, values)) : undefined;
      return `${show(input)} is not one of ${values.join(', ')}${close ? ` (did you mean ${JSON.stringify(close)}?)` : ''}`;
    }
    case 'too_big':
      return `${show(input)} is too large: the maximum is ${String(iss.maximum)}${iss.inclusive ? '' : ' (exclusive)'}`;
    case 'too_small':
      return `${show(input)} is too small: the minimum is ${String(iss.minimum)}${iss.inclusive ? '' : ' (exclusive)'}`;
    default:
      return undefined;
  }
}

/** A fix for the issues whose message configErrorMap wrote. */
function hintFor(iss: Issue, input: unknown): string | undefined {
  if (iss.code !== 'invalid_type') return undefined;
  const last = iss.path[iss.path.length - 1];
  if (input === null || input === undefined) return `give it a value, or remove the key to use the default`;
  if (iss.expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')) return `quote it: "${String(input)}"`;
  if (iss.expected === 'array' && typeof input !== 'object') return `write a list: [${show(input)}]`;
  if ((iss.expected === 'number' || iss.expected === 'int') && typeof input === 'string' && input.trim() !== '' && Number.isFinite(Number(input))) {
    return `remove the quotes: ${Number(input)}`;
  }
  if (iss.path.length === 0) return 'write key: value lines at the top level, e.g. "root: ."';
  if (iss.expected === 'object' || iss.expected === 'record') return `indent key: value lines under ${String(last ?? 'it')}`;
  return undefined;
}

/** Unknown keys: did-you-mean among the keys valid at that level, else an exact match at another level. */
function unknownKey(parent: ConfigPath, key: string, keysAt: KeysAt, allPaths: readonly string[]): ConfigProblem {
  const path = [...parent, key];
  const here = keysAt(parent) ?? [];
  const close = suggest(key, here);
  const elsewhere = close === undefined ? allPaths.find((p) => p.split('.').pop()?.toLowerCase() === key.toLowerCase()) : undefined;
  const mean = close !== undefined ? formatPath([...parent, close]) : elsewhere;
  const where = parent.length === 0 ? 'at the top level' : `in ${formatPath(parent)}`;
  return {
    path,
    anchor: 'key',
    message: `${formatPath(path)}: unknown key${mean ? ` (did you mean ${mean}?)` : ''}`,
    hint: mean ? undefined : `valid keys ${where}: ${here.join(', ')}`,
  };
}

/** One problem per issue (one per key for unrecognized keys). */
export function problemsFromIssues(issues: readonly Issue[], keysAt: KeysAt, allPaths: readonly string[]): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const iss of issues) {
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) out.push(unknownKey(iss.path as ConfigPath, key, keysAt, allPaths));
      continue;
    }
    const input = (iss as { input?: unknown }).input;
    const mine = configErrorMap(iss) === iss.message;
    const fix = iss.code === 'custom' && typeof iss.params?.fix === 'string' ? (iss.params.fix as string) : undefined;
    out.push({
      path: iss.path as ConfigPath,
      anchor: 'value',
      message: `${formatPath(iss.path as ConfigPath)}: ${iss.message}`,
      hint: fix ?? (mine ? hintFor(iss, input) : undefined),
    });
  }
  return out;
}
