/**
 * The watchdog's scans of the tree for the inotify budget (gate.ts), beside arm-first.ts: the count of an
 * armed tree judged (it fits nearly always), and the scan that lists the relevant files (the snapshot's
 * seed) with the budget judged on its directories, for a tree that does not fit or a backend that lists
 * no files (polling).
 */
import path from 'node:path';
import type { WatchSettings } from '../../config/settings.js';
import { readMounts } from '../../os/mounts.js';
import { plannedPolling } from '../planned-polling.js';
import { scanTree } from '../tree/scan.js';
import { judgeBudget, measureBudget, type BudgetVerdict, type InotifyUsage, type WatchBudget } from './gate.js';

const SCAN_TIMEOUT_MS = 120_000;

export interface StartupBudget {
  overBudget: 'poll' | 'refuse';
  pollEvery: string;
  /** Watches needed beside the tree's directories (the sentinel directory), asked once the scan is done. */
  extraWatches: () => number;
  /** The verdict's watch.budget line, logged before a refusal is thrown. */
  log: (b: WatchBudget, outcome: string | undefined) => void;
  /** This user's inotify usage, read before this process armed anything. */
  usage: InotifyUsage;
}

export interface StartupScan {
  files: string[];
  /** undefined: no budget asked (watchdog off). */
  verdict: BudgetVerdict | undefined;
}

export async function startupScan(s: WatchSettings, signal: AbortSignal, budget: StartupBudget | undefined): Promise<StartupScan> {
  const scan = await scanTree(s, { signal: AbortSignal.any([signal, AbortSignal.timeout(SCAN_TIMEOUT_MS)]), files: true });
  if (!budget) return { files: scan.files, verdict: undefined };
  const verdict = judgeBudget(scan.dirs.length + budget.extraWatches(), {
    planned: plannedPolling(s, readMounts()),
    overBudget: budget.overBudget,
    pollEvery: budget.pollEvery,
    tree: { root: path.resolve(s.root), dirs: scan.dirs },
    usage: budget.usage,
  });
  budget.log(verdict.budget, verdict.outcome);
  if (verdict.refusal) throw verdict.refusal;
  return { files: scan.files, verdict };
}

/** Whether the whole tree fits the inotify budget now (a fallback to polling, asked before watching natively again). */
export async function nativeFitsNow(s: WatchSettings, signal: AbortSignal, sentinelDir: boolean): Promise<boolean> {
  const scan = await scanTree(s, { signal: AbortSignal.any([signal, AbortSignal.timeout(SCAN_TIMEOUT_MS)]) });
  return measureBudget(scan.dirs.length + (sentinelDir ? 1 : 0)).fits;
}

/** The budget judged on the armed tree's count (`watches`: its directories and the sentinel dir), logged when it fits. */
export function fittingCount(
  s: WatchSettings,
  watches: number,
  o: { overBudget: 'poll' | 'refuse'; pollEvery: string; usage: InotifyUsage | undefined; log: { budget: StartupBudget['log'] } },
): BudgetVerdict | undefined {
  const verdict = judgeBudget(watches, {
    planned: plannedPolling(s, readMounts()),
    overBudget: o.overBudget,
    pollEvery: o.pollEvery,
    ...(o.usage ? { usage: o.usage } : {}),
  });
  if (!verdict.budget.fits) return undefined;
  o.log.budget(verdict.budget, verdict.outcome);
  return verdict;
}
