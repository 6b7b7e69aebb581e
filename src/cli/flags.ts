/**
 * Command-line flags for every command: node's parseArgs tokenises, the checks and the messages are
 * ours. parseArgs' own errors quote the flag with an unbalanced quote and suggest nothing; here an
 * unknown flag gets a did-you-mean among the command's flags (the same edit distance as config keys),
 * or, when it names a config key that has no flag, the key to set instead.
 */
import { parseArgs } from 'node:util';
import { HotwatchError } from '../errors.js';
import { suggest } from '../config/suggest.js';
import { CONFIG_KEY_PATHS } from '../config/config-facts.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Repeatable: every occurrence is kept, in order. */
  multiple?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<S extends FlagSpec> = S['type'] extends 'string' ? (S['multiple'] extends true ? string[] : string) : boolean;
export type FlagValues<T extends FlagSpecs> = { [K in keyof T]?: ValueOf<T[K]> };

export interface ParseOptions {
  /** The command takes the app's arguments after `--` (run, config): `--args` is pointed there. */
  appArgs?: boolean;
}

/** `--prot` → `unknown flag --prot (did you mean --port?)`, with the fix. */
export function unknownFlag(command: string, raw: string, specs: FlagSpecs, opts: ParseOptions = {}): HotwatchError {
  const name = raw.replace(/^-+/, '');
  const long = Object.keys(specs);
  const short = Object.entries(specs).flatMap(([n, s]) => (s.short ? [[s.short, n] as const] : []));
  const close = raw.startsWith('--') || name.length > 1 ? suggest(name, long) : undefined;
  const help = `hotwatch ${command} --help lists its flags`;
  if (close !== undefined) return new HotwatchError('FLAG_INVALID', `unknown flag ${raw} (did you mean --${close}?)`, { hint: help });
  // A config key that has no flag of its own (--output, --quiet, --backend): say where it is set.
  const keys = CONFIG_KEY_PATHS.filter(
    (p) => p.includes('.') && p.split('.').pop()!.toLowerCase() === name.toLowerCase().replace(/-/g, ''),
  );
  if (keys.includes('run.args') && opts.appArgs) {
    return new HotwatchError('FLAG_INVALID', `unknown flag ${raw}: the app's arguments go after --`, {
      hint: `hotwatch ${command} -- ARGS... (they replace run.args)`,
    });
  }
  if (keys.length > 0) {
    return new HotwatchError('FLAG_INVALID', `unknown flag ${raw}: there is no flag for ${keys.join(' or ')}`, {
      hint: `set ${keys.join(' or ')} in watcher.config.yaml (${help})`,
    });
  }
  const all = [...long.map((n) => `--${n}`), ...short.map(([s]) => `-${s}`)].join(', ');
  return new HotwatchError('FLAG_INVALID', `unknown flag ${raw}`, { hint: `the flags of hotwatch ${command} are ${all} (${help})` });
}

/**
 * Parse `argv` against `specs`. Positionals are returned (the caller decides whether it takes any).
 * Every problem is one FLAG_INVALID error (exit 2) naming the flag and the fix.
 */
export function parseFlags<T extends FlagSpecs>(
  command: string,
  argv: string[],
  specs: T,
  opts: ParseOptions = {},
): { values: FlagValues<T>; positionals: string[] } {
  const { values, positionals, tokens } = parseArgs({ args: argv, options: specs, strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const spec = Object.hasOwn(specs, t.name) ? specs[t.name] : undefined;
    if (spec === undefined) throw unknownFlag(command, t.rawName, specs, opts);
    const shown = t.rawName.startsWith('--') ? t.rawName : `${t.rawName} (--${t.name})`;
    if (spec.type === 'boolean' && t.inlineValue) {
      throw new HotwatchError('FLAG_INVALID', `${shown} takes no value (got "${t.value}")`, { hint: `write ${t.rawName} alone` });
    }
    if (spec.type === 'string') {
      // parseArgs takes the next argument as the value even when it is another flag (`--port --poll`).
      const missing = t.value === undefined || t.value === '' || (!t.inlineValue && t.value.startsWith('-'));
      if (missing) {
        const after = t.value && !t.inlineValue ? ` (${t.value} is a flag, not its value)` : '';
        throw new HotwatchError('FLAG_INVALID', `${shown} needs a value${after}`, {
          hint: `write ${t.rawName} VALUE (or --${t.name}=VALUE for a value that starts with "-"); hotwatch ${command} --help describes it`,
        });
      }
    }
  }
  return { values: values as FlagValues<T>, positionals };
}

/**
 * What to print for an error of node's parseArgs in a command that uses it directly (status, reload,
 * systemd-unit, init): an unknown flag as run says it (did you mean --json?), anything else with the help.
 */
export function parseArgsProblem(command: string, e: unknown, flags: readonly string[] | FlagSpecs): string {
  return parseArgsError(command, e, flags).format();
}

/** parseArgsProblem as the error to throw (a command that ends through userErrorExit). */
export function parseArgsError(command: string, e: unknown, flags: readonly string[] | FlagSpecs): HotwatchError {
  const message = e instanceof Error ? e.message : String(e);
  const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
  if (unknown !== undefined) {
    const specs = Array.isArray(flags) ? Object.fromEntries(flags.map((f) => [f, { type: 'boolean' as const }])) : (flags as FlagSpecs);
    return unknownFlag(command, unknown, specs);
  }
  return new HotwatchError('FLAG_INVALID', message, { hint: `see hotwatch ${command} --help` });
}
