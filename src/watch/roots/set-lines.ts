/** What the watch set says about its roots (the modules it will not watch), and its figures summed over all roots. */
import path from 'node:path';
import type { Logger } from '../../log/logger.js';
import type { ReconcileReport, Watcher, WatcherReady, WatcherStats } from '../types.js';
import { describeRoot, type SkippedRoot, type WatchRoot } from './module-roots.js';

/** A module not watched: at debug when nothing is lost (the module cache), a warning with the fix when edits would be. Each once. */
export function saySkipped(log: Logger, said: Set<string>, s: SkippedRoot, cwd: string): void {
  const what = `${describeRoot(s, cwd)} ${s.reason}`;
  if (said.has(what)) return;
  said.add(what);
  if (!s.loud) return log.debug({ event: 'watch.module-skipped', dir: s.dir, why: s.why, reason: s.reason }, `not watching ${what}`);
  // Only a directory of another user is a matter of trust: one that cannot be read, or a file, is not.
  const text = s.reason.startsWith('is owned by')
    ? `${what}: NOT watched (a directory another user could change is never trusted); its edits are not seen — fix: own it (chown) or point the build at a copy you own`
    : `${what}: NOT watched; its edits are not seen — fix: make it a directory you can read, or point the build at one`;
  log.warn({ event: 'watch.module-unwatched', dir: s.dir, why: s.why, reason: s.reason }, text);
}

/** The root's ready figures with those of the extra roots added, and the roots named. */
export function sumReady(ready: WatcherReady, extras: { root: WatchRoot; ready: WatcherReady | undefined }[], cwd: string): WatcherReady {
  let { dirs, watches, reason } = ready;
  const armed = extras.filter((e) => e.ready !== undefined);
  for (const { ready: r } of armed) {
    dirs += r!.dirs;
    watches = watches === undefined || r!.watches === undefined ? watches : watches + r!.watches;
  }
  const n = armed.length;
  if (n > 0) reason = `${reason}; ${n} more root${n === 1 ? '' : 's'}: ${armed.map((e) => describeRoot(e.root, cwd)).join(', ')}`;
  return { ...ready, dirs, watches, reason };
}

/** The root's counters plus those of the extra roots; undefined before the root is armed. */
export function sumStats(main: Watcher | undefined, extras: { watcher: Watcher }[]): WatcherStats | undefined {
  const first = main?.stats?.();
  if (!first) return undefined;
  let { dirs, watches } = first;
  for (const e of extras) {
    const s = e.watcher.stats?.();
    dirs += s?.dirs ?? 0;
    watches = watches === undefined || s?.watches === undefined ? watches : watches + s.watches;
  }
  return { ...first, dirs, watches };
}

/** Up to `limit` files the watchers know, the root's first; undefined when the root keeps no list. */
export function knownOf(main: Watcher | undefined, extras: { watcher: Watcher }[], limit: number): string[] | undefined {
  const known = main?.knownFiles?.(limit);
  if (!known) return undefined;
  for (const e of extras) {
    if (known.length >= limit) break;
    known.push(...(e.watcher.knownFiles?.(limit - known.length) ?? []));
  }
  return known;
}

/** One report for all roots: 'repolled' when any root's poller started again. */
export function sumReports(reports: readonly ReconcileReport[]): ReconcileReport {
  const how = reports.some((r) => r.how === 'repolled') ? 'repolled' : 'reconciled';
  const sum = (k: 'dirs' | 'added' | 'removed'): number => reports.reduce((n, r) => n + r[k], 0);
  return { how, dirs: sum('dirs'), added: sum('added'), removed: sum('removed') };
}

/** Whether `file` is in one of `dirs` (a root of the set already sees its events). */
export function underAny(dirs: string[], file: string): boolean {
  return dirs.some((d) => !path.relative(d, file).startsWith('..'));
}

/** A root left the set: said, with whether it is gone or merely unused now. */
export function sayRootRemoved(log: Logger, root: WatchRoot, cwd: string, gone: boolean): void {
  const why = gone ? 'it is gone' : 'the build does not use it any more';
  log.info({ event: 'watch.root-removed', dir: root.dir, why: root.why }, `no longer watching ${describeRoot(root, cwd)}: ${why}`);
}

/** A root that joined could not be armed: loud, its edits are missed until it is. */
export function sayRootFailed(log: Logger, root: WatchRoot, cwd: string, e: unknown): void {
  log.error(
    { event: 'watch.root-failed', dir: root.dir, why: root.why, err: e },
    `${describeRoot(root, cwd)} is compiled into the app but is NOT watched: ${(e as Error).message}; its edits are not seen until a file under the root changes`,
  );
}

/** A root armed: said with its figures. */
export function sayRootAdded(log: Logger, root: WatchRoot, cwd: string, { dirs, backend }: WatcherReady): void {
  const fields = { event: 'watch.root-added', dir: root.dir, why: root.why, dirs, backend };
  log.info(fields, `watching ${describeRoot(root, cwd)}: ${dirs} director${dirs === 1 ? 'y' : 'ies'} (${backend})`);
}
