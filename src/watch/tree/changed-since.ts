/**
 * The first build starts while the watches are still being armed (first-build.ts). A write that lands
 * in a directory before its watch is armed gives no event, and the build may have read the file before
 * it: once watching is ready, every directory armed and every relevant file is looked at once, and
 * anything whose ctime or mtime is at or after the build's start becomes an event, so the first cycle
 * builds again. Looking is the only way to know: a file written before its directory's watch existed left
 * no trace but its timestamps. What to look at is what the arming walk itself listed (each directory is
 * armed before it is read, so a file created during arming is listed or seen by a watch); only a tree
 * whose watcher listed nothing (polling, a budget scan) is walked again. On 10,001 directories and
 * 100,000 files the second walk was ~3/4 of the catch-up's CPU, and it ran while the first edit came.
 *   - a relevant file with a new ctime/mtime: a change of that file (created, written, renamed in);
 *   - a directory whose entries changed without a changed file or directory in it to explain it (a file
 *     deleted or renamed away): a rescan, as the watcher does when it cannot name what changed. hotwatch's
 *     own directories (`.hotwatch`, the build output's), created just before or by the first build, explain
 *     their parent's change (else every first run in a fresh directory would build twice).
 * ctime is set by the kernel on every write, rename and chmod and cannot be set back by tools that
 * preserve mtimes. Both come from a coarse kernel clock that may lag the wall clock by a tick: a little
 * before the start counts too (the content index's seed uses the same slack). A file written a moment
 * before the build started is thus built twice at worst, never missed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WatchSettings } from '../../config/settings.js';
import type { WatchEvent } from '../../pipeline/events.js';
import { scanTree } from './scan.js';
import type { ArmedTree } from '../types.js';

/** The kernel stamps times from a coarse clock that may lag the wall clock by a tick (1-10 ms). */
export const TIMESTAMP_SLACK_MS = 50;
/** Paths looked at between two yields to the event loop (~1 ms of lstat). */
const STAT_SLICE = 500;
/** Files named in the events at most; beyond, one rescan stands for them all. */
const MAX_NAMED = 500;

export interface ArmingChanges {
  /** Relevant files written, created or renamed in since the start (absolute, sorted). */
  files: string[];
  /** Directories whose entries changed with no changed entry found in them (something left them). */
  dirs: string[];
  /**
   * Of `files`, those changed with their mtime set back before the start (cp -p, tar, rsync -t): the
   * content index, seeded by mtime, may hold their new bytes as the baseline, so only a rescan (no content
   * dedupe) is sure to build them.
   */
  mtimeKept: string[];
  /** Files and directories looked at. */
  looked: number;
  /** Trees walked again because their arming listed nothing (0 when every arming's listing was used). */
  walked: number;
}

/** 'mtime': written since (mtime and ctime); 'ctime': only its ctime is new; undefined: unchanged or gone. */
function changedAt(p: string, since: number): 'mtime' | 'ctime' | undefined {
  // Synchronous, in slices (see below): a promise per path cost ~0.3 s more CPU and a heap of pending
  // requests on a 10,000-directory tree. Gone since the walk listed it: its directory's times tell.
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  return st === undefined ? undefined : st.mtimeMs >= since ? 'mtime' : st.ctimeMs >= since ? 'ctime' : undefined;
}

/** The paths of `list` changed since `since`, looked at in slices with a yield to the event loop between them. */
async function changedOf(list: readonly string[], since: number, signal: AbortSignal, found: (p: string, how: 'mtime' | 'ctime') => void) {
  for (let i = 0; i < list.length; i++) {
    if (i % STAT_SLICE === 0 && i > 0) {
      await new Promise<void>((r) => setImmediate(r));
      signal.throwIfAborted();
    }
    const how = changedAt(list[i]!, since);
    if (how !== undefined) found(list[i]!, how);
  }
}

/** A directory's mtime and an entry's birth, both set by one mkdir or create, are stamped within a tick. */
const SAME_STAMP_MS = 10;

/**
 * Whether the last change to `dir`'s entries was the creation of one that is still there: an entry the
 * rules leave out of the listing (another hotwatch's `.hotwatch/`, `node_modules/` of a concurrent `npm
 * install`, an app's log file) born when the directory last changed. Such a directory lost nothing after
 * it (a removal would have moved its mtime again), so it needs no rescan: it used to cost a canceled first
 * build and another. A removal just before that birth, within the arming, is hidden as one beside our own
 * `.hotwatch` is. Needs the birth time (statx; Linux's common filesystems have it): without it, a rescan.
 */
function lastChangedByABirth(dir: string): boolean {
  try {
    const changed = fs.lstatSync(dir).mtimeMs;
    for (const name of fs.readdirSync(dir)) {
      const born = fs.lstatSync(path.join(dir, name), { throwIfNoEntry: false })?.birthtimeMs ?? 0;
      if (born > 0 && Math.abs(born - changed) <= SAME_STAMP_MS) return true;
    }
  } catch {
    // unreadable or gone: a rescan says what it can
  }
  return false;
}

/** What the arming listed for the tree, or else a walk of it now. */
async function listingOf(
  tree: ArmedTree | WatchSettings,
  signal: AbortSignal,
): Promise<{ dirs: string[]; files: string[]; walked: boolean }> {
  const armed = 'settings' in tree ? tree.listing : undefined;
  if (armed) return { ...armed, walked: false };
  const scan = await scanTree('settings' in tree ? tree.settings : tree, { signal, files: true });
  return { dirs: scan.dirs, files: scan.files, walked: true };
}

/**
 * What changed in `trees` at or after `sinceEpochMs` (wall clock ms), by their timestamps. `own`: the
 * directories hotwatch itself creates in the tree (absolute).
 */
export async function changedWhileArming(
  trees: readonly (ArmedTree | WatchSettings)[],
  sinceEpochMs: number,
  signal: AbortSignal,
  own: readonly string[] = [],
): Promise<ArmingChanges> {
  const since = sinceEpochMs - TIMESTAMP_SLACK_MS;
  const files: string[] = [];
  const dirs: string[] = [];
  const mtimeKept: string[] = [];
  let looked = 0;
  let walked = 0;
  for (const tree of trees) {
    const scan = await listingOf(tree, signal);
    if (scan.walked) walked++;
    const changedDirs: string[] = [];
    const changedFiles: string[] = [];
    looked += scan.dirs.length + scan.files.length;
    await changedOf(scan.dirs, since, signal, (p) => changedDirs.push(p));
    await changedOf(scan.files, since, signal, (p, how) => {
      changedFiles.push(p);
      if (how === 'ctime') mtimeKept.push(p);
    });
    // A directory is explained by a changed entry directly in it (a new file, a new subdirectory, one of ours).
    const ownChanged = own.filter((p) => changedAt(p, since) !== undefined);
    const explained = new Set([...changedFiles, ...changedDirs, ...ownChanged].map((p) => path.dirname(p)));
    files.push(...changedFiles);
    dirs.push(...changedDirs.filter((d) => !explained.has(d) && !lastChangedByABirth(d)));
  }
  return { files: files.sort(), dirs: dirs.sort(), mtimeKept: mtimeKept.sort(), looked, walked };
}

/** The events that make the next cycle build what changed (none when nothing did); `when` ends the rescan's reason. */
export function catchUpEvents(changes: ArmingChanges, at: number, when = 'while watching was being armed'): WatchEvent[] {
  const { dirs, files, mtimeKept } = changes;
  if (dirs.length > 0 || mtimeKept.length > 0 || files.length > MAX_NAMED) {
    const what =
      dirs.length > 0 ? `entries of ${dirs[0]}` : mtimeKept.length > 0 ? `${mtimeKept[0]} (its mtime kept)` : `${files.length} files`;
    return [{ kind: 'rescan', reason: `${what} changed ${when}`, at }];
  }
  return changes.files.map((p) => ({ kind: 'change', path: p, at }));
}

/**
 * A root armed after the start (a module that joined the build, a directory it compiles through a
 * symlink): what changed there at or after `sinceEpochMs` (from before the build that could have missed
 * it started), as events; none when nothing did, so a root joining costs no build of its own. Looking
 * fails, or 'always' (re-armed after a loss: since when is unknown): a rescan, to be sure.
 */
export async function changedInLateRoot(
  tree: ArmedTree,
  sinceEpochMs: number | 'always',
  name: string,
  signal: AbortSignal,
): Promise<WatchEvent[]> {
  const when = `in ${name} while it was not watched`;
  if (sinceEpochMs === 'always')
    return [
      { kind: 'rescan', reason: `now watching ${name}: building what changed there while it was not watched`, at: performance.now() },
    ];
  try {
    const own = [path.join(tree.settings.root, '.hotwatch')];
    return catchUpEvents(await changedWhileArming([tree], sinceEpochMs, signal, own), performance.now(), when);
  } catch (e) {
    if (signal.aborted) return [];
    return [{ kind: 'rescan', reason: `could not tell what changed ${when} (${String(e)}): building to be sure`, at: performance.now() }];
  }
}

/**
 * Directories watched again after being left out (no longer git-ignored): their files changed at or after
 * `sinceEpochMs`, as changes (a template the app reads at run time then restarts it, which a rescan's
 * build of the same binary did not). `trees`: the roots with their rules now (the globs are relative to
 * each root, so the roots are walked, and what lies outside `dirs` dropped). `name`: the directories, for
 * the reason of a rescan. Rejects when it cannot tell (the caller rescans).
 */
export async function changedInDirs(
  trees: readonly WatchSettings[],
  dirs: readonly string[],
  sinceEpochMs: number,
  name: string,
  signal: AbortSignal,
): Promise<WatchEvent[]> {
  const under = (p: string): boolean => dirs.some((d) => p === d || p.startsWith(d + path.sep));
  const found = await changedWhileArming(trees, sinceEpochMs, signal);
  const kept = { ...found, files: found.files.filter(under), dirs: found.dirs.filter(under), mtimeKept: found.mtimeKept.filter(under) };
  return catchUpEvents(kept, performance.now(), `in ${name} while it was git-ignored`);
}
