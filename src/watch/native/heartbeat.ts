/**
 * The native watcher's liveness rules, pure (the caller passes the clock): a worker silent for longer
 * than the deadline is hung. Time this thread spent stalled (SIGSTOP, suspend, starved: its answers could
 * not be read) does not count as the worker's silence; only that time: a host that is late on every beat
 * (a hung worker spinning on one of two busy cores) still reaches the verdict, one interval per beat.
 * The coverage audit must fall short twice in a row (the second reading is asked for at once) before
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
  /** Silence forgiven since the worker's last real answer, and the last answer it was forgiven up to. */
  private forgivenMs = 0;
  private forgivenTo: number | undefined;

  constructor(
    private readonly tuning: HeartbeatTuning,
    now: number,
  ) {
    this.lastBeat = now;
  }

  /** A fresh worker: nothing owed, nothing short. */
  reset(now: number): void {
    this.lastBeat = now;
    this.shortfalls = 0;
    this.forgivenMs = 0;
    this.forgivenTo = undefined;
  }

  /**
   * One beat at `now`, the worker's last answer at `lastAnswer`. Returns the hang message, or the ping to
   * send. When this thread was stalled since the last beat, `forgive(at)` moves the last answer forward by
   * the stalled part of the gap (all of it beyond one interval), to at most now.
   */
  beat(now: number, lastAnswer: number, forgive: (at: number) => void): BeatVerdict {
    const hostGap = now - this.lastBeat;
    this.lastBeat = now;
    if (lastAnswer !== this.forgivenTo) this.forgivenMs = 0; // it answered since
    const stalled = hostGap - this.tuning.intervalMs;
    if (stalled > 0 && lastAnswer < now) {
      const to = Math.min(now, lastAnswer + stalled);
      this.forgivenMs += to - lastAnswer;
      this.forgivenTo = lastAnswer = to;
      forgive(to);
    }
    const silentFor = now - lastAnswer;
    if (silentFor > this.tuning.deadlineMs) {
      const stalledToo = this.forgivenMs >= 1 ? `, and ${Math.round(this.forgivenMs)}ms more while this thread was stalled too` : '';
      return {
        hung: `the native watcher (its engine and inotify helper) did not answer for ${Math.round(silentFor)}ms (deadline ${this.tuning.deadlineMs}ms${stalledToo}): it is hung`,
      };
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
    return `the kernel holds ${s.watches} inotify watches for the ${s.inodes} directories the watcher armed: watches were lost`;
  }
}
