/**
 * The native watcher's liveness rules, pure (the caller passes the clock): a worker silent for longer
 * than the deadline is hung. Silence is counted from the last answer, or, when the last ping was
 * answered, from at most one interval before the next ping: while the watcher is quiet the pings are
 * spaced out (worker-slot.ts), and a long wait between two answered pings is not silence. Time this thread spent stalled (SIGSTOP, suspend, starved: its answers could
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
  /** When the last ping went out, and the first one still unanswered (undefined: all answered). */
  private lastPingAt = Number.NEGATIVE_INFINITY;
  private owedSince: number | undefined;

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
    this.lastPingAt = Number.NEGATIVE_INFINITY;
    this.owedSince = undefined;
  }

  /** A ping is out and no answer came since it was sent. */
  owed(lastAnswer: number): boolean {
    return lastAnswer < this.lastPingAt;
  }

  /** How long the oldest ping still unanswered has waited (ms); undefined when every ping was answered. */
  owedFor(now: number, lastAnswer: number): number | undefined {
    if (!this.owed(lastAnswer)) return undefined;
    return now - (this.owedSince !== undefined && this.owedSince > lastAnswer ? this.owedSince : this.lastPingAt);
  }

  /** The next ping should ask for a coverage audit (the last reading fell short). */
  get auditWanted(): boolean {
    return this.shortfalls > 0;
  }

  /**
   * One beat at `now`, the worker's last answer at `lastAnswer`. Returns the hang message, or the ping to
   * send. When this thread was stalled since the last beat, `forgive(at)` moves the last answer forward by
   * the stalled part of the gap (all of it beyond `dueAt`, when this beat was meant to come: by default
   * one interval after the last beat), to at most now.
   */
  beat(now: number, lastAnswer: number, forgive: (at: number) => void, dueAt = this.lastBeat + this.tuning.intervalMs): BeatVerdict {
    this.lastBeat = now;
    if (lastAnswer !== this.forgivenTo) this.forgivenMs = 0; // it answered since
    if (!this.owed(lastAnswer)) this.owedSince = undefined;
    const stalled = now - dueAt;
    if (stalled > 0 && lastAnswer < now) {
      const to = Math.min(now, lastAnswer + stalled);
      this.forgivenMs += to - lastAnswer;
      this.forgivenTo = lastAnswer = to;
      forgive(to);
    }
    const silentFor = now - Math.max(lastAnswer, (this.owedSince ?? now) - this.tuning.intervalMs);
    if (silentFor > this.tuning.deadlineMs) {
      const stalledToo = this.forgivenMs >= 1 ? `, and ${Math.round(this.forgivenMs)}ms more while this thread was stalled too` : '';
      return {
        hung: `the native watcher (its engine and inotify helper) did not answer for ${Math.round(silentFor)}ms (deadline ${this.tuning.deadlineMs}ms${stalledToo}): it is hung`,
      };
    }
    this.lastPingAt = now;
    this.owedSince ??= now;
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
