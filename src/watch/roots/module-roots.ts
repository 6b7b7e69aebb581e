/**
 * Which directories the watch set holds besides the root: the local modules the build compiles from
 * outside it (a go.work `use` directory, a local `replace` target), asked of the toolchain (localModules,
 * no network). Each is resolved with realpath and must be a directory owned by the user or root: a module
 * directory another user could have planted (a shared /tmp, a replace to a world-writable place) is
 * skipped loudly, never watched. Modules in the module cache never change under a build: not watched. A
 * module inside another watched root is already watched there: not twice. A root below its module's
 * go.mod (`hotwatch run` in cmd/api) has the module's directory as an extra root, minus the root itself
 * (nested): the build compiles the packages it imports from there.
 */
import { IGNORE_FILE_GLOB } from './ignore-files.js';
import fs from 'node:fs';
import path from 'node:path';
import { localModules, type ModuleLayout } from '../../os/go-modules.js';
import { modfileOf } from '../../os/go-command.js';
import type { BuildInputs } from './ignored-excludes.js';
import { myUid, realPathOr } from '../../os/safe-fs.js';
import type { WatchSettings } from '../../config/settings.js';
import type { Logger } from '../../log/logger.js';
import { excludeGlobs } from '../tree/gitignore.js';

export interface WatchRoot {
  /** Real path of the module's directory. */
  dir: string;
  /** Why the build uses it: "replace target of example.com/lib", "go.work use (lib)". */
  why: string;
  /** Roots of the watch set strictly under this one (the main root inside a workspace module): not descended here. */
  nested: string[];
}

export interface SkippedRoot {
  dir: string;
  why: string;
  /** Why it is not watched. */
  reason: string;
  /** Loud (a warning): the build compiles files that hotwatch will not see. */
  loud: boolean;
  /** It does not exist (yet): its go.mod is polled, and it joins the set once it appears. */
  missing?: true;
}

export interface RootsPlan {
  /** Roots to watch besides the main root, outermost first. */
  extra: WatchRoot[];
  skipped: SkippedRoot[];
  /** The go.work in force (its edits change the set even where no root holds it). */
  workspace: string | undefined;
}

const isUnder = (p: string, dir: string): boolean => p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);

/** Why `dir` (already real) cannot be trusted as a watched root, or undefined. */
function untrustedReason(dir: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    return `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  if (!st.isDirectory()) return 'is not a directory';
  const uid = myUid();
  if (uid !== undefined && st.uid !== uid && st.uid !== 0) return `is owned by uid ${st.uid}, not by you (uid ${uid}) or root`;
  return undefined;
}

/** Pure given the layout (and the disk for realpath and ownership): the extra roots of the watch set. */
export function rootsOf(layout: ModuleLayout, mainRoot: string): RootsPlan {
  const main = realPathOr(mainRoot);
  const modcache = layout.modcache ? realPathOr(layout.modcache) : undefined;
  const skipped: SkippedRoot[] = [];
  const candidates: { dir: string; why: string }[] = [];
  for (const m of layout.modules) {
    // The main module is the root's own, unless the root is below its go.mod (`hotwatch run` in cmd/api):
    // then the packages it imports from the rest of the module (../../internal) are watched with it.
    const aboveRoot = m.why === 'main module' && isUnder(main, realPathOr(m.dir)) && realPathOr(m.dir) !== main;
    if (m.why === 'main module' && !aboveRoot) continue;
    if (!fs.existsSync(m.dir)) {
      skipped.push({ dir: m.dir, why: m.why, reason: 'does not exist (the build reports it)', loud: false, missing: true });
      continue;
    }
    const dir = realPathOr(m.dir);
    if (isUnder(dir, main)) continue; // watched with the root
    if (modcache && isUnder(dir, modcache)) {
      skipped.push({ dir, why: m.why, reason: 'is in the module cache (GOMODCACHE), which never changes under a build', loud: false });
      continue;
    }
    const bad = untrustedReason(dir);
    if (bad) {
      skipped.push({ dir, why: m.why, reason: bad, loud: true });
      continue;
    }
    candidates.push({ dir, why: aboveRoot ? 'the module the root is in' : m.why });
  }
  // Outermost first: a module inside another extra root is watched there.
  candidates.sort((a, b) => a.dir.length - b.dir.length);
  const extra: WatchRoot[] = [];
  for (const c of candidates) {
    if (extra.some((r) => isUnder(c.dir, r.dir))) continue;
    extra.push({ ...c, nested: isUnder(main, c.dir) ? [main] : [] });
  }
  return { extra, skipped, workspace: layout.workspace };
}

/** The watch set's extra roots for `mainRoot`, as the toolchain sees them now. Rejects when it cannot say. */
export async function planRoots(mainRoot: string, signal: AbortSignal, env: NodeJS.ProcessEnv, modfile?: string): Promise<RootsPlan> {
  return rootsOf(await localModules(mainRoot, signal, env, modfile), mainRoot);
}

/**
 * `plan` with the directories the build compiles through a symlink out of the root (a linked package
 * directory, a linked source file's directory: go-embeds.ts) as extra roots, checked as modules are
 * (ownership, the module cache), each once and outermost first. Unwatched, their edits never built.
 */
export function withLinked(plan: RootsPlan, linked: ReadonlyArray<{ dir: string; from: string }>, mainRoot: string): RootsPlan {
  if (linked.length === 0) return plan;
  const extra = [...plan.extra];
  const skipped = [...plan.skipped];
  const main = realPathOr(mainRoot);
  for (const l of [...linked].sort((a, b) => a.dir.length - b.dir.length)) {
    if (isUnder(l.dir, main) || extra.some((r) => isUnder(l.dir, r.dir))) continue;
    // Gone since go listed it (a go.work module moved away): the build says so; not "another user's" to chown.
    if (!fs.existsSync(l.dir)) continue;
    const why = `linked from ./${path.relative(mainRoot, l.from).split(path.sep).join('/')}`;
    const bad = untrustedReason(l.dir);
    if (bad) skipped.push({ dir: l.dir, why, reason: bad, loud: true });
    else extra.push({ dir: l.dir, why, nested: isUnder(main, l.dir) ? [main] : [] });
  }
  return { ...plan, extra, skipped };
}

/** planRoots, or undefined when the toolchain cannot answer (said at debug: a broken go.mod is the build's to report). */
export async function planRootsOrNone(
  mainRoot: string,
  { signal, goEnv, build }: { signal: AbortSignal; goEnv: NodeJS.ProcessEnv; build: BuildInputs | undefined },
  log: Logger,
): Promise<RootsPlan | undefined> {
  try {
    return await planRoots(mainRoot, signal, goEnv, build && modfileOf(build.flags, goEnv, build.root));
  } catch (e) {
    if (!signal.aborted) log.debug({ event: 'modules.unknown', err: e }, `could not list the local modules the build uses: ${String(e)}`);
    return undefined;
  }
}

/** `p` as a person started in `cwd` reads it: relative when that reads well, absolute otherwise. */
export function shownPath(p: string, cwd: string): string {
  const rel = path.relative(cwd, p);
  if (rel === '') return '.';
  if (path.isAbsolute(rel) || rel.split(path.sep).filter((s) => s === '..').length > 2) return p;
  return rel;
}

/** "../lib (replace target of example.com/lib)". */
export function describeRoot(r: { dir: string; why: string }, cwd: string): string {
  return `${shownPath(r.dir, cwd)} (${r.why})`;
}

/** The rules of the config for an extra root: relative globs apply under it; roots nested in it are not descended twice. */
export function rulesFor(rules: WatchSettings, root: WatchRoot): WatchSettings {
  return { ...withGoWork(rules), root: root.dir, exclude: [...rules.exclude, ...excludeGlobs(root.dir, root.nested)] };
}

/**
 * go.work decides the build as much as go.mod: relevant wherever it is, and so does the file a `-modfile`
 * flag names (with its .sum). So do the go.mod and go.sum of every module under a root, not only the
 * root's own: a go.work member (api/go.mod at a workspace root), a replace target inside the tree, or a
 * nested module that a go.work edit may bring in. A nested module the build does not use costs a build of
 * the same binary (no restart) at its go.mod's edit. With watch.gitignore, every
 * .gitignore is reported too (ignore-files.ts: it changes what is watched, it never builds).
 */
export function withGoWork(s: WatchSettings, o?: { build: BuildInputs | undefined; goEnv: NodeJS.ProcessEnv }): WatchSettings {
  const modfile = o?.build && modfileOf(o.build.flags, o.goEnv, o.build.root);
  const own = modfile ? modfileGlobs(s.root, modfile) : [];
  const more = ['go.work', ...MODULE_FILES_ANY_DEPTH, ...own, ...(s.gitignore ? [IGNORE_FILE_GLOB] : [])].filter(
    (g) => !s.include.includes(g),
  );
  return more.length === 0 ? s : { ...s, include: [...s.include, ...more] };
}

/** Every module's go.mod and go.sum under a root (a root's own are in the default watch.include). */
const MODULE_FILES_ANY_DEPTH = ['**/go.mod', '**/go.sum'];

/** The `-modfile` file and its .sum (go.dev.mod, go.dev.sum) as include globs of the root, when inside it. */
function modfileGlobs(root: string, modfile: string): string[] {
  const rel = path.relative(root, modfile).split(path.sep).join('/');
  if (rel.startsWith('..') || path.isAbsolute(rel)) return [];
  const literal = (g: string): string => g.replace(/[*?[\]{}()!+@\\]/g, '\\$&');
  return [literal(rel), literal(`${rel.replace(/\.mod$/, '')}.sum`)];
}
