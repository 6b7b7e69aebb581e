/**
 * What the watchdog planned before arming, said as the contract's fallback lines: the whole tree polled
 * (the budget does not fit, or no instance is left), or the overflow subtrees polled beside the native
 * watcher for as long as this run lasts.
 */
import type { WatchControl } from '../backend.js';
import type { BudgetVerdict } from '../budget/gate.js';
import type { WatcherReady } from '../types.js';
import type { HealthLog } from './health-log.js';
import type { RecoveryPolicy } from './recovery-policy.js';

export function reportPlannedFallbacks(
  log: HealthLog,
  policy: RecoveryPolicy,
  where: { root: string; pollEvery: string },
  w: WatchControl,
  ready: WatcherReady,
  budget: BudgetVerdict | undefined,
): void {
  const { root, pollEvery } = where;
  if (budget?.pollReason) {
    const reason = budget.pollReason;
    log.fallback({
      scope: 'root',
      path: root,
      reason,
      loss: true,
      msg: `polling the whole tree (${ready.dirs} directories) every ${pollEvery}: ${reason}`,
    });
    policy.fellBack(root, performance.now(), {
      scope: 'root',
      path: root,
      cause: budget.short === 'instances' ? 'instance-limit' : 'watch-limit',
    });
  }
  // The overflow part: polled for as long as this run lasts (planned at start, not a loss: no re-probe).
  const split = budget?.split;
  if (split && w.backend() === 'native') {
    const paths = split.polled.map((p) => p.path);
    log.fallback({
      scope: 'dir',
      path: paths[0]!,
      paths,
      polledDirs: split.polledDirs,
      nativeDirs: split.nativeDirs,
      reason: split.reason,
      hint: split.hint,
      loss: false,
      msg: split.message,
    });
  }
}
