/**
 * The inotify budget at start (arm-first.ts: counted by the arming walk, against the usage read before
 * it; `hotwatch doctor` counts by a scan): the directories to watch (one watch each, plus the sentinel dir)
 * against what is left of the watch limit, and an inotify instance left (INSTANCES_NEEDED). Both levels
 * the kernel enforces are checked: the initial namespace's fs.inotify.max_user_* (all of this user's
 * processes count) and, when a user namespace lowers it, user.max_inotify_* (only that namespace's
 * processes count). `budgetOf` and `planOverBudget` are pure; `measureBudget` reads /proc; `judgeBudget`
 * returns the verdict the watchdog logs and acts on (it imports nothing of the watchdog).
 */
import os from 'node:os';
import { inotifyUsageByUser, readInotifyLimits, limitingUserNs, type InotifyLimits, type UserInotifyUsage } from '../../os/inotify.js';
import { HotwatchError } from '../../errors.js';
import { nsLimitBinds } from '../../os/sysctl.js';
import { describeSubtrees, MAX_POLLED_SUBTREES, safetyMargin, splitForBudget, type BudgetSplit } from './split.js';
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
  const short: WatchBudget['short'] =
    available !== undefined && available < b.dirs
      ? 'watches'
      : instAvail !== undefined && instAvail < INSTANCES_NEEDED
        ? 'instances'
        : undefined;
  const base = {
    dirs: b.dirs,
    limit: w?.limit,
    used: w?.used,
    available,
    instancesUsed: i?.used,
    instancesLimit: i?.limit,
    fits: short === undefined,
    short,
  };
  if (!w)
    return {
      ...base,
      message: `inotify limits unreadable (not Linux, or /proc is hidden): ${fmt(b.dirs)} directories to watch, no budget check`,
    };
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
        `no inotify instance left: the inotify instance limit (${nsLimitBinds(l.maxUserInstances, l.userNs.maxInotifyInstances) ? 'user.max_inotify_instances' : 'fs.inotify.max_user_instances'}) is ${fmt(i!.limit)} and this user's ` +
        `processes hold ${fmt(i!.used)}; native watching cannot start (this is not the open-files limit)`,
    };
  }
  return {
    ...base,
    message:
      `inotify budget: ${fmt(b.dirs)} watches needed (one per directory to watch, and one for the watchdog's sentinel directory), ${fmt(available)} of ${fmt(w.limit)} watches left ` +
      `(${fmt(w.used)} held by this user's processes)${i ? `, ${fmt(instAvail)} of ${fmt(i.limit)} instances left` : ''}`,
  };
}

/** The limits and this user's usage: read before arming when the count comes later (judgeBudget's `usage`). */
export type InotifyUsage = Omit<BudgetInput, 'dirs'>;

export function readUsage(): InotifyUsage {
  const limits = readInotifyLimits();
  const uid = euid();
  const all = uid === undefined ? undefined : inotifyUsageByUser(uid, { topN: 3 });
  const selfNs = limitingUserNs(limits);
  const ns = uid !== undefined && selfNs !== undefined ? inotifyUsageByUser(uid, { topN: 3, userNs: selfNs }) : undefined;
  return { limits, all, ns };
}

/** Reads the limits and this user's usage (or takes `usage` read earlier), and judges `dirs`. */
export function measureBudget(dirs: number, usage: InotifyUsage = readUsage()): WatchBudget {
  const b = budgetOf({ dirs, ...usage });
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

/** What `hotwatch run` does when the watches do not fit (`hotwatch doctor` words the same plan). */
export type OverBudgetPlan =
  | { action: 'refuse' }
  /** The watches left fit part of the tree: these subtrees are polled, the rest watched natively. */
  | { action: 'poll-subtrees'; split: BudgetSplit }
  | { action: 'poll-tree' };

/**
 * watchdog.overBudget applied to a budget that does not fit. Pure. `dirs`: the watches needed (the
 * tree's directories plus the sentinel dir); `tree`: the directories to watch (root among them), which a
 * split needs; only a shortage of watches can be split (no instance left polls the whole tree).
 */
export function planOverBudget(
  b: Pick<WatchBudget, 'short' | 'available'>,
  opts: { overBudget: 'poll' | 'refuse'; dirs: number; tree?: { root: string; dirs: readonly string[] } | undefined },
): OverBudgetPlan {
  if (opts.overBudget === 'refuse') return { action: 'refuse' };
  const { tree } = opts;
  if (b.short !== 'watches' || b.available === undefined || !tree) return { action: 'poll-tree' };
  const split = splitForBudget(tree.root, tree.dirs, opts.dirs - tree.dirs.length, b.available);
  return split && split.polled.length > 0 ? { action: 'poll-subtrees', split } : { action: 'poll-tree' };
}

export interface BudgetVerdict {
  /** The budget for the watch.budget line, and what is done about it (undefined: it fits). */
  budget: WatchBudget;
  outcome: string | undefined;
  /** overBudget: refuse: the exit-2 error to stop with, once the line is logged. */
  refusal?: HotwatchError;
  /** Why the whole tree is polled instead (overBudget: poll), when it does not fit and no split does. */
  pollReason?: string;
  short?: 'watches' | 'instances';
  /** overBudget: poll and the watches fit part of the tree: these subtrees are polled, the rest native. */
  split?: BudgetSplit & { reason: string; hint: string | undefined; message: string };
}

/**
 * The inotify budget before arming, and watchdog.overBudget applied: 'poll' → poll the overflow part
 * (split.ts: subtrees polled, the rest watched natively) or, when no split fits, the whole tree (the
 * reason is returned); 'refuse' → an exit-2 HotwatchError with the numbers and the fix. The caller logs
 * the verdict (watch.budget) and acts on it.
 * `planned`: the tree is polled anyway (backend poll, root on 9p/NFS...): the budget is informative.
 * `tree`: the directories to watch (root among them); `dirs` = their count plus the sentinel dir.
 */
export function judgeBudget(
  dirs: number,
  opts: {
    planned: string | undefined;
    overBudget: 'poll' | 'refuse';
    pollEvery: string;
    tree?: { root: string; dirs: readonly string[] };
    /** Usage read before this process armed anything (its own watches are not a shortage). */
    usage?: InotifyUsage;
  },
): BudgetVerdict {
  const b = measureBudget(dirs, opts.usage);
  if (opts.planned) return { budget: { ...b, fits: true, hint: undefined }, outcome: `not needed: ${opts.planned}` };
  if (b.fits) return { budget: b, outcome: undefined };
  const plan = planOverBudget(b, { overBudget: opts.overBudget, dirs, tree: opts.tree });
  if (plan.action === 'refuse') {
    const refusal = new HotwatchError(
      b.short === 'instances' ? 'INSTANCE_LIMIT' : 'WATCH_LIMIT',
      `${b.message}; not starting (watchdog.overBudget: refuse)`,
      {
        ...(b.hint ? { hint: `${b.hint}; or set watchdog.overBudget: poll to poll instead` } : {}),
        exitCode: 2,
      },
    );
    return { budget: b, outcome: 'refusing to start (watchdog.overBudget: refuse)', refusal };
  }
  const available = b.available ?? 0;
  const native = `at most ${Math.max(0, available - safetyMargin(available))}: ${Math.max(0, available)} watches left minus a safety margin of ${safetyMargin(available)}`;
  if (plan.action === 'poll-subtrees') {
    const { split } = plan;
    const n = split.polled.length;
    const message =
      `polling ${n} subtree${n === 1 ? '' : 's'} (${split.polledDirs} directories) every ${opts.pollEvery}: ${describeSubtrees(opts.tree!.root, split.polled)}; ` +
      `watching the other ${split.nativeDirs} directories natively (${native})`;
    const reason = `the inotify budget does not fit the whole tree (${b.dirs} directories, ${available} watches left)`;
    return {
      budget: b,
      outcome: `${message} (watchdog.overBudget: poll)`,
      split: { ...split, reason, hint: b.hint, message },
      short: 'watches',
    };
  }
  const splittable = b.short === 'watches' && opts.tree !== undefined && b.available !== undefined;
  const noSplit = splittable
    ? `; no split fits (the natively watched part must be ${native}, with at most ${MAX_POLLED_SUBTREES} polled subtrees)`
    : '';
  const why = b.short === 'instances' ? 'no inotify instance left' : `${b.dirs} directories, ${b.available} watches left`;
  return {
    budget: b,
    outcome: `polling the whole tree every ${opts.pollEvery} instead (watchdog.overBudget: poll)${noSplit}`,
    pollReason: `the inotify budget does not fit (${why})`,
    ...(b.short ? { short: b.short } : {}),
  };
}
