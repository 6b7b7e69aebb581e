/**
 * Where the time between a burst's last event and its build goes, one debug line per delivered batch
 * (`batch.timing`): the quiet window, the timer's own lateness, the watcher's delivery barrier, the wait
 * behind the previous batch's dedupe, and the content check. The benchmark's storm scenario reads it.
 */
import type { Logger } from '../log/logger.js';
import type { Batch } from './events.js';

/** Monotonic ms (performance.now()) of a batch's steps before its dedupe. */
export interface BatchTiming {
  /** Events drained into the batch. */
  events: number;
  /** When the quiet window (or maxWait) said the batch was due. */
  due: number;
  /** When the timer ran. */
  fired: number;
  /** When the watcher confirmed nothing more was on its way (the barrier), or `fired` without one. */
  confirmed: number;
  /** Files whose hash was read while the window was open, and still current (prehash.ts). */
  prehashed: number;
}

const ms = (x: number): number => Math.round(x * 10) / 10;

/** Logs the steps of `batch` (handed on now) at debug level; `dedupeStart`: when its content check began. */
export function logTiming(log: Logger, batch: Batch, t: BatchTiming, dedupeStart: number): void {
  if (!log.isLevelEnabled('debug')) return;
  const now = performance.now();
  log.debug(
    {
      event: 'batch.timing',
      seq: batch.seq,
      events: t.events,
      paths: batch.paths.length,
      prehashed: t.prehashed,
      rescan: batch.rescanReasons.length > 0,
      spanMs: ms(batch.lastAt - batch.firstAt),
      windowMs: ms(t.due - batch.lastAt),
      timerLateMs: ms(t.fired - t.due),
      barrierMs: ms(t.confirmed - t.fired),
      queuedMs: ms(dedupeStart - t.confirmed),
      dedupeMs: ms(now - dedupeStart),
      lastEventToDeliverMs: ms(now - batch.lastAt),
    },
    `batch ${batch.seq}: last event → handed on ${ms(now - batch.lastAt)}ms`,
  );
}
