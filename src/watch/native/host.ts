/**
 * The native backend's host: runs NativeEngine in a worker thread (so a hung or spinning watcher can
 * never freeze builds and restarts) and guards it with a heartbeat.
 *
 *  - ping every `intervalMs`; no message from the worker for `deadlineMs` (time this thread was stalled
 *    not counted: heartbeat.ts) → notice WATCHER_HUNG (error), terminate it without asking it to close,
 *    start a fresh worker (re-arm) and emit a RescanEvent once it is ready;
 *  - coverage audit on each fresh pong: the worker's own inotify fd holds fewer watches than the distinct
 *    directories it believes armed, twice in a row → WATCH_COVERAGE_LOST, same restart;
 *  - more than `maxRestarts` restarts within `restartWindowMs`, or a limit reached after start (fatal
 *    from the worker) → the watcher gives up: `onFailure(err)` is called once (backend.ts falls back to
 *    polling there); without onFailure the error is reported as a notice.
 * Before ready, a fatal (ENOSPC, EMFILE) rejects `ready` with the HotwatchError that carries the fix.
 * The watchdog drives it further: sentinel dirs, re-arming a subtree, a restart on demand (rearmNow).
 */
import { HotwatchError, type NoticeCode } from '../../errors.js';
import type { DeafCause } from '../types.js';
import { bounded } from '../../os/bounded.js';
import type { MountEntry } from '../../os/mounts.js';
import { DEFAULT_TUNING } from './engine.js';
import type { CallResult, NativeTuning, WatchTestHooks, WorkerFault, WorkerMessage, WorkerStats } from './protocol.js';
import type { Watcher, WatcherOptions, WatcherReady, WatcherStats, WatchNotice } from '../types.js';
import { Heartbeat } from './heartbeat.js';
import { inotifyHelper, type HelperBinary } from './helper/build.js';
import { WorkerLink } from './worker-link.js';

export { nativeWorkerPath } from './worker-link.js';

export interface HeartbeatOptions {
  intervalMs?: number;
  deadlineMs?: number;
  maxRestarts?: number;
  restartWindowMs?: number;
}

export interface NativeWatcherOptions extends WatcherOptions {
  tuning?: Partial<NativeTuning>;
  heartbeat?: HeartbeatOptions;
  testHooks?: WatchTestHooks;
  /** Watch poll-type mounts (9p, NFS...) natively too (backend: native forced by the user). */
  descendPollMounts?: boolean;
  /** Subtrees polled beside this watcher (the inotify budget does not fit them): never armed. */
  pollDirs?: string[];
  /** Why this backend was chosen (WatcherReady.reason). */
  reason?: string;
  /** Mount table (default: the worker reads /proc/self/mountinfo). */
  mounts?: MountEntry[];
  /** Called once when native watching gives up after start: the caller should poll instead. */
  onFailure?: (err: HotwatchError) => void;
  /**
   * A watchdog drives recovery: a hung, crashed or short-of-watches worker is reported once (a notice
   * tagged deaf, not self-healing) and NOT restarted here; the watchdog calls rearmNow. No RescanEvent
   * follows re-arms (the watchdog diffs a snapshot instead).
   */
  supervised?: boolean;
  /** The inotify helper to use (default: found or built by inotifyHelper()); `unavailable`: fs.watch. */
  helper?: HelperBinary;
}

const TERMINATE_MS = 5000;

export class NativeWatcher implements Watcher {
  readonly ready: Promise<WatcherReady>;
  private resolveReady!: (r: WatcherReady) => void;
  private rejectReady!: (e: unknown) => void;
  private isReady = false;
  private link: WorkerLink | undefined;
  private generation = 0;
  private seq = 0;
  private beatTimer: NodeJS.Timeout | undefined;
  private readonly heartbeat: Heartbeat;
  private restarts: number[] = [];
  /** Why the current worker was started after a loss; undefined for the first and quiet restarts. */
  private restartCause: { code: NoticeCode; cause: DeafCause } | undefined;
  private quietRestart: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  private stopped = false;
  private respawning: Promise<void> | undefined;
  /** The worker generation whose loss was reported (supervised mode reports each once). */
  private reported = 0;
  private closing: Promise<void> | undefined;
  private latest: WorkerStats | undefined;
  private readonly sentinelDirs = new Set<string>();
  private readonly started = performance.now();
  private readonly hb: Required<HeartbeatOptions>;
  private readonly tuning: NativeTuning;
  private readonly onAbort = (): void => void this.close();
  private helperPath: string | undefined;

  constructor(private readonly opts: NativeWatcherOptions) {
    this.hb = {
      intervalMs: opts.heartbeat?.intervalMs ?? 1000,
      deadlineMs: opts.heartbeat?.deadlineMs ?? 5000,
      maxRestarts: opts.heartbeat?.maxRestarts ?? 3,
      restartWindowMs: opts.heartbeat?.restartWindowMs ?? 60_000,
    };
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning };
    this.heartbeat = new Heartbeat(this.hb, performance.now());
    this.ready = new Promise<WatcherReady>((res, rej) => {
      this.resolveReady = res;
      this.rejectReady = rej;
    });
    this.ready.catch(() => undefined); // the caller gets the rejection through `ready`; no unhandled one here
    if (opts.signal.aborted) {
      this.rejectReady(opts.signal.reason);
      this.stopped = true;
      return;
    }
    opts.signal.addEventListener('abort', this.onAbort, { once: true });
    void this.boot();
  }

  /** Finds (or builds once) the inotify helper, then starts the first worker. */
  private async boot(): Promise<void> {
    try {
      const helper = this.opts.helper ?? (await inotifyHelper());
      if (this.stopped) return;
      if ('path' in helper) this.helperPath = helper.path;
      else if (process.platform === 'linux') {
        const off = /HOTWATCH_INOTIFY_HELPER=off/.test(helper.unavailable);
        this.notice({
          level: off ? 'info' : 'warn',
          code: 'INOTIFY_HELPER_UNAVAILABLE',
          message: `the inotify helper is not used (${helper.unavailable}): fs.watch in the watcher thread holds the watches instead (about 3 KB more memory per watched directory; a kernel queue overflow is inferred from bursts, not seen)`,
          ...(off ? {} : { hint: 'check that `go build` works here, or set HOTWATCH_CACHE_DIR to a writable, executable directory' }),
        });
      }
      this.spawn();
    } catch (e) {
      this.stopped = true;
      this.rejectReady(e);
    }
  }

  /** The worker's last reported stats (dirs, distinct inodes, inotify watches of its own fd). */
  stats(): (WorkerStats & WatcherStats) | undefined {
    return this.latest && { ...this.latest, backend: 'native' };
  }

  /** How long the worker has been silent, and whether it was idle at its last answer. */
  liveness(): { silentMs: number; idle: boolean; pingMs: number } {
    const silentMs = this.link ? performance.now() - this.link.lastAnswer : Number.POSITIVE_INFINITY;
    return { silentMs, idle: this.latest?.idle !== false, pingMs: this.hb.intervalMs };
  }

  /** Test-only: inject a fault into the running worker. */
  inject(fault: WorkerFault): void {
    this.link?.send({ t: 'fault', fault });
  }

  /** Watches a sentinel directory (now, and in every worker started later). */
  armSentinel(dir: string, timeoutMs: number): Promise<CallResult> {
    this.sentinelDirs.add(dir);
    return this.call({ op: 'arm-sentinel', dir }, timeoutMs);
  }

  /** Drops and re-arms everything at/under `p` (a mount changed there). */
  rearmPath(p: string, mounts: MountEntry[] | undefined, timeoutMs: number): Promise<CallResult> {
    return this.call({ op: 'rearm', path: p, mounts }, timeoutMs);
  }

  /**
   * The watchdog's re-arm: close the worker (await it), start a fresh one, resolve once it is armed.
   * Quiet (the watchdog logs) and not counted among the heartbeat's restarts.
   */
  sync(timeoutMs: number): Promise<void> {
    const link = this.link;
    if (!link || this.stopped) return Promise.resolve();
    return link.call({ op: 'sync' }, timeoutMs).then(() => undefined);
  }

  rearmNow(timeoutMs: number): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('the native watcher is stopped'));
    this.quietRestart?.reject(new Error('superseded by another re-arm'));
    const done = new Promise<void>((resolve, reject) => (this.quietRestart = { resolve, reject }));
    const armed = bounded(() => done, { what: 'arming the native watcher again', timeoutMs });
    void this.respawn();
    return armed;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopped = true;
      this.opts.signal.removeEventListener('abort', this.onAbort);
      if (!this.isReady) this.rejectReady(new HotwatchError('INTERNAL', 'the watcher was closed before it was ready'));
      this.quietRestart?.reject(new Error('the watcher was closed'));
      await this.stopWorker();
    })();
    return this.closing;
  }

  private call(c: Parameters<WorkerLink['call']>[0], timeoutMs: number): Promise<CallResult> {
    if (!this.link || this.stopped) return Promise.reject(new Error('the native watcher is not running'));
    return this.link.call(c, timeoutMs);
  }

  private spawn(): void {
    const gen = ++this.generation;
    const link = new WorkerLink(
      {
        settings: this.opts.settings,
        tuning: this.tuning,
        hooks: gen === 1 ? (this.opts.testHooks ?? {}) : {},
        descendPollMounts: this.opts.descendPollMounts ?? false,
        pollDirs: this.opts.pollDirs ?? [],
        mounts: this.opts.mounts,
        sentinelDirs: [...this.sentinelDirs],
        rescanOnRearm: !this.opts.supervised,
        helperPath: this.helperPath,
      },
      {
        message: (m) => {
          if (this.link === link) this.onMessage(m);
        },
        died: (why) => {
          if (this.link === link && !this.stopped) void this.restart('WATCHER_CRASHED', why, 'backend-error');
        },
      },
    );
    this.link = link;
    this.heartbeat.reset(performance.now());
    if (this.beatTimer) clearInterval(this.beatTimer);
    this.beatTimer = setInterval(() => this.beat(), this.hb.intervalMs);
    this.beatTimer.unref();
  }

  private beat(): void {
    const link = this.link;
    if (this.stopped || !link) return;
    const now = performance.now();
    const v = this.heartbeat.beat(now, link.lastAnswer, (at) => (link.lastAnswer = at));
    if (!('hung' in v)) return link.send({ t: 'ping', seq: ++this.seq, audit: v.ping.audit });
    link.hung = true;
    void this.restart('WATCHER_HUNG', v.hung, 'heartbeat-timeout');
  }

  private onMessage(m: Exclude<WorkerMessage, { t: 'reply' }>): void {
    const toHost = (at: number) => at - performance.timeOrigin;
    switch (m.t) {
      case 'events': {
        const at = toHost(m.at);
        m.paths.forEach((p, i) => this.opts.onEvent(m.complete?.[i] ? { kind: 'change', path: p, at, complete: true } : { kind: 'change', path: p, at }));
        return;
      }
      case 'sentinel':
        this.opts.onSentinel?.(m.path);
        return;
      case 'rescan':
        this.opts.onEvent({ kind: 'rescan', reason: m.reason, at: toHost(m.at) });
        return;
      case 'notice':
        this.opts.onNotice(m.notice);
        return;
      case 'pong':
        this.latest = m.stats;
        this.audit(m.stats);
        return;
      case 'ready':
        this.latest = m.stats;
        this.onWorkerReady(m.stats);
        return;
      case 'crashed':
        void this.restart('WATCHER_CRASHED', m.why, 'backend-error');
        return;
      case 'fatal':
        void this.fail(new HotwatchError(m.code, m.message, { exitCode: m.exitCode, ...(m.hint ? { hint: m.hint } : {}) }));
        return;
    }
  }

  private onWorkerReady(stats: WorkerStats): void {
    if (!this.isReady) {
      this.isReady = true;
      this.resolveReady({
        backend: 'native',
        reason:
          this.opts.reason ??
          (this.helperPath
            ? 'one inotify watch per directory, held by the hotwatch-inotify helper process and driven by a worker thread with a heartbeat'
            : 'one inotify watch per directory (fs.watch), in a worker thread with a heartbeat'),
        dirs: stats.dirs,
        watches: stats.watches,
        readyMs: Math.round(performance.now() - this.started),
      });
    }
    const quiet = this.quietRestart;
    this.quietRestart = undefined;
    quiet?.resolve();
    const rc = this.restartCause;
    this.restartCause = undefined;
    if (!rc) return;
    this.notice({
      level: 'info',
      code: 'WATCHER_RESTARTED',
      message: `native watcher re-armed: ${stats.dirs} directories watched again`,
      health: { kind: 'rearmed', scope: 'watcher', cause: rc.cause, dirs: stats.dirs },
    });
    if (!this.opts.supervised) this.opts.onEvent({ kind: 'rescan', reason: `watcher restarted (${rc.code})`, at: performance.now() });
  }

  private audit(s: WorkerStats): void {
    const lost = this.heartbeat.audit(s);
    if (lost) void this.restart('WATCH_COVERAGE_LOST', lost, 'coverage-shortfall');
  }

  private notice(n: WatchNotice): void {
    this.opts.onNotice(n);
  }

  private async restart(code: NoticeCode, message: string, cause: DeafCause): Promise<void> {
    if (this.stopped) return;
    if (this.opts.supervised) {
      // Once per worker: the watchdog re-arms (rearmNow), which starts the next generation.
      if (this.reported === this.generation) return;
      this.reported = this.generation;
      this.notice({ level: 'error', code, message: message.replace(/; (restarting it|re-arming)$/, ''), health: { kind: 'deaf', scope: 'watcher', cause, selfHealing: false } });
      return;
    }
    const now = performance.now();
    this.restarts = this.restarts.filter((t) => now - t < this.hb.restartWindowMs);
    this.restarts.push(now);
    if (this.restarts.length > this.hb.maxRestarts) {
      await this.fail(
        new HotwatchError(
          'WATCHER_HUNG',
          `the native watcher failed ${this.restarts.length} times within ${Math.round(this.hb.restartWindowMs / 1000)}s (last: ${message})`,
          { hint: 'run `hotwatch doctor`, and report the issue with this log', exitCode: 1 },
        ),
      );
      return;
    }
    this.notice({ level: 'error', code, message, health: { kind: 'deaf', scope: 'watcher', cause, selfHealing: true } });
    this.restartCause = { code, cause };
    await this.respawn();
  }

  /** Stop the worker (await it) and start a fresh one; concurrent requests share one respawn. */
  private respawn(): Promise<void> {
    this.respawning ??= (async () => {
      try {
        await this.stopWorker();
        if (this.stopped) return;
        this.spawn();
      } catch (e) {
        await this.fail(e instanceof HotwatchError ? e : new HotwatchError('INTERNAL', `cannot restart the native watcher: ${String(e)}`));
      } finally {
        this.respawning = undefined;
      }
    })();
    return this.respawning;
  }

  /** Gives up native watching: rejects `ready`, or hands the error to onFailure (or reports it). */
  private async fail(err: HotwatchError): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.quietRestart?.reject(err);
    await this.stopWorker();
    if (!this.isReady) {
      this.rejectReady(err);
      return;
    }
    if (this.opts.onFailure) this.opts.onFailure(err);
    else this.notice({ level: 'error', code: err.code === 'WATCH_LIMIT' ? 'ENOSPC' : err.code === 'INSTANCE_LIMIT' ? 'EMFILE' : 'WATCHER_FAILED', message: `native watching stopped: ${err.message}`, ...(err.hint ? { hint: err.hint } : {}) });
  }

  private async stopWorker(): Promise<void> {
    if (this.beatTimer) clearInterval(this.beatTimer);
    this.beatTimer = undefined;
    const link = this.link;
    this.link = undefined;
    if (!link) return;
    if (!(await link.terminate(TERMINATE_MS))) {
      this.notice({
        level: 'error',
        code: 'WATCHER_STUCK',
        message: `the native watcher thread did not stop within ${TERMINATE_MS}ms; its watches may linger until hotwatch exits`,
      });
    }
  }
}
