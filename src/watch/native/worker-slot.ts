/**
 * The native watcher's current worker thread, one at a time: started (a WorkerLink), pinged every
 * `intervalMs` and judged by the heartbeat (a thread silent past the deadline is hung; a coverage audit
 * that falls short twice means lost watches), and stopped. Each worker's loss is reported once: a
 * worker stays lost until the host replaces it.
 */
import type { NoticeCode } from '../../errors.js';
import type { DeafCause } from '../types.js';
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
  private timer: NodeJS.Timeout | undefined;
  private readonly heartbeat: Heartbeat;

  constructor(
    private readonly beat: HeartbeatTuning,
    private readonly events: SlotEvents,
  ) {
    this.heartbeat = new Heartbeat(beat, performance.now());
  }

  /** A worker is running (not necessarily healthy). */
  get running(): boolean {
    return this.link !== undefined;
  }

  /** How long the current worker has been silent (ms); infinite when none runs. */
  get silentMs(): number {
    return this.link ? performance.now() - this.link.lastAnswer : Number.POSITIVE_INFINITY;
  }

  /** Starts a fresh worker (the first one gets `firstHooks`' test faults: a replaced worker is healthy). */
  start(data: Omit<WorkerData, 'hooks'>, firstHooks: WorkerData['hooks']): void {
    const gen = ++this.generation;
    const link = new WorkerLink(
      { ...data, hooks: gen === 1 ? firstHooks : {} },
      {
        message: (m) => {
          if (this.link === link) this.events.message(m);
        },
        died: (why) => {
          if (this.link === link) this.lost('WATCHER_CRASHED', why, 'backend-error');
        },
      },
    );
    this.link = link;
    this.heartbeat.reset(performance.now());
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => this.ping(), this.beat.intervalMs);
    this.timer.unref();
  }

  /** Stops the current worker (asked to close unless it is hung, then terminated). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
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
  }

  /** The current worker's loss, said once (a worker stays lost until it is replaced). */
  lost(code: NoticeCode, message: string, cause: DeafCause, hint?: string): void {
    if (this.reportedGeneration === this.generation) return;
    this.reportedGeneration = this.generation;
    this.events.lost(code, message, cause, hint);
  }

  private ping(): void {
    const link = this.link;
    if (!link) return;
    const v = this.heartbeat.beat(performance.now(), link.lastAnswer, (at) => (link.lastAnswer = at));
    if (!('hung' in v)) return link.send({ t: 'ping', seq: ++this.seq, audit: v.ping.audit });
    link.hung = true;
    this.lost('WATCHER_HUNG', v.hung, 'heartbeat-timeout');
  }
}
