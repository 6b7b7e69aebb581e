/** The native engine's knobs and their defaults. */

/** Knobs of the native engine (tests shrink them). */
export interface NativeTuning {
  /** Raw events are coalesced this long before being resolved and posted (ms). */
  coalesceMs: number;
  /** More raw events than this within `stormWindowMs` = a storm: one loss report, then a reconcile. */
  stormEvents: number;
  stormWindowMs: number;
  /** A gap between the worker's ticks longer than this = a stall (SIGSTOP, swap, CPU starvation). */
  stallMs: number;
  tickMs: number;
  /**
   * Least time between two counts of the worker's inotify watches (reading fdinfo costs ~3 ms per 1,000
   * watches); the interval also stretches to 1000× a read's cost (the least of the last 5), keeping the audit under 0.1% CPU.
   */
  auditMinMs: number;
  /**
   * The coverage sweep (desired vs actual): every `sweepEveryMs`, watched directories are re-read in
   * turn, for at most `sweepBudgetMs`, and a subdirectory older than `sweepMinAgeMs` that is not watched
   * (its create event was lost) is armed and reported. 2 ms a second: 0.2% of a core at most; a tree of
   * ~100 directories is swept every second, one of 10,000 every minute or two; on a quiet tree the
   * wait grows (sweep-pace.ts).
   */
  sweepEveryMs: number;
  sweepBudgetMs: number;
  sweepMinAgeMs: number;
}

export const DEFAULT_TUNING: NativeTuning = {
  coalesceMs: 5,
  stormEvents: 5000,
  stormWindowMs: 1000,
  stallMs: 1500,
  tickMs: 500,
  auditMinMs: 5000,
  sweepEveryMs: 1000,
  sweepBudgetMs: 2,
  sweepMinAgeMs: 2000,
};
