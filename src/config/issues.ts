/**
 * zod issues → one human message per problem: `<dotted.path>: <what>` plus an optional fix.
 * `configErrorMap` is passed to safeParse, so messages the schema sets itself (durations, globs) win and
 * every other issue gets a message written for a person editing YAML rather than a TypeScript developer.
 */
import type { z } from 'zod';
import { formatPath, type ConfigPath } from './config-path.js';
import { suggest } from './suggest.js';
import { yamlQuote } from './yaml-quote.js';
import { foreignKey } from './foreign-keys.js';

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

export interface ConfigProblem {
  path: ConfigPath;
  /** Point at the key (unknown keys) or at the value (everything else). */
  anchor: 'key' | 'value';
  /** `build.cmnd: unknown key (did you mean build.cmd?)` */
  message: string;
  /** The fix in words: said when no alternative is accepted (or there is none). */
  hint: string | undefined;
  /**
   * Concrete fixes. parse-config.ts applies each to the config and offers only those accepted, so no
   * fix hotwatch suggests is itself refused; `finish` then words the message and hint for them.
   */
  alternatives?: FixAlternative[];
  /** 'first': offer only the first accepted alternative (a list of guesses); 'all': every accepted one. */
  pick?: 'first' | 'all';
  /** Message and hint given the accepted alternatives (default: the message, and their texts joined by ", or "). */
  finish?: (accepted: readonly FixAlternative[]) => { message: string; hint: string | undefined };
  /** Other keys the problem is about (relations: both sides). */
  related?: ConfigPath[];
}

/** One change to the file: set a value, remove the key, or move the value to another key (and maybe replace it). */
export type ConfigEdit =
  | { path: ConfigPath; set: unknown }
  | { path: ConfigPath; remove: true }
  | { path: ConfigPath; moveTo: ConfigPath; set?: unknown };

export interface FixAlternative {
  /** How the hint says it: `write a list: ["go", "html"]`. */
  text: string;
  edits: ConfigEdit[];
}

/** A value as it would be written in the file: JSON (which YAML reads) for strings and lists. */
export function showValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`;
  return typeof v === 'string' ? yamlQuote(v) : String(v);
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
    case 'invalid_key': {
      // A key of a mapping by name (apps:): the key's own rule says what a name may be.
      const inner = (iss as { issues?: ReadonlyArray<{ message?: string }> }).issues?.[0]?.message;
      return inner ? `${show(input)} is not a valid name: ${inner}` : undefined;
    }
    default:
      return undefined;
  }
}

/** The fix for the issues whose message configErrorMap wrote: concrete alternatives and the words. */
function fixFor(iss: Issue, input: unknown): Pick<ConfigProblem, 'hint' | 'alternatives' | 'pick'> {
  if (iss.code !== 'invalid_type') return { hint: undefined };
  const path = iss.path as ConfigPath;
  const last = path[path.length - 1];
  const set = (text: string, value: unknown): FixAlternative => ({ text, edits: [{ path, set: value }] });
  if (input === null || input === undefined) {
    const remove = typeof last === 'number' ? 'remove it from the list' : 'remove the key to use the default';
    return { hint: 'give it a value', alternatives: [{ text: `give it a value, or ${remove}`, edits: [{ path, remove: true }] }] };
  }
  if (iss.expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')) {
    return { hint: undefined, alternatives: [set(`quote it: "${String(input)}"`, String(input))] };
  }
  if (iss.expected === 'array' && typeof input !== 'object') {
    // `extensions: go, html` is one string: the list it means is ["go", "html"], not ["go, html"].
    const text = String(input);
    const parts = text.split(/[\s,]+/).filter((p) => p !== '');
    const lists = [...(parts.length > 1 ? [parts] : []), [input], ...(typeof input === 'string' ? [] : [[text]])];
    return {
      hint: 'write a list: [first, second]',
      alternatives: lists.map((l) => set(`write a list: ${showValue(l)}`, l)),
      pick: 'first',
    };
  }
  if (
    (iss.expected === 'number' || iss.expected === 'int') &&
    typeof input === 'string' &&
    input.trim() !== '' &&
    Number.isFinite(Number(input))
  ) {
    return { hint: undefined, alternatives: [set(`remove the quotes: ${Number(input)}`, Number(input))] };
  }
  const key = typeof last === 'string' ? last : undefined;
  if ((iss.expected === 'number' || iss.expected === 'int') && key)
    return { hint: `write a whole number, without quotes: e.g. ${key}: ${/port$/i.test(key) ? 8080 : 3}` };
  if (iss.expected === 'boolean' && key) return { hint: `write true or false, without quotes: e.g. ${key}: true` };
  if (path.length === 0) return { hint: 'write key: value lines at the top level, e.g. "root: ."' };
  if (iss.expected === 'object' || iss.expected === 'record') return { hint: `indent key: value lines under ${String(last ?? 'it')}` };
  return { hint: undefined };
}

/**
 * A bare number where a duration goes: the units it may lack, said in the message as examples, the
 * likelier first (a small number is more often meant in seconds: `gracePeriod: 5`; a large one in
 * milliseconds: `quiet: 300`). Each is offered only when the config accepts it.
 */
function bareDuration(path: ConfigPath, n: number): Pick<ConfigProblem, 'message' | 'hint' | 'alternatives' | 'pick' | 'finish'> {
  const head = `${formatPath(path)}: a bare number is not a duration: add a unit`;
  const units = n <= 60 ? ['s', 'ms'] : ['ms', 's'];
  const says = { s: 'for seconds', ms: 'for milliseconds' } as Record<string, string>;
  return {
    message: `${head} (ms, s, m, h)`,
    hint: undefined,
    alternatives: units.map((u) => ({ text: `${n}${u}`, edits: [{ path, set: `${n}${u}` }] })),
    pick: 'all',
    finish: (ok) => ({
      message:
        ok.length > 0
          ? `${head}, e.g. ${ok.map((a) => `${JSON.stringify(a.text)} ${says[a.text.slice(String(n).length)]}`).join(' or ')} (units: ms, s, m, h)`
          : `${head} (ms, s, m, h)`,
      hint: undefined,
    }),
  };
}

/** The value at `path` in the file's plain object, or undefined. */
function valueAt(input: unknown, path: ConfigPath): unknown {
  let v = input;
  for (const k of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[String(k)] : undefined;
  return v;
}

/**
 * Unknown keys: go build's flags and air's keys by what they mean (foreign-keys.ts), else did-you-mean
 * among the keys valid at that level, else an exact match at another level.
 */
function unknownKey(parent: ConfigPath, key: string, keysAt: KeysAt, allPaths: readonly string[], input: unknown): ConfigProblem {
  const path = [...parent, key];
  const foreign = foreignKey(parent, key, valueAt(input, path), valueAt(input, [...parent, 'flags']));
  if (foreign) return { path, anchor: 'key', ...foreign };
  const here = keysAt(parent) ?? [];
  const close = suggest(key, here);
  const elsewhere = close === undefined ? allPaths.find((p) => p.split('.').pop()?.toLowerCase() === key.toLowerCase()) : undefined;
  const mean = close !== undefined ? formatPath([...parent, close]) : elsewhere;
  const target: ConfigPath | undefined = close !== undefined ? [...parent, close] : elsewhere?.split('.');
  const where = parent.length === 0 ? 'at the top level' : `in ${formatPath(parent)}`;
  return {
    path,
    anchor: 'key',
    message: `${formatPath(path)}: unknown key${mean ? ` (did you mean ${mean}?)` : ''}`,
    hint: mean ? undefined : `valid keys ${where}: ${here.join(', ')}`,
    // The did-you-mean is the fix: the value moved to that key (parse-config.ts checks it is accepted there).
    ...(target ? { alternatives: [{ text: `write it as ${formatPath(target)}`, edits: [{ path, moveTo: target }] }] } : {}),
  };
}

/** One problem per issue (one per key for unrecognized keys). */
export function problemsFromIssues(
  issues: readonly Issue[],
  keysAt: KeysAt,
  allPaths: readonly string[],
  file: unknown = undefined,
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const iss of issues) {
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) out.push(unknownKey(iss.path as ConfigPath, key, keysAt, allPaths, file));
      continue;
    }
    const path = iss.path as ConfigPath;
    const input = (iss as { input?: unknown }).input;
    const base = { path, anchor: 'value' as const, message: `${formatPath(path)}: ${iss.message}` };
    if (iss.code === 'invalid_type' && typeof input === 'number' && iss.message.startsWith('a bare number is not a duration')) {
      out.push({ ...base, ...bareDuration(path, input) });
      continue;
    }
    if (iss.code === 'custom' && typeof iss.params?.fix === 'string') {
      const alts = (iss.params.alternatives ?? []) as Array<{ text: string; value: unknown }>;
      out.push({
        ...base,
        hint: iss.params.fix as string,
        alternatives: alts.map((a) => ({
          text: a.text,
          edits: [a.value === null ? { path, remove: true as const } : { path, set: a.value }],
        })),
      });
      continue;
    }
    if (iss.code === 'invalid_value' && typeof input === 'string') {
      // The did-you-mean in the message (configErrorMap) is a fix too: offered only when accepted.
      const values = iss.values.map(String);
      const close = values.find((v) => v === `SIG${input.toUpperCase()}`) ?? suggest(input, values);
      if (close !== undefined && configErrorMap(iss) === iss.message) {
        const plain = `${formatPath(path)}: ${show(input)} is not one of ${values.join(', ')}`;
        out.push({
          ...base,
          hint: undefined,
          alternatives: [{ text: close, edits: [{ path, set: iss.values[values.indexOf(close)] }] }],
          finish: (ok) => ({ message: ok[0] ? `${plain} (did you mean ${JSON.stringify(close)}?)` : plain, hint: undefined }),
        });
        continue;
      }
    }
    if (iss.code === 'invalid_format' && typeof input === 'string') {
      // `extensions: ["*.go"]`: the pattern's decoration dropped.
      const stripped = input.replace(/^\*+/, '').trim();
      const fix =
        stripped !== input && stripped !== '' ? [{ text: `write ${JSON.stringify(stripped)}`, edits: [{ path, set: stripped }] }] : [];
      out.push({ ...base, hint: undefined, alternatives: fix });
      continue;
    }
    const mine = configErrorMap(iss) === iss.message;
    out.push({ ...base, ...(mine ? fixFor(iss, input) : { hint: undefined }) });
  }
  return out;
}
