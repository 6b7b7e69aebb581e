/**
 * Compiler output as a person at a terminal needs it: `go build` names files relative to the directory
 * it ran in (the module root), so `./main.go:19:6` neither opens nor turns into a link from where
 * hotwatch was started (a repo's parent, `--root examples/hello`). Each `file:line[:col]` is rewritten
 * relative to the directory hotwatch was started in (absolute when it lies outside it), the form editors
 * and terminals open.
 */
import path from 'node:path';

/** `file.go:line` or `file.go:line:col`, at the start of a line (after indentation), as go prints them. */
const LOCATION = /^(\s*)((?:[A-Za-z]:)?[^\s:]+\.(?:go|s|c|h|mod|sum|tmpl|tpl|html)):(\d+)(:\d+)?(?=:|\s|$)/;

/** One line with its location made to resolve from `cwd`; lines without one come back unchanged. */
export function relocateLine(line: string, buildDir: string, cwd: string): string {
  const m = LOCATION.exec(line);
  if (!m) return line;
  const [whole, indent, file, row, col = ''] = m;
  const abs = path.resolve(buildDir, file!);
  const rel = path.relative(cwd, abs);
  const shown = rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel;
  return `${indent}${shown}:${row}${col}${line.slice(whole.length)}`;
}

export interface CompilerErrors {
  /** The output, locations rewritten, in order. */
  lines: string[];
  /** Lines that point at a place in a file: the errors a person fixes. */
  count: number;
  /** Those lines, rewritten. */
  errors: string[];
}

/** The build's output, ready to print once under BUILD FAILED. */
export function compilerErrors(output: readonly string[], buildDir: string, cwd: string): CompilerErrors {
  const lines = output.map((l) => relocateLine(l, buildDir, cwd));
  const errors = lines.filter((_, i) => LOCATION.test(output[i]!));
  return { lines, count: errors.length, errors };
}
