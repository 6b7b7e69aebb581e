/**
 * The vocabulary of watch health (issue 3's log contract): what can be lost (scope), why (cause), and the
 * tag a backend puts on a WatchNotice when it lost watches or re-armed them by itself, so ONE place
 * (health-log.ts, driven by the watchdog) turns them into watch.deaf / watch.rearmed / watch.fallback lines.
 */

/** What went deaf: the root's tree, one mount under it, one directory, or the whole watcher (thread). */
export type DeafScope = 'root' | 'mount' | 'dir' | 'watcher';

export type DeafCause =
  | 'sentinel-timeout'
  | 'root-replaced'
  | 'root-missing'
  | 'mount-changed'
  | 'coverage-shortfall'
  | 'watch-limit'
  | 'instance-limit'
  | 'overflow-suspected'
  | 'dir-moved'
  | 'backend-error'
  | 'heartbeat-timeout';

/**
 * Attached to a notice by a backend:
 *  - deaf: watches were lost; `selfHealing` = the backend re-arms by itself and sends `rearmed` after;
 *  - rearmed: the backend re-armed the scope (the watchdog then diffs the snapshot and logs);
 *  - fallback: the backend switched the scope to polling.
 */
export type HealthTag =
  | { kind: 'deaf'; scope: DeafScope; cause: DeafCause; selfHealing: boolean }
  | { kind: 'rearmed'; scope: DeafScope; cause: DeafCause; dirs?: number }
  | { kind: 'fallback'; scope: DeafScope; cause?: DeafCause };

/** The backend's notice code → cause, for errors that end native watching (backend.ts, budget/limits.ts). */
export function causeOfCode(code: string): DeafCause {
  switch (code) {
    case 'WATCH_LIMIT':
    case 'ENOSPC':
      return 'watch-limit';
    case 'INSTANCE_LIMIT':
    case 'EMFILE':
      return 'instance-limit';
    case 'WATCHER_HUNG':
      return 'heartbeat-timeout';
    case 'WATCH_COVERAGE_LOST':
      return 'coverage-shortfall';
    default:
      return 'backend-error';
  }
}
