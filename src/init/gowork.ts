/**
 * What kind of Go project the root is: a module (go.mod), a workspace (go.work, whose `use` directives
 * name its modules), or neither (then the nearest parent holding one, for the fix).
 */
import fs from 'node:fs';
import path from 'node:path';
import { readRegularTextSync } from '../os/regular-file.js';

export type ProjectKind =
  | { kind: 'module'; file: string }
  /** `uses`: the modules of the workspace, root-relative ('./app'); `rootModule`: the root has its own go.mod. */
  | { kind: 'workspace'; file: string; uses: string[]; missing: string[]; rootModule: boolean }
  | { kind: 'none'; parent: string | undefined };

/** The `use` paths of a go.work file (single lines and `use ( ... )` blocks), comments removed. Pure. */
export function parseGoWorkUses(text: string): string[] {
  const uses: string[] = [];
  let inBlock = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (!line) continue;
    if (inBlock) {
      if (line === ')') inBlock = false;
      else uses.push(unquote(line));
      continue;
    }
    const m = /^use\s*(\(|.+)$/.exec(line);
    if (!m) continue;
    if (m[1] === '(') inBlock = true;
    else uses.push(unquote(m[1]!.trim()));
  }
  return uses;
}

const unquote = (s: string): string => (/^(["`]).*\1$/.test(s) ? s.slice(1, -1) : s);

/** `./app` for a path relative to the root (`.` for the root itself). */
export function dotPath(root: string, dir: string): string {
  const rel = path.relative(root, dir).split(path.sep).join('/');
  return rel === '' ? '.' : `./${rel}`;
}

export function projectKind(root: string): ProjectKind {
  const work = path.join(root, 'go.work');
  const mod = path.join(root, 'go.mod');
  if (fs.existsSync(work)) {
    const all = parseGoWorkUses(readRegularTextSync(work)).map((u) => path.resolve(root, u));
    const exists = (d: string): boolean => fs.existsSync(path.join(d, 'go.mod'));
    return {
      kind: 'workspace',
      file: work,
      uses: all.filter(exists).map((d) => dotPath(root, d)),
      missing: all.filter((d) => !exists(d)).map((d) => dotPath(root, d)),
      rootModule: fs.existsSync(mod),
    };
  }
  if (fs.existsSync(mod)) return { kind: 'module', file: mod };
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'go.work')) || fs.existsSync(path.join(dir, 'go.mod'))) return { kind: 'none', parent: dir };
    if (path.dirname(dir) === dir) return { kind: 'none', parent: undefined };
  }
}
