/**
 * Infers kernel-queue overflow from the traffic: a burst of raw events above a threshold within one
 * window, or a gap between timer ticks (the thread was stopped, swapped or starved while the kernel
 * queue filled). The helper forwards the kernel's own IN_Q_OVERFLOW (`overflow()`); with fs.watch, whose
 * libuv drops it, the traffic is the only sign. Pure: the caller passes the clock.
 * One storm → one overflow reason (reported once); when the storm is over → one full reconcile. A storm is over after
 * QUIET_WINDOWS_TO_END quiet windows in a row, a quiet window holding at most 1/QUIET_SHARE of the
 * threshold (hysteresis: a storm starts above the threshold and ends well below it). On a loaded machine
 * the writer of one burst (a checkout, 2,000 files) slows down and stalls now and then: one slow window
 * ending the storm made one burst two storms (seen under a parallel test run on 2 busy cores), and two
 * windows merely below the threshold made it two or three (seen with a second test run beside it).
 * Ending a storm late costs nothing an edit would notice: every event is delivered as usual, only the
 * reconcile comes later. But a storm never outlasts MAX_STORM_WINDOWS: steady traffic between the two
 * levels (500 to 5,000 events/s by default, a generator writing into the tree) would otherwise hold off
 * the reconcile, and with it the recovery of whatever the kernel dropped, for as long as it runs; then it
 * ends (reconcile), and traffic still above the threshold starts the next storm (one more report).
 */
import type { NativeTuning } from './tuning.js';

export const QUIET_WINDOWS_TO_END = 2;
export const QUIET_SHARE = 10;
export const MAX_STORM_WINDOWS = 10;

export type StormTuning = Pick<NativeTuning, 'stormEvents' | 'stormWindowMs' | 'stallMs'>;

export interface TickVerdict {
  /** A storm began: the kernel queue may have overflowed, for this reason (reported once). */
  overflow?: string;
  /** The storm is over: re-check every watched directory (events of any dir may have been dropped). */
  reconcile?: boolean;
}

export class StormDetector {
  private windowStart: number;
  private windowCount = 0;
  private lastTick: number;
  private storm = false;
  /** Quiet windows in a row during a storm; 0 whenever there is no storm. */
  private quietWindows = 0;
  /** Windows this storm has lasted. */
  private stormWindows = 0;
  /** A window with at most this many events is quiet. */
  private readonly quietMost: number;

  constructor(
    private readonly tuning: StormTuning,
    now: number,
  ) {
    this.windowStart = now;
    this.lastTick = now;
    this.quietMost = Math.max(1, Math.floor(tuning.stormEvents / QUIET_SHARE));
  }

  get inStorm(): boolean {
    return this.storm;
  }

  /** No storm and no event in the current window: nothing needs a tick (the engine may sleep). */
  get quiet(): boolean {
    return !this.storm && this.windowCount === 0;
  }

  /** One raw event: returns the overflow reason when it is the one that makes this window a storm. */
  raw(): string | undefined {
    this.windowCount++;
    if (this.storm || this.windowCount <= this.tuning.stormEvents) return undefined;
    this.storm = true;
    return (
      `burst of more than ${this.tuning.stormEvents} filesystem events within ${this.tuning.stormWindowMs}ms: ` +
      `the kernel event queue may have overflowed (fs.watch cannot see IN_Q_OVERFLOW; the helper reports it only after the burst)`
    );
  }

  /**
   * The kernel said its queue overflowed (the inotify helper sees IN_Q_OVERFLOW): a storm for sure.
   * Returns the overflow reason unless this storm was already reported.
   */
  overflow(): string | undefined {
    if (this.storm) return undefined;
    this.storm = true;
    return 'the kernel event queue overflowed (IN_Q_OVERFLOW): events were lost';
  }

  /** A timer tick (every tickMs; `slackMs` longer when the engine planned a longer sleep, on a quiet tree). */
  tick(now: number, slackMs = 0): TickVerdict {
    const gap = now - this.lastTick;
    this.lastTick = now;
    if (gap > this.tuning.stallMs + slackMs) {
      // The backlog drains as a burst next: the same storm, so one report for both, whichever came first.
      const overflow = this.storm
        ? undefined
        : `the watcher's event loop stalled for ${Math.round(gap)}ms (process stopped, swapped or starved): ` +
          `the kernel event queue may have overflowed (fs.watch cannot see IN_Q_OVERFLOW; the helper reports it only after the burst)`;
      this.stormWindows = this.storm ? this.stormWindows + 1 : 0;
      this.storm = true;
      this.windowStart = now;
      this.windowCount = 0;
      return overflow ? { overflow } : {};
    }
    if (now - this.windowStart < this.tuning.stormWindowMs) return {};
    this.quietWindows = this.storm && this.windowCount <= this.quietMost ? this.quietWindows + 1 : 0;
    this.stormWindows = this.storm ? this.stormWindows + 1 : 0;
    const ended = this.storm && (this.quietWindows >= QUIET_WINDOWS_TO_END || this.stormWindows >= MAX_STORM_WINDOWS);
    if (ended) {
      this.storm = false;
      this.quietWindows = 0;
      this.stormWindows = 0;
    }
    this.windowStart = now;
    this.windowCount = 0;
    return ended ? { reconcile: true } : {};
  }
}
