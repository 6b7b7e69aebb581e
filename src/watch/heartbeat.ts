/**
 * The native watcher's liveness rules, pure (the caller passes the clock): a worker silent for longer
 * than the deadline is hung, unless this thread was stalled too (SIGSTOP, suspend: nobody could answer);
 * the coverage audit must fall short twice in a row (the second reading is asked for at once) before
 * watches count as lost.
 */
import type { WorkerStats } from './protocol.js';

export interface HeartbeatTuning {
  intervalMs: number;
  deadlineMs: number;
}

export type BeatVerdict = { hung: string } | { ping: { audit: boolean } };

export class Heartbeat {
  private lastBeat: number;
  private shortfalls = 0;

  constructor(
    private readonly t: HeartbeatTuning,
    now: number,
  ) {
    this.lastBeat = now;
  }

  /** A fresh worker: nothing owed, nothing short. */
  reset(now: number): void {
    this.lastBeat = now;
    this.shortfalls = 0;
  }

  /**
   * One beat at `now`, the worker's last answer at `lastAnswer`. Returns the hang message, or the ping to
   * send; `forgive` is called when this thread itself was stalled (the worker's silence does not count).
   */
  beat(now: number, lastAnswer: number, forgive: () => void): BeatVerdict {
    const hostGap = now - this.lastBeat;
    this.lastBeat = now;
    let silentFor = now - lastAnswer;
    if (hostGap > this.t.intervalMs * 3) {
      forgive();
      silentFor = 0;
    }
    if (silentFor > this.t.deadlineMs) {
      return { hung: `the native watcher thread did not answer for ${Math.round(silentFor)}ms (deadline ${this.t.deadlineMs}ms): it is hung; restarting it` };
    }
    return { ping: { audit: this.shortfalls > 0 } };
  }

  /** A pong's stats: the coverage-lost message once the kernel held fewer watches twice in a row. */
  audit(s: WorkerStats): string | undefined {
    if (!s.watchesFresh || !s.idle) return undefined;
    if (s.watches === undefined || s.watches >= s.inodes) {
      this.shortfalls = 0;
      return undefined;
    }
    if (++this.shortfalls < 2) return undefined;
    return `the kernel holds ${s.watches} inotify watches for the ${s.inodes} directories the watcher armed: watches were lost; re-arming`;
  }
}
