/**
 * What a build loop after the app's starts (self-trigger.ts: the same files change a fixed time after each
 * start) does from the moment it is found: its changes are built after a pause, never dropped. The kernel
 * does not say who wrote a file, and a script that saves a file a fixed time after each new version serves
 * (a benchmark, an agent editing in a loop) looks exactly like an app that writes it as it starts: holding
 * such changes back lost the script's edits (measured: "edit, wait until served, sleep 0.3 s" lost 3 of 10
 * edits after the fifth). So each change of the loop's files at its pace is built PAUSE_MS later, the pause
 * doubling with each one up to MAX_PAUSE_MS: an app that really loops rebuilds at most every 10 s (no hot
 * loop, said once, loudly), and a person's or a script's edit is served, late. A change of any other file
 * builds at once and brings the pause back to its start. Changes that come during a pause join it.
 */
import { mergeBatches } from '../pipeline/aggregate.js';
import type { Batch } from '../pipeline/events.js';

export const PAUSE_MS = 1000;
export const MAX_PAUSE_MS = 10_000;

export class LoopPause {
  private timer: NodeJS.Timeout | undefined;
  private pending: Batch | undefined;
  private pauses = 0;

  constructor(private readonly build: (batch: Batch) => void) {}

  /** Builds `batch` after the current pause (joining one already waiting); returns the pause (ms). */
  defer(batch: Batch): number {
    if (this.pending) {
      this.pending = mergeBatches(this.pending, batch);
      return 0;
    }
    const ms = Math.min(MAX_PAUSE_MS, PAUSE_MS * 2 ** this.pauses++);
    this.pending = batch;
    this.timer = setTimeout(() => {
      const b = this.pending;
      this.pending = undefined;
      this.timer = undefined;
      if (b) this.build(b);
    }, ms);
    this.timer.unref();
    return ms;
  }

  /** `batch` with the change waiting out a pause, which is then no longer waited for (built with it, now). */
  takePending(batch: Batch): Batch {
    const pending = this.pending;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    return pending ? mergeBatches(pending, batch) : batch;
  }

  /** Another file built: the next pause is the first one again. */
  reset(): void {
    this.pauses = 0;
  }

  /** Shutting down: nothing is built any more. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }
}
