/**
 * The inotify budget: how many watches and instances this repository needs with the current config,
 * against the effective limits minus what this user's processes hold now → ok / warn / fail with the
 * headroom and the exact sysctl fix. Pure: numbers in, checks out.
 */
import path from 'node:path';
import { formatDuration } from '../config/duration.js';
import { budgetOf, groupThousands, INSTANCES_NEEDED, planOverBudget } from '../watch/budget/gate.js';
import { describeSubtrees, MAX_POLLED_SUBTREES, safetyMargin } from '../watch/budget/split.js';
import { effectiveWatchLimit, type InotifyLimits, type UserInotifyUsage } from '../os/inotify.js';
import { sysctlFix } from './fixes.js';
import { nsLimitBinds, suggestedInstanceLimit, suggestedWatchLimit } from '../os/sysctl.js';
import type { BudgetFacts, Check, Fix } from './report-schema.js';

/** Fewer instances left than this besides hotwatch's own is worth a warning: an editor or a language server starting takes the rest. */
const SPARE_INSTANCES = 3;

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
  /** Usage of this user namespace's processes only, when it lowers a limit (as `hotwatch run` counts it). */
  nsUsage?: UserInotifyUsage | undefined;
  /** The directories to watch (root among them): `hotwatch run`'s split of the overflow is computed on them. */
  tree?: { root: string; dirs: readonly string[] } | undefined;
  /** watchdog.enabled (its sentinel directory is one more watch), watchdog.overBudget. Default: true, 'poll'. */
  watchdog?: { enabled: boolean; overBudget: 'poll' | 'refuse' } | undefined;
  /** watch.pollInterval (ms), for the messages. */
  pollIntervalMs?: number | undefined;
  /** Why `hotwatch run` polls the whole tree anyway (its root on NFS, 9p...): then no watch is needed. */
  planned?: string | undefined;
  /** Roots of the watch set (the root and modules outside it): one watcher, one instance and one sentinel directory each. Default 1. */
  roots?: number | undefined;
}

const fmt = (n: number | undefined) => (n === undefined ? 'unknown' : groupThousands(n));

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
    .map(
      (c) => `pid ${c.pid} ${c.cmd.length > 60 ? `${c.cmd.slice(0, 57)}...` : c.cmd} (${fmt(c.watches)} watches, ${c.instances} instances)`,
    )
    .join('; ')}`;
}

function limitsText(l: InotifyLimits, key: 'watches' | 'instances'): string {
  const [fsKey, nsKey] =
    key === 'watches' ? (['max_user_watches', 'max_inotify_watches'] as const) : (['max_user_instances', 'max_inotify_instances'] as const);
  const fsVal = key === 'watches' ? l.maxUserWatches : l.maxUserInstances;
  const nsVal = key === 'watches' ? l.userNs.maxInotifyWatches : l.userNs.maxInotifyInstances;
  return `fs.inotify.${fsKey}=${fmt(fsVal)}${nsVal !== undefined ? `, user.${nsKey}=${fmt(nsVal)}` : ''}`;
}

function raiseFix(l: InotifyLimits, key: 'watches' | 'instances', needed: number, value: number, alternative: string | undefined): Fix {
  const fsKey = key === 'watches' ? 'fs.inotify.max_user_watches' : 'fs.inotify.max_user_instances';
  const nsKey = key === 'watches' ? 'user.max_inotify_watches' : 'user.max_inotify_instances';
  const fsVal = key === 'watches' ? l.maxUserWatches : l.maxUserInstances;
  const nsVal = key === 'watches' ? l.userNs.maxInotifyWatches : l.userNs.maxInotifyInstances;
  const nsLower = nsLimitBinds(fsVal, nsVal);
  const fsShort = fsVal !== undefined && fsVal < needed;
  const alt = alternative ? ` ${alternative}` : '';
  // The namespace's own limit: set by its root where the namespace is created (no sudo, no sysctl.d).
  const nsCmd = `sysctl -w ${nsKey}=${value}`;
  const nsText =
    `This user namespace (a container, \`unshare -U\`) lowers ${nsKey} to ${fmt(nsVal)}: raise it where the namespace is created, ` +
    `as the namespace's root (no sudo): \`${nsCmd}\` (or \`echo ${value} > /proc/sys/user/${nsKey.slice(5)}\`).`;
  if (nsLower && !fsShort)
    return { text: `${nsText} A sysctl.d file would not help: ${fsKey} (${fmt(fsVal)}) is not what binds.${alt}`, commands: [nsCmd] };
  if (nsLower)
    return sysctlFix(
      `${nsText} On the host, also raise ${fsKey} to ${value} with a sysctl.d file and apply it.${alt}`,
      { [fsKey]: value },
      [nsCmd],
    );
  return sysctlFix(`Raise ${fsKey} to ${value} with a sysctl.d file and apply it.${alt}`, { [fsKey]: value });
}

type OverBudget = NonNullable<BudgetFacts['overBudget']>;

/**
 * What `hotwatch run` does when the watches do not fit (planOverBudget, the code `hotwatch run` decides with):
 * refuse (exit 2), poll the overflow subtrees, or poll the whole tree. Pure.
 */
function overBudgetPlan(b: BudgetInput, available: number, need: number): { plan: OverBudget; status: 'warn' | 'fail'; text: string } {
  const wd = b.watchdog ?? { enabled: true, overBudget: 'poll' };
  const every = formatDuration(b.pollIntervalMs ?? 1000);
  const all = b.tree?.dirs.length ?? b.dirs ?? 0;
  const whole: OverBudget = { action: 'poll-tree', subtrees: [], polledDirs: all, nativeDirs: 0 };
  if (!wd.enabled) {
    return {
      plan: whole,
      status: 'warn',
      text: `With watchdog.enabled false, \`hotwatch run\` hits the limit (ENOSPC) while arming and polls the whole tree every ${every} instead (degraded).`,
    };
  }
  const plan = planOverBudget({ short: 'watches', available }, { overBudget: wd.overBudget, dirs: need, tree: b.tree });
  if (plan.action === 'refuse') {
    return {
      plan: { ...whole, action: 'refuse', polledDirs: 0 },
      status: 'fail',
      text: '`hotwatch run` refuses to start (watchdog.overBudget: refuse; exit 2).',
    };
  }
  if (plan.action === 'poll-subtrees') {
    const { split } = plan;
    const n = split.polled.length;
    return {
      plan: {
        action: 'poll-subtrees',
        subtrees: split.polled.map((p) => ({ path: p.path, dirs: p.dirs })),
        polledDirs: split.polledDirs,
        nativeDirs: split.nativeDirs,
      },
      status: 'warn',
      text:
        `\`hotwatch run\` polls ${n} subtree${n === 1 ? '' : 's'} (${fmt(split.polledDirs)} directories) every ${every}: ${describeSubtrees(b.tree!.root, split.polled)}; ` +
        `it watches the other ${fmt(split.nativeDirs)} natively (at most ${fmt(Math.max(0, split.target))}: ${fmt(available)} left minus a margin of ${safetyMargin(available)}) (watchdog.overBudget: poll; degraded).`,
    };
  }
  return {
    plan: whole,
    status: 'warn',
    text: `No split fits (the natively watched part must stay under ${fmt(Math.max(0, available - safetyMargin(available)))} with at most ${MAX_POLLED_SUBTREES} polled subtrees): \`hotwatch run\` polls the whole tree every ${every} and retries native watching (watchdog.overBudget: poll; degraded).`,
  };
}

export function budgetChecks(b: BudgetInput): {
  checks: Check[];
  facts: Pick<BudgetFacts, 'watchesAvailable' | 'headroomAfterStart' | 'watchesNeeded' | 'overBudget'>;
} {
  const checks: Check[] = [];
  const l = b.limits;
  const u = b.usage;
  const wd = b.watchdog ?? { enabled: true, overBudget: 'poll' };
  // The watchdog's sentinel directory (one per root) is one watch more, as `hotwatch run` counts it.
  const sentinel = wd.enabled ? (b.roots ?? 1) : 0;
  const need = b.dirs === undefined ? undefined : b.dirs + sentinel;
  // The binding level (fs.inotify or this user namespace) minus what is held against it: as `hotwatch run`.
  const verdict = budgetOf({ dirs: need ?? 0, limits: l, all: u, ns: b.nsUsage });
  const watchesAvailable = verdict.available;
  const headroom = watchesAvailable === undefined || need === undefined ? undefined : watchesAvailable - need;

  const watches = watchesCheck(b, { need, sentinel, available: watchesAvailable, headroom });
  checks.push(watches.check);
  const overBudget = watches.overBudget;

  const instances = instancesCheck(b, verdict);
  if (instances) checks.push(instances);

  if (l.maxQueuedEvents !== undefined) checks.push(queueCheck(l.maxQueuedEvents));
  return { checks, facts: { watchesAvailable, headroomAfterStart: headroom, watchesNeeded: need, ...(overBudget ? { overBudget } : {}) } };
}

/** Whether an inotify instance can be had, as `hotwatch run` judges it (polling needs none). */
function instancesCheck(b: BudgetInput, verdict: ReturnType<typeof budgetOf>): Check | undefined {
  if (verdict.instancesLimit === undefined || b.backend === 'poll' || b.planned) return undefined;
  const l = b.limits;
  const u = b.usage;
  const wd = b.watchdog ?? { enabled: true, overBudget: 'poll' };
  const held = verdict.instancesUsed ?? u.instances;
  const avail = verdict.instancesLimit - held;
  const needed = INSTANCES_NEEDED * (b.roots ?? 1); // one watcher per root of the watch set
  const roots = (b.roots ?? 1) > 1 ? ` (one per root watched: ${b.roots})` : '';
  const detail = `limit ${fmt(verdict.instancesLimit)} (${limitsText(l, 'instances')}); this user holds ${fmt(held)}; available ${fmt(avail)}; hotwatch needs ${needed}${roots}`;
  if (avail < needed) {
    // `hotwatch run` polls the whole tree (overBudget: poll, or no watchdog), or refuses to start.
    const refuse = wd.enabled && wd.overBudget === 'refuse';
    const then = refuse
      ? '`hotwatch run` refuses to start (watchdog.overBudget: refuse; exit 2)'
      : `\`hotwatch run\` polls the whole tree every ${formatDuration(b.pollIntervalMs ?? 1000)} instead (degraded)`;
    return {
      id: 'inotify.instances',
      title: 'inotify instances',
      status: refuse ? 'fail' : 'warn',
      detail: `no inotify instance can be created: ${detail}. Watchers fail with EMFILE "too many open files"; ${then}.`,
      fix: raiseFix(l, 'instances', u.instances + 128, suggestedInstanceLimit(u.instances), undefined),
    };
  } else if (avail < needed + SPARE_INSTANCES) {
    return {
      id: 'inotify.instances',
      title: 'inotify instances',
      status: 'warn',
      detail: `almost no inotify instances left: ${detail}`,
      fix: raiseFix(l, 'instances', u.instances + 128, suggestedInstanceLimit(u.instances), undefined),
    };
  } else {
    return { id: 'inotify.instances', title: 'inotify instances', status: 'ok', detail };
  }
}

/** The kernel's event queue: informative, with how an overflow is handled. */
function queueCheck(maxQueuedEvents: number): Check {
  return {
    id: 'inotify.queue',
    title: 'inotify event queue',
    status: 'info',
    detail: `fs.inotify.max_queued_events=${fmt(maxQueuedEvents)}: per-instance kernel queue; a burst larger than this overflows it and the kernel drops events. hotwatch's inotify helper receives the kernel's overflow event (IN_Q_OVERFLOW) and re-reads every watched directory, rebuilding what changed; without the helper (fs.watch, which drops that event) an overflow is inferred from bursts and stalls and handled the same way`,
  };
}

/** The watches this repo needs against those left, and what `hotwatch run` does when they do not fit. */
function watchesCheck(
  b: BudgetInput,
  {
    need,
    sentinel,
    available: watchesAvailable,
    headroom,
  }: { need: number | undefined; sentinel: number; available: number | undefined; headroom: number | undefined },
): { check: Check; overBudget?: OverBudget } {
  const l = b.limits;
  const wl = effectiveWatchLimit(l);
  const u = b.usage;
  const usedText = `this user holds ${fmt(u.watches)} watches in ${fmt(u.instances)} instances (${u.processes} processes${u.unreadable ? `, ${u.unreadable} unreadable` : ''})${topConsumers(u)}`;
  if (b.backend === 'poll' || b.planned) {
    const why = b.planned ?? 'watch.backend is "poll"';
    return {
      check: {
        id: 'inotify.watches',
        title: 'inotify watches',
        status: 'info',
        detail: `${why}: no inotify watches needed; limit ${limitsText(l, 'watches')}; ${usedText}`,
      },
    };
  } else if (wl === undefined) {
    return {
      check: {
        id: 'inotify.watches',
        title: 'inotify watches',
        status: 'info',
        detail: `inotify limits unreadable (no /proc/sys/fs/inotify): not Linux, or /proc is hidden; ${fmt(b.dirs)} directories to watch`,
      },
    };
  } else if (need === undefined) {
    return {
      check: {
        id: 'inotify.watches',
        title: 'inotify watches',
        status: 'warn',
        detail: `the tree could not be scanned, so the budget is unknown; limit ${limitsText(l, 'watches')}; ${usedText}`,
      },
    };
  }
  return fitCheck(b, { need, sentinel, available: watchesAvailable, headroom: headroom!, usedText, limit: wl });
}

/** The tree's need against the watches left: fits, fits with little headroom, or the over-budget plan. */
function fitCheck(
  b: BudgetInput,
  o: { need: number; sentinel: number; available: number | undefined; headroom: number; usedText: string; limit: number },
): { check: Check; overBudget?: OverBudget } {
  const { need, sentinel, available: watchesAvailable, headroom: head, usedText, limit: wl } = o;
  const l = b.limits;
  const u = b.usage;
  const needText = `this repo needs ${fmt(need)} watches (${fmt(b.dirs)} directories after excludes${sentinel === 1 ? ", plus 1 for the watchdog's sentinel directory" : sentinel > 1 ? `, plus ${sentinel} for the watchdog's sentinel directories, one per root` : ''})`;
  const summary = `${needText}; limit ${fmt(wl)} (${limitsText(l, 'watches')}); ${usedText}; available ${fmt(watchesAvailable)}, headroom after start ${fmt(head)}`;
  const alt =
    b.largest && b.largest.length > 0
      ? `Or watch fewer directories: add the largest subtrees you do not edit to watch.excludeDirs in ${b.configFile ?? 'watcher.config.yaml'} (largest: ${b.largest.map((x) => `${x.dir}/ ${fmt(x.dirs)} dirs`).join(', ')}).`
      : undefined;
  const needed = u.watches + need * 2;
  if (head < 0) {
    const p = overBudgetPlan(b, watchesAvailable!, need);
    const key =
      p.plan.action === 'refuse'
        ? 'Or set watchdog.overBudget: poll to poll the overflow instead of refusing.'
        : 'Set watchdog.overBudget: refuse to have `hotwatch run` exit instead of polling.';
    const fix = raiseFix(l, 'watches', needed, suggestedWatchLimit(u.watches, need), alt ? `${alt} ${key}` : key);
    return {
      check: {
        id: 'inotify.watches',
        title: 'inotify watches',
        status: p.status,
        detail: `not enough inotify watches: ${summary}; ${fmt(-head)} directories do not fit. ${p.text}`,
        fix,
      },
      overBudget: p.plan,
    };
  } else if (head < Math.max(512, need / 4)) {
    return {
      check: {
        id: 'inotify.watches',
        title: 'inotify watches',
        status: 'warn',
        detail: `little headroom: ${summary}. New directories (or other tools) may hit the limit.`,
        fix: raiseFix(l, 'watches', needed, suggestedWatchLimit(u.watches, need), alt),
      },
    };
  } else {
    return { check: { id: 'inotify.watches', title: 'inotify watches', status: 'ok', detail: summary } };
  }
}
