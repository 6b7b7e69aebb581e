/**
 * The inotify budget BEFORE arming: the directories to watch (one watch each, plus the sentinel dir)
 * against what is left of the watch limit, and an instance left for the watcher thread. Both levels
 * the kernel enforces are checked: the initial namespace's fs.inotify.max_user_* (all of this user's
 * processes count) and, when a user namespace lowers it, user.max_inotify_* (only that namespace's
 * processes count). `budgetOf` is pure; `measureBudget` reads /proc.
 */
import os from 'node:os';
import {
  inotifyUsageByUser,
  readInotifyLimits,
  limitingUserNs,
  type InotifyLimits,
  type UserInotifyUsage,
} from '../../os/inotify.js';
import { HotwatchError } from '../../errors.js';
import { describeSubtrees, MAX_POLLED_SUBTREES, safetyMargin, splitForBudget, type BudgetSplit } from './split.js';
import type { HealthLog } from '../watchdog/health-log.js';
import { instanceLimitError, watchLimitError } from './limits.js';

/**
 * inotify instances hotwatch needs: one. The hotwatch-inotify helper holds the only one (its
 * inotify_init1); without the helper, fs.watch in the watcher thread holds one (libuv's, per event loop)
 * and the main thread never calls fs.watch; polling holds none. A re-arm stops the old watcher (and reaps
 * its helper) before it starts the new one. `hotwatch run` and `hotwatch doctor` both judge with this.
 */
export const INSTANCES_NEEDED = 1;

export interface WatchBudget {
  dirs: number;
  /** The binding watch limit, what is held against it, and what is left (undefined: not Linux). */
  limit: number | undefined;
  used: number | undefined;
  available: number | undefined;
  instancesUsed: number | undefined;
  instancesLimit: number | undefined;
  fits: boolean;
  /** What does not fit. */
  short: 'watches' | 'instances' | undefined;
  /** One sentence with the numbers. */
  message: string;
  /** The fix (sysctl lines) when it does not fit. */
  hint: string | undefined;
}

interface Level {
  limit: number;
  used: number;
}

/** The level with the least headroom among those that apply. Pure. */
function binding(fsLimit: number | undefined, nsLimit: number | undefined, all: number, ns: number | undefined): Level | undefined {
  const levels: Level[] = [];
  if (fsLimit !== undefined) levels.push({ limit: fsLimit, used: all });
  if (nsLimit !== undefined && (fsLimit === undefined || nsLimit < fsLimit)) levels.push({ limit: nsLimit, used: ns ?? all });
  return levels.sort((a, b) => a.limit - a.used - (b.limit - b.used))[0];
}

/**
 * 10001 → "10,001". Not toLocaleString: the first Intl call maps ICU's data from the node binary, 6 MB
 * of RSS for a comma (measured: an idle node, 30 → 36 MB).
 */
export function groupThousands(n: number): string {
  const [int, frac] = String(Math.abs(n)).split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+$)/g, ',');
  return `${n < 0 ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

const fmt = (n: number | undefined) => (n === undefined ? 'unknown' : groupThousands(n));

export interface BudgetInput {
  dirs: number;
  limits: InotifyLimits;
  /** Usage of every visible process of this user. */
  all: UserInotifyUsage | undefined;
  /** Usage of this user namespace's processes only (when it lowers a limit). */
  ns: UserInotifyUsage | undefined;
}

/** Pure: the numbers in, the verdict out (hint filled by measureBudget). */
export function budgetOf(b: BudgetInput): Omit<WatchBudget, 'hint'> {
  const l = b.limits;
  const w = binding(l.maxUserWatches, l.userNs.maxInotifyWatches, b.all?.watches ?? 0, b.ns?.watches);
  const i = binding(l.maxUserInstances, l.userNs.maxInotifyInstances, b.all?.instances ?? 0, b.ns?.instances);
  const available = w ? w.limit - w.used : undefined;
  const instAvail = i ? i.limit - i.used : undefined;
  const short: WatchBudget['short'] = available !== undefined && available < b.dirs ? 'watches' : instAvail !== undefined && instAvail < INSTANCES_NEEDED ? 'instances' : undefined;
  const base = { dirs: b.dirs, limit: w?.limit, used: w?.used, available, instancesUsed: i?.used, instancesLimit: i?.limit, fits: short === undefined, short };
  if (!w) return { ...base, message: `inotify limits unreadable (not Linux, or /proc is hidden): ${fmt(b.dirs)} directories to watch, no budget check` };
  if (short === 'watches') {
    return {
      ...base,
      message:
        `not enough inotify watches: this tree needs ${fmt(b.dirs)} (one per directory, after excludes) but only ${fmt(Math.max(0, available!))} ` +
        `of the limit ${fmt(w.limit)} are left (${fmt(w.used)} held by this user's processes)`,
    };
  }
  if (short === 'instances') {
    return {
      ...base,
      message:
        `no inotify instance left: the inotify instance limit (fs.inotify.max_user_instances) is ${fmt(i!.limit)} and this user's ` +
        `processes hold ${fmt(i!.used)}; native watching cannot start (this is not the open-files limit)`,
    };
  }
  return {
    ...base,
    message:
      `inotify budget: ${fmt(b.dirs)} directories to watch (one watch each), ${fmt(available)} of ${fmt(w.limit)} watches left ` +
      `(${fmt(w.used)} held by this user's processes)${i ? `, ${fmt(instAvail)} of ${fmt(i.limit)} instances left` : ''}`,
  };
}

/** Reads the limits and this user's usage, and judges `dirs`. */
export function measureBudget(dirs: number): WatchBudget {
  const limits = readInotifyLimits();
  const uid = euid();
  const all = uid === undefined ? undefined : inotifyUsageByUser(uid, { topN: 3 });
  const selfNs = limitingUserNs(limits);
  const ns = uid !== undefined && selfNs !== undefined ? inotifyUsageByUser(uid, { topN: 3, userNs: selfNs }) : undefined;
  const b = budgetOf({ dirs, limits, all, ns });
  const hint = b.short === 'watches' ? watchLimitError(dirs).hint : b.short === 'instances' ? instanceLimitError().hint : undefined;
  return { ...b, hint };
}

function euid(): number | undefined {
  try {
    return process.geteuid?.() ?? os.userInfo().uid;
  } catch {
    return undefined;
  }
}

export interface BudgetVerdict {
  /** Why the whole tree is polled instead (overBudget: poll), when it does not fit and no split does. */
  pollReason?: string;
  short?: 'watches' | 'instances';
  /** overBudget: poll and the watches fit part of the tree: these subtrees are polled, the rest native. */
  split?: BudgetSplit & { reason: string; hint: string | undefined; message: string };
}

/**
 * Logs watch.budget before arming and applies watchdog.overBudget: 'poll' → poll the overflow part
 * (split.ts: subtrees polled, the rest watched natively) or, when no split fits, the whole tree
 * (the reason is returned); 'refuse' → throws an exit-2 HotwatchError with the numbers and the fix.
 * `planned`: the tree is polled anyway (backend poll, root on 9p/NFS...): the budget is informative.
 * `tree`: the directories to watch (root among them); `dirs` = their count plus the sentinel dir.
 */
export function judgeBudget(
  dirs: number,
  opts: { planned: string | undefined; overBudget: 'poll' | 'refuse'; pollEvery: string; hl: HealthLog; tree?: { root: string; dirs: readonly string[] } },
): BudgetVerdict {
  const b = measureBudget(dirs);
  if (opts.planned) {
    opts.hl.budget({ ...b, fits: true, hint: undefined }, `not needed: ${opts.planned}`);
    return {};
  }
  if (b.fits) {
    opts.hl.budget(b, undefined);
    return {};
  }
  if (opts.overBudget === 'refuse') {
    opts.hl.budget(b, 'refusing to start (watchdog.overBudget: refuse)');
    throw new HotwatchError(b.short === 'instances' ? 'INSTANCE_LIMIT' : 'WATCH_LIMIT', `${b.message}; not starting (watchdog.overBudget: refuse)`, {
      ...(b.hint ? { hint: `${b.hint}; or set watchdog.overBudget: poll to poll instead` } : {}),
      exitCode: 2,
    });
  }
  const available = b.short === 'watches' && opts.tree ? b.available : undefined;
  const split = available !== undefined ? splitForBudget(opts.tree!.root, opts.tree!.dirs, dirs - opts.tree!.dirs.length, available) : undefined;
  const native = available !== undefined ? `at most ${Math.max(0, available - safetyMargin(available))}: ${Math.max(0, available)} watches left minus a safety margin of ${safetyMargin(available)}` : '';
  if (split && split.polled.length > 0) {
    const n = split.polled.length;
    const which = describeSubtrees(opts.tree!.root, split.polled);
    const message =
      `polling ${n} subtree${n === 1 ? '' : 's'} (${split.polledDirs} directories) every ${opts.pollEvery}: ${which}; ` +
      `watching the other ${split.nativeDirs} directories natively (${native})`;
    opts.hl.budget(b, `${message} (watchdog.overBudget: poll)`);
    const reason = `the inotify budget does not fit the whole tree (${b.dirs} directories, ${available} watches left)`;
    return { split: { ...split, reason, hint: b.hint, message }, short: 'watches' };
  }
  const noSplit = available !== undefined ? `; no split fits (the natively watched part must be ${native}, with at most ${MAX_POLLED_SUBTREES} polled subtrees)` : '';
  opts.hl.budget(b, `polling the whole tree every ${opts.pollEvery} instead (watchdog.overBudget: poll)${noSplit}`);
  const why = b.short === 'instances' ? 'no inotify instance left' : `${b.dirs} directories, ${b.available} watches left`;
  return { pollReason: `the inotify budget does not fit (${why})`, ...(b.short ? { short: b.short } : {}) };
}
