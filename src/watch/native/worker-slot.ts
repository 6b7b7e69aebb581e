/**
 * The native watcher's current worker thread, one at a time: started (a WorkerLink), pinged and judged
 * by the heartbeat (a thread silent past the deadline is hung; a coverage audit
 * that falls short twice means lost watches), and stopped. Each worker's loss is reported once: a
 * worker stays lost until the host replaces it.
 * The pings' pace (issue 19): every `intervalMs` while the watcher is busy and for QUIET_AFTER_MS after
 * its last event; then the first clean answer (idle, full coverage) sets the wait to QUIET_MAX_MS.
 * An unanswered ping is judged every `intervalMs` whatever the pace (the deadline holds from the ping),
 * and the first event after a quiet spell sends a ping with a coverage audit at once. On a quiet tree the
 * first look at a ping's answer is later, `quietJudgeMs()` (2 s by default): the verdict cannot come
 * before the deadline anyway, and that wake then shares the grid's second with the sentinel round's
 * own look at its echo (Node does not disarm a cleared timer: the look at an answer that came costs a
 * wake-up even when it is cancelled, so two looks cost two).
 */
import type { NoticeCode } from '../../errors.js';
import type { DeafCause } from '../types.js';
import { QuietPace } from '../pace/quiet-pace.js';
import { WakeTimer } from '../pace/wake-timer.js';
import { Heartbeat, type HeartbeatTuning } from './heartbeat.js';
import type { CallResult, WorkerCall, WorkerData, WorkerFault, WorkerMessage, WorkerStats } from './protocol.js';
import { WorkerLink } from './worker-link.js';

export interface SlotEvents {
  /** A message of the current worker (replies are matched to their calls). */
  message(m: Exclude<WorkerMessage, { t: 'reply' }>): void;
  /** The current worker lost its watches (hung, crashed, short of watches, stopped by a limit): once per worker. */
  lost(code: NoticeCode, message: string, cause: DeafCause, hint?: string): void;
  /** A worker did not stop within `ms`: its watches may linger. */
  stuck(ms: number): void;
}

const TERMINATE_MS = 5000;

export class WorkerSlot {
  private link: WorkerLink | undefined;
  /** Workers started so far; the current one's number. */
  private generation = 0;
  /** The worker whose loss was reported. */
  private reportedGeneration = 0;
  private seq = 0;
  private readonly timer = new WakeTimer((plannedAt) => this.ping(plannedAt, false));
  private readonly heartbeat: Heartbeat;
  private pace: QuietPace;
  private lastPingAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly beat: HeartbeatTuning,
    private readonly events: SlotEvents,
  ) {
    this.heartbeat = new Heartbeat(beat, performance.now());
    this.pace = this.freshPace();
  }

  /** A worker is running (not necessarily healthy). */
  get running(): boolean {
    return this.link !== undefined;
  }

  /** How long the current worker has been silent (ms); infinite when none runs. */
  get silentMs(): number {
    return this.link ? performance.now() - this.link.lastAnswer : Number.POSITIVE_INFINITY;
  }

  /** How long the current worker has owed an answer to a ping (ms); undefined when none is owed, infinite when none runs. */
  get owedMs(): number | undefined {
    return this.link ? this.heartbeat.owedFor(performance.now(), this.link.lastAnswer) : Number.POSITIVE_INFINITY;
  }

  /** Starts a fresh worker (the first one gets `firstHooks`' test faults: a replaced worker is healthy). */
  start(data: Omit<WorkerData, 'hooks'>, firstHooks: WorkerData['hooks']): void {
    const gen = ++this.generation;
    const link = new WorkerLink(
      { ...data, hooks: gen === 1 ? firstHooks : {} },
      {
        message: (m) => {
          if (this.link !== link) return;
          this.paceBy(m);
          this.events.message(m);
        },
        died: (why) => {
          if (this.link === link) this.lost('WATCHER_CRASHED', why, 'backend-error');
        },
      },
    );
    this.link = link;
    const now = performance.now();
    this.heartbeat.reset(now);
    this.pace = this.freshPace();
    this.lastPingAt = Number.NEGATIVE_INFINITY;
    this.timer.set(now + this.beat.intervalMs, now);
  }

  /**
   * A ping now (the first change after a quiet spell, a sentinel round), unless one is still unanswered
   * or went out less than an interval ago (rounds come faster than pings while busy, tests' short intervals).
   */
  pingNow(audit: boolean): void {
    const link = this.link;
    if (!link || this.heartbeat.owed(link.lastAnswer) || performance.now() - this.lastPingAt < this.beat.intervalMs) return;
    this.ping(performance.now(), audit);
  }

  /** Stops the current worker (asked to close unless it is hung, then terminated). */
  async stop(): Promise<void> {
    this.timer.cancel();
    const link = this.link;
    this.link = undefined;
    if (link && !(await link.terminate(TERMINATE_MS))) this.events.stuck(TERMINATE_MS);
  }

  call(c: WorkerCall, timeoutMs: number): Promise<CallResult> {
    if (!this.link) return Promise.reject(new Error('the native watcher is not running'));
    return this.link.call(c, timeoutMs);
  }

  inject(fault: WorkerFault): void {
    this.link?.send({ t: 'fault', fault });
  }

  /** A pong's stats: watches lost when the kernel held fewer than armed twice in a row. */
  audit(stats: WorkerStats): void {
    const lost = this.heartbeat.audit(stats);
    if (lost) this.lost('WATCH_COVERAGE_LOST', lost, 'coverage-shortfall');
    else if (this.heartbeat.auditWanted) {
      // One short reading: the second is asked for at the base pace, not after a quiet wait.
      const now = performance.now();
      this.pace.wake(now);
      this.timer.set(now + this.beat.intervalMs, now);
    }
  }

  /** The current worker's loss, said once (a worker stays lost until it is replaced). */
  lost(code: NoticeCode, message: string, cause: DeafCause, hint?: string): void {
    if (this.reportedGeneration === this.generation) return;
    this.reportedGeneration = this.generation;
    this.events.lost(code, message, cause, hint);
  }

  /** One beat (`dueAt`: when it was meant to come; later means this thread was stalled). */
  private ping(dueAt: number, audit: boolean): void {
    const link = this.link;
    if (!link) return;
    const now = performance.now();
    // Whatever comes of it, the next beat judges the answer (a pong moves it later).
    this.timer.set(now + (this.pace.quiet ? this.quietJudgeMs() : this.beat.intervalMs), now);
    const v = this.heartbeat.beat(now, link.lastAnswer, (at) => (link.lastAnswer = at), dueAt);
    if ('hung' in v) {
      link.hung = true;
      return this.lost('WATCHER_HUNG', v.hung, 'heartbeat-timeout');
    }
    this.lastPingAt = now;
    link.send({ t: 'ping', seq: ++this.seq, audit: v.ping.audit || audit });
  }

  /** The pace after a message: a clean pong slows it (once quiet), a change or a notice wakes it. */
  private paceBy(m: Exclude<WorkerMessage, { t: 'reply' }>): void {
    const now = performance.now();
    if (m.t === 'pong') {
      const covered = m.stats.watches === undefined || m.stats.watches >= m.stats.inodes;
      if (m.stats.idle && covered) this.pace.clean(now);
      else this.pace.wake(now);
      this.timer.set(Math.max(now, this.lastPingAt + this.pace.everyMs), now);
    } else if (m.t === 'events' || m.t === 'rescan' || m.t === 'notice') {
      // The first change after a quiet spell: prove the watcher (and its coverage) now, not a long wait later.
      if (this.pace.wake(now)) this.pingNow(true);
    }
  }

  /** A quiet tree's first look at a ping's answer: 2 intervals (the sentinels' deadline), before the verdict could come. */
  private quietJudgeMs(): number {
    return Math.max(this.beat.intervalMs, Math.min(2 * this.beat.intervalMs, this.beat.deadlineMs - this.beat.intervalMs));
  }

  private freshPace(): QuietPace {
    return QuietPace.standard(this.beat.intervalMs, performance.now());
  }
}
