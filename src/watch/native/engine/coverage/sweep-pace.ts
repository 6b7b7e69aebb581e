/**
 * The coverage sweep's pace (issue 19: idle costs nothing measurable). The sweep finds a directory whose
 * create event was lost; events are lost while the tree is busy (a storm, a checkout, a generator), and
 * any event in the tree brings the sweep back to its base pace at once. While nothing happens, each full
 * pass over every watched directory that finds nothing doubles the wait between the sweep's steps, up to
 * `MAX_FACTOR` times the base (a quiet tree of 200 directories: one pass a second at first, one every
 * 30 s after about a minute), so an idle hotwatch stops re-reading its tree every second. Once the
 * tree has been quiet for QUIET_AFTER_MS, each step that finds nothing doubles the wait too: a pass over
 * 10,000 directories takes a hundred steps, and waiting for its end kept an idle big tree swept every
 * second for minutes (0.2% of a core) long after the last event that could have been lost.
 */
import { QUIET_AFTER_MS } from '../../../pace/quiet-pace.js';

/** The longest wait between two steps of the sweep, as a multiple of the base (1 s → 30 s). */
export const MAX_FACTOR = 30;
/** How long after the last event (or finding) a single quiet step slows the pace (shared by every quiet check). */
export { QUIET_AFTER_MS };

export class SweepPace {
  private waitMs: number;
  /** No event and no finding since the current pass began: its end may slow the pace. */
  private quietPass = true;
  /** When the last step started (monotonic ms). */
  private lastStepAt = 0;
  /** When the last event or finding came (monotonic ms). */
  private lastActivityAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly baseMs: number) {
    this.waitMs = baseMs;
  }

  /** The wait between two steps of the sweep now (ms). */
  get everyMs(): number {
    return this.waitMs;
  }

  /** When the next step is due (monotonic ms). */
  get nextDueAt(): number {
    return this.lastStepAt + this.waitMs;
  }

  /** Something happened in the tree (an event, a loss): the base pace again, and this pass does not count. */
  activity(now?: number): void {
    this.waitMs = this.baseMs;
    this.quietPass = false;
    if (now !== undefined) this.lastActivityAt = now;
  }

  /** Starts `step` (one step of the sweep; undefined when it could not run now) when the pace says it is due. */
  maybeStep(now: number, step: () => Promise<{ passEnded: boolean; found: boolean } | undefined>, dueNow = now): void {
    if (dueNow - this.lastStepAt < this.waitMs) return; // `dueNow`: later than now when this wake was shared early
    this.lastStepAt = now;
    void step().then((s) => s && this.stepEnded(s.passEnded, s.found, now));
  }

  /**
   * A step of the sweep ended: `passEnded` when it was the last of a pass, `found` when it armed or
   * reported anything; `now` when it started (monotonic ms; without it only passes count).
   */
  stepEnded(passEnded: boolean, found: boolean, now?: number): void {
    if (found) return this.activity(now);
    const quietLong = now !== undefined && now - this.lastActivityAt >= QUIET_AFTER_MS;
    if (!passEnded && !quietLong) return;
    if (this.quietPass || quietLong) this.waitMs = Math.min(this.waitMs * 2, this.baseMs * MAX_FACTOR);
    if (passEnded) this.quietPass = true;
  }
}
