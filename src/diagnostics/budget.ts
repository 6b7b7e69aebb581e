/**
 * The inotify budget: how many watches and instances this repository needs with the current config,
 * against the effective limits minus what this user's processes hold now → ok / warn / fail with the
 * headroom and the exact sysctl fix. Pure: numbers in, checks out.
 */
import path from 'node:path';
import { effectiveInstanceLimit, effectiveWatchLimit, type InotifyLimits, type UserInotifyUsage } from './inotify.js';
import { niceLimit, sysctlFix } from './fixes.js';
import type { BudgetFacts, Check, Fix } from './report-schema.js';

/** Instances the native watcher creates (one libuv loop in its worker; the main loop may add one). */
export const INSTANCES_NEEDED = 2;

export interface BudgetInput {
  limits: InotifyLimits;
  usage: UserInotifyUsage;
  /** Directories the native watcher would watch; undefined when the tree could not be scanned. */
  dirs: number | undefined;
  backend: 'auto' | 'native' | 'poll';
  root: string;
  /** The largest top-level subtrees (relative path, dirs), for the excludeDirs alternative. */
  largest?: { dir: string; dirs: number }[];
  configFile: string | undefined;
}

const fmt = (n: number | undefined) => (n === undefined ? 'unknown' : n.toLocaleString('en-US'));

/** The top-level subtrees with the most directories. Pure. */
export function largestSubtrees(root: string, dirs: readonly string[], n = 3): { dir: string; dirs: number }[] {
  const counts = new Map<string, number>();
  for (const d of dirs) {
    const rel = path.relative(root, d);
    if (!rel || rel.startsWith('..')) continue;
    const top = rel.split(path.sep)[0]!;
    counts.set(top, (counts.get(top) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([dir, c]) => ({ dir, dirs: c }));
}

function topConsumers(u: UserInotifyUsage): string {
  if (u.top.length === 0) return '';
  return `; top: ${u.top
    .slice(0, 3)
    .map((c) => `pid ${c.pid} ${c.cmd.length > 60 ? `${c.cmd.slice(0, 57)}...` : c.cmd} (${fmt(c.watches)} watches, ${c.instances} instances)`)
    .join('; ')}`;
}

function limitsText(l: InotifyLimits, key: 'watches' | 'instances'): string {
  const [fsKey, nsKey] = key === 'watches' ? (['max_user_watches', 'max_inotify_watches'] as const) : (['max_user_instances', 'max_inotify_instances'] as const);
  const fsVal = key === 'watches' ? l.maxUserWatches : l.maxUserInstances;
  const nsVal = key === 'watches' ? l.userNs.maxInotifyWatches : l.userNs.maxInotifyInstances;
  return `fs.inotify.${fsKey}=${fmt(fsVal)}${nsVal !== undefined ? `, user.${nsKey}=${fmt(nsVal)}` : ''}`;
}

function raiseFix(l: InotifyLimits, key: 'watches' | 'instances', needed: number, alternative: string | undefined): Fix {
  const value = key === 'watches' ? niceLimit(needed, 524_288) : niceLimit(needed, 1024);
  const fsKey = key === 'watches' ? 'fs.inotify.max_user_watches' : 'fs.inotify.max_user_instances';
  const nsKey = key === 'watches' ? 'user.max_inotify_watches' : 'user.max_inotify_instances';
  const fsVal = key === 'watches' ? l.maxUserWatches : l.maxUserInstances;
  const nsVal = key === 'watches' ? l.userNs.maxInotifyWatches : l.userNs.maxInotifyInstances;
  const nsBinds = nsVal !== undefined && (fsVal === undefined || nsVal < fsVal) && (fsVal === undefined || fsVal >= needed);
  const extra = nsBinds ? [`sudo sysctl -w ${nsKey}=${value}    # inside this user namespace/container (its own, lower limit)`] : [];
  const text = nsBinds
    ? `This user namespace (container) lowers ${nsKey} to ${fmt(nsVal)}: raise it where the namespace is created (as its root: sysctl -w ${nsKey}=${value}); on the host, make the limit permanent with ${fsKey} = ${value} in a sysctl.d file.`
    : `Raise ${fsKey} to ${value} with a sysctl.d file and apply it.`;
  return sysctlFix(alternative ? `${text} ${alternative}` : text, { [fsKey]: value }, extra);
}

export function budgetChecks(b: BudgetInput): { checks: Check[]; facts: Pick<BudgetFacts, 'watchesAvailable' | 'headroomAfterStart'> } {
  const checks: Check[] = [];
  const l = b.limits;
  const wl = effectiveWatchLimit(l);
  const il = effectiveInstanceLimit(l);
  const u = b.usage;
  const watchesAvailable = wl === undefined ? undefined : wl - u.watches;
  const headroom = watchesAvailable === undefined || b.dirs === undefined ? undefined : watchesAvailable - b.dirs;

  // Watches.
  const usedText = `this user holds ${fmt(u.watches)} watches in ${fmt(u.instances)} instances (${u.processes} processes${u.unreadable ? `, ${u.unreadable} unreadable` : ''})${topConsumers(u)}`;
  if (b.backend === 'poll') {
    checks.push({ id: 'inotify.watches', title: 'inotify watches', status: 'info', detail: `watch.backend is "poll": no inotify watches needed; limit ${limitsText(l, 'watches')}; ${usedText}` });
  } else if (wl === undefined) {
    checks.push({ id: 'inotify.watches', title: 'inotify watches', status: 'info', detail: `inotify limits unreadable (no /proc/sys/fs/inotify): not Linux, or /proc is hidden; ${fmt(b.dirs)} directories to watch` });
  } else if (b.dirs === undefined) {
    checks.push({ id: 'inotify.watches', title: 'inotify watches', status: 'warn', detail: `the tree could not be scanned, so the budget is unknown; limit ${limitsText(l, 'watches')}; ${usedText}` });
  } else {
    const need = b.dirs;
    const head = headroom!;
    const summary = `this repo needs ${fmt(need)} watches (one per directory after excludes); limit ${fmt(wl)} (${limitsText(l, 'watches')}); ${usedText}; available ${fmt(watchesAvailable)}, headroom after start ${fmt(head)}`;
    const alt =
      b.largest && b.largest.length > 0
        ? `Or watch fewer directories: add the largest subtrees you do not edit to watch.excludeDirs in ${b.configFile ?? 'watcher.config.yaml'} (largest: ${b.largest.map((x) => `${x.dir}/ ${fmt(x.dirs)} dirs`).join(', ')}).`
        : undefined;
    const needed = u.watches + need * 2;
    if (head < 0) {
      checks.push({ id: 'inotify.watches', title: 'inotify watches', status: 'fail', detail: `not enough inotify watches: ${summary}. Watching would stop with ENOSPC, leaving ${fmt(-head)} directories unwatched.`, fix: raiseFix(l, 'watches', needed, alt) });
    } else if (head < Math.max(512, need / 4)) {
      checks.push({ id: 'inotify.watches', title: 'inotify watches', status: 'warn', detail: `little headroom: ${summary}. New directories (or other tools) may hit the limit.`, fix: raiseFix(l, 'watches', needed, alt) });
    } else {
      checks.push({ id: 'inotify.watches', title: 'inotify watches', status: 'ok', detail: summary });
    }
  }

  // Instances.
  if (il !== undefined && b.backend !== 'poll') {
    const avail = il - u.instances;
    const detail = `limit ${fmt(il)} (${limitsText(l, 'instances')}); this user holds ${fmt(u.instances)}; available ${fmt(avail)}; hotwatch needs up to ${INSTANCES_NEEDED}`;
    if (avail < 1) {
      checks.push({ id: 'inotify.instances', title: 'inotify instances', status: 'fail', detail: `no inotify instance can be created: ${detail}. Watchers fail with EMFILE "too many open files".`, fix: raiseFix(l, 'instances', u.instances + 128, undefined) });
    } else if (avail < INSTANCES_NEEDED + 2) {
      checks.push({ id: 'inotify.instances', title: 'inotify instances', status: 'warn', detail: `almost no inotify instances left: ${detail}`, fix: raiseFix(l, 'instances', u.instances + 128, undefined) });
    } else {
      checks.push({ id: 'inotify.instances', title: 'inotify instances', status: 'ok', detail });
    }
  }

  // Queue length (global; informative).
  if (l.maxQueuedEvents !== undefined) {
    checks.push({
      id: 'inotify.queue',
      title: 'inotify event queue',
      status: 'info',
      detail: `fs.inotify.max_queued_events=${fmt(l.maxQueuedEvents)}: per-instance kernel queue; a burst larger than this overflows it and the kernel drops events (no watcher library reports it; hotwatch infers it from bursts and stalls and rescans)`,
    });
  }
  return { checks, facts: { watchesAvailable, headroomAfterStart: headroom } };
}
