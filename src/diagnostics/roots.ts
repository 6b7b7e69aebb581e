/**
 * The doctor's view of the watch set: every root `hotwatch run` would watch (the root, and each local
 * module the build compiles from outside it) and why each is there, with its directory count (they count
 * against the same inotify budget), and the modules it would refuse to watch (not a directory, another
 * user's). Asked of the toolchain exactly as `hotwatch run` asks it (no network).
 */
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { describeRoot, planRoots, rulesFor } from '../watch/roots/module-roots.js';
import { scanTree } from '../watch/tree/scan.js';
import { buildDirsOnce, buildInputs, planIgnored } from '../watch/roots/ignored-excludes.js';
import type { Check, RootFact } from './report-schema.js';

export interface RootsReport {
  /** The extra roots (the main root is not in it), with their directory counts. */
  roots: RootFact[];
  /** Directories of the extra roots together (0 when polling). */
  extraDirs: number;
  checks: Check[];
}

export async function rootsReport(settings: Settings, signal: AbortSignal): Promise<RootsReport> {
  const cwd = process.cwd();
  let plan: Awaited<ReturnType<typeof planRoots>>;
  try {
    plan = await planRoots(settings.root, signal, { ...process.env, ...settings.build.env });
    signal.throwIfAborted();
  } catch (e) {
    signal.throwIfAborted();
    const detail = `the go toolchain could not list the local modules the build uses, so modules outside the root are not known: ${(e as Error).message}`;
    return {
      roots: [{ dir: settings.root, why: 'root' }],
      extraDirs: 0,
      checks: [{ id: 'tree.roots', title: 'Roots watched', status: 'info', detail }],
    };
  }
  const roots: RootFact[] = [{ dir: settings.root, why: 'root' }];
  let extraDirs = 0;
  const checks: Check[] = [];
  const buildDirs = buildDirsOnce(buildInputs(settings.root, settings.build), signal);
  for (const r of plan.extra) {
    const ignored = await planIgnored(rulesFor(settings.watch, r), buildDirs, signal);
    const scan = await scanTree(ignored.settings, { signal });
    const dirs = settings.watch.backend === 'poll' ? 0 : scan.dirs.length;
    extraDirs += dirs;
    roots.push({ dir: r.dir, why: r.why, dirs });
  }
  for (const s of plan.skipped) {
    if (!s.loud) continue;
    checks.push({
      id: `tree.module-unwatched:${s.dir}`,
      title: 'Module not watched',
      status: 'warn',
      detail: `${describeRoot(s, cwd)} is compiled into the app but ${s.reason}: hotwatch will not watch it, its edits are not seen`,
      fix: { text: `Own it (chown -R ${process.getuid?.() ?? '$USER'} ${s.dir}) or point the build at a copy you own.` },
    });
  }
  const listed = roots.map((r) => `${r.why === 'root' ? shownRoot(r.dir, cwd) : describeRoot(r, cwd)}`).join(', ');
  const detail =
    roots.length === 1
      ? `${shownRoot(settings.root, cwd)}: the build uses no local module outside it`
      : `${roots.length} roots: ${listed} (${extraDirs} director${extraDirs === 1 ? 'y' : 'ies'} outside the root, counted in the budget)`;
  checks.unshift({ id: 'tree.roots', title: 'Roots watched', status: 'ok', detail });
  return { roots, extraDirs, checks };
}

const shownRoot = (dir: string, cwd: string): string => {
  const rel = path.relative(cwd, dir);
  return rel === '' ? '. (root)' : `${rel.startsWith('..') ? dir : rel} (root)`;
};
