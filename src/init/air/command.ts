/**
 * air's command lines (build.cmd, full_bin) read as /bin/sh would, but only when they are plain: words,
 * quotes and leading VAR=value assignments. Anything the shell would expand or chain (`$`, `&&`, `|`,
 * globs, redirections) makes them "not plain", and the conversion keeps the command whole instead of
 * guessing what it does.
 */

/** The words of a plain command line, or undefined when the shell would do more than split it. Pure. */
export function shellWords(line: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let s = '';
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '$' || line[i] === '`') return undefined;
        if (line[i] === '\\' && /["\\$`]/.test(line[i + 1] ?? '')) i++;
        s += line[i];
      }
      if (i >= line.length) return undefined;
      word = (word ?? '') + s;
    } else if (c === '\\') {
      if (i + 1 >= line.length) return undefined;
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (/[;&|<>()$`*?[\]{}~#!]/.test(c)) {
      return undefined;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/** Leading VAR=value words as an environment, and the rest. Pure. */
export function splitAssignments(words: readonly string[]): { env: Record<string, string>; rest: string[] } {
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length; i++) {
    const m = ASSIGNMENT.exec(words[i]!);
    if (!m) break;
    env[m[1]!] = m[2]!;
  }
  return { env, rest: words.slice(i) };
}

export interface GoBuild {
  env: Record<string, string>;
  /** go build flags, `-o` removed, in order. */
  flags: string[];
  /** The -o path as written. */
  output: string;
  /** The one package built: '.' or './dir'. */
  pkg: string;
}

/** go build flags that take the next word as their value (unless written -flag=value). */
const VALUE_FLAGS = new Set([
  'asmflags',
  'buildmode',
  'compiler',
  'coverpkg',
  'covermode',
  'gccgoflags',
  'gcflags',
  'installsuffix',
  'ldflags',
  'mod',
  'modfile',
  'overlay',
  'p',
  'pgo',
  'pkgdir',
  'tags',
  'toolexec',
]);

/** A package argument hotwatch's build.package takes as is: the module root or a directory under it. */
const isLocalPackage = (p: string): boolean => (p === '.' || p.startsWith('./')) && !p.includes('...') && !p.endsWith('.go');

/** `[VAR=v ...] go build [flags] -o OUT [flags] [./pkg]` → its parts; undefined for anything else. Pure. */
export function parseGoBuild(cmd: string): GoBuild | undefined {
  const words = shellWords(cmd);
  if (!words) return undefined;
  const { env, rest } = splitAssignments(words);
  if (rest[0] !== 'go' || rest[1] !== 'build') return undefined;
  const flags: string[] = [];
  const pkgs: string[] = [];
  let output: string | undefined;
  for (let i = 2; i < rest.length; i++) {
    const w = rest[i]!;
    const name = /^--?([A-Za-z]+)(=|$)/.exec(w)?.[1];
    if (name === undefined) pkgs.push(w);
    else if (name === 'o') output = w.includes('=') ? w.slice(w.indexOf('=') + 1) : rest[++i];
    else if (name === 'C')
      return undefined; // changes directory: keep the command whole
    else if (VALUE_FLAGS.has(name) && !w.includes('=')) {
      if (i + 1 >= rest.length) return undefined;
      flags.push(w, rest[++i]!);
    } else flags.push(w);
  }
  const pkg = pkgs.length === 0 ? '.' : pkgs.length === 1 ? pkgs[0]! : undefined;
  if (output === undefined || pkg === undefined || !isLocalPackage(pkg)) return undefined;
  return { env, flags, output, pkg: pkg === '.' ? '.' : pkg.replace(/\/+$/, '') };
}

/** air's full_bin: `[VAR=v ...] PROGRAM [ARGS...]`, or undefined when it is not plain. Pure. */
export function parseRunLine(line: string): { env: Record<string, string>; program: string; args: string[] } | undefined {
  const words = shellWords(line);
  if (!words) return undefined;
  const { env, rest } = splitAssignments(words);
  if (rest.length === 0) return undefined;
  return { env, program: rest[0]!, args: rest.slice(1) };
}
