/**
 * The native backend's host, on the main thread: runs NativeEngine in a worker thread (so a hung or
 * spinning watcher can never freeze builds and restarts), one worker at a time, guarded by a heartbeat
 * (worker-slot.ts):
 *  - ping every `intervalMs`, up to 30 s apart when quiet; no answer for `deadlineMs` after a ping (time
 *    this thread was stalled not counted: heartbeat.ts) → WATCHER_HUNG;
 *  - coverage audit on each fresh pong: the kernel holds fewer watches than the distinct directories the
 *    thread believes armed, twice in a row → WATCH_COVERAGE_LOST;
 *  - the thread or its inotify helper died → WATCHER_CRASHED; a kernel limit reached after start (a new
 *    directory, ENOSPC) → ENOSPC / EMFILE, the worker stopped.
 * Each is reported once per worker, as a notice tagged deaf (scope watcher): the host never restarts
 * the thread itself. The watchdog decides: `rearmNow` (a fresh thread and helper, every watch again), or
 * polling for a kernel limit. Before ready, a fatal error (ENOSPC, EMFILE, an unreadable root) rejects
 * `ready` with the HotwatchError that carries the fix.
 */
import type { Liveness } from './liveness.js';

export type { Liveness } from './liveness.js';
import { HotwatchError, type NoticeCode } from '../../errors.js';
import { bounded } from '../../os/bounded.js';
import type { MountEntry } from '../../os/mounts.js';
import { limitCause, limitNoticeCode } from '../budget/limits.js';
import type { DeafCause, Watcher, WatcherOptions, WatcherReady, WatcherStats, WatchNotice } from '../types.js';
import { DEFAULT_TUNING } from './engine/tuning.js';
import type { HeartbeatTuning } from './heartbeat.js';
import { helperUnavailable, inotifyHelper, type HelperBinary } from './helper/build.js';
import type { CallResult, NativeTuning, WatchTestHooks, WorkerCall, WorkerFault, WorkerMessage, WorkerStats } from './protocol.js';
import { WorkerSlot } from './worker-slot.js';

export { nativeWorkerPath } from './worker-link.js';

/** The heartbeat's ping interval and deadline (default 1 s and 5 s). */
export type HeartbeatOptions = Partial<HeartbeatTuning>;

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
  /** The inotify helper to use (default: found or built by inotifyHelper()); `unavailable`: fs.watch. */
  helper?: HelperBinary;
  /** Given the relevant files the first arming read and the dirs it armed, before `ready` resolves (the watchdog's snapshot). */
  onStartFiles?: (files: string[], dirs: string[]) => void;
}

export class NativeWatcher implements Watcher {
  readonly ready: Promise<WatcherReady>;
  private resolveReady!: (r: WatcherReady) => void;
  private rejectReady!: (e: unknown) => void;
  private isReady = false;
  /** The current worker thread, with its heartbeat (the watchdog's sentinel round pings it: pingNow). */
  readonly worker: WorkerSlot;
  /** A rearmNow waiting for the next worker to be armed. */
  private rearming: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  /** No worker is ever started again: closed, or a fatal error before ready. */
  private closed = false;
  private respawning: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private latest: WorkerStats | undefined;
  private readonly sentinelDirs = new Set<string>();
  private readonly started = performance.now();
  private readonly pingMs: number;
  private readonly tuning: NativeTuning;
  private readonly onAbort = (): void => void this.close();
  private helperPath: string | undefined;

  constructor(private readonly opts: NativeWatcherOptions) {
    this.pingMs = opts.heartbeat?.intervalMs ?? 1000;
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning };
    this.worker = new WorkerSlot(
      { intervalMs: this.pingMs, deadlineMs: opts.heartbeat?.deadlineMs ?? 5000 },
      {
        message: (m) => this.onMessage(m),
        lost: (code, message, cause, hint) => this.lost(code, message, cause, hint),
        stuck: (ms) =>
          opts.onNotice({
            level: 'error',
            code: 'WATCHER_STUCK',
            message: `the native watcher did not stop within ${ms}ms; its watches may linger until hotwatch exits`,
          }),
      },
    );
    this.ready = new Promise<WatcherReady>((res, rej) => {
      this.resolveReady = res;
      this.rejectReady = rej;
    });
    this.ready.catch(() => undefined); // the caller gets the rejection through `ready`; no unhandled one here
    if (opts.signal.aborted) {
      this.rejectReady(opts.signal.reason);
      this.closed = true;
      return;
    }
    opts.signal.addEventListener('abort', this.onAbort, { once: true });
    void this.boot();
  }

  /** Finds (or builds once) the inotify helper, then starts the first worker. */
  private async boot(): Promise<void> {
    try {
      const helper = this.opts.helper ?? (await inotifyHelper());
      if (this.closed) return;
      if ('path' in helper) this.helperPath = helper.path;
      else if (process.platform === 'linux') this.opts.onNotice(helperUnavailable(helper.unavailable));
      this.spawn();
    } catch (e) {
      this.closed = true;
      this.rejectReady(e);
    }
  }

  /** The worker's last reported stats (dirs, distinct inodes, inotify watches held). */
  stats(): (WorkerStats & WatcherStats) | undefined {
    return this.latest && { ...this.latest, backend: 'native' };
  }

  liveness(): Liveness {
    return { silentMs: this.worker.silentMs, owedMs: this.worker.owedMs, idle: this.latest?.idle !== false, pingMs: this.pingMs };
  }

  /** Test-only: inject a fault into the running worker. */
  inject(fault: WorkerFault): void {
    this.worker.inject(fault);
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

  /** A config reload changed the lists: the worker reconciles its watches; a later worker starts with them. */
  reconcileWatches(settings: WatcherOptions['settings'], timeoutMs: number): Promise<CallResult> {
    this.opts.settings = settings;
    return this.call({ op: 'reconcile', settings }, timeoutMs);
  }

  /** The delivery barrier (Watcher.sync). */
  sync(timeoutMs: number): Promise<void> {
    if (!this.worker.running || this.closed) return Promise.resolve();
    return this.worker.call({ op: 'sync' }, timeoutMs).then(() => undefined);
  }

  /** The watchdog's re-arm: stop the worker (await it), start a fresh one, resolve once it is armed. */
  rearmNow(timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the native watcher is closed'));
    this.rearming?.reject(new Error('superseded by another re-arm'));
    const done = new Promise<void>((resolve, reject) => (this.rearming = { resolve, reject }));
    const armed = bounded(() => done, { what: 'arming the native watcher again', timeoutMs });
    void this.respawn();
    return armed;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.opts.signal.removeEventListener('abort', this.onAbort);
      if (!this.isReady) this.rejectReady(new HotwatchError('INTERNAL', 'the watcher was closed before it was ready'));
      this.rearming?.reject(new Error('the watcher was closed'));
      await this.worker.stop();
    })();
    return this.closing;
  }

  private call(c: WorkerCall, timeoutMs: number): Promise<CallResult> {
    if (this.closed) return Promise.reject(new Error('the native watcher is not running'));
    return this.worker.call(c, timeoutMs);
  }

  private spawn(): void {
    const data = {
      settings: this.opts.settings,
      tuning: this.tuning,
      descendPollMounts: this.opts.descendPollMounts ?? false,
      pollDirs: this.opts.pollDirs ?? [],
      mounts: this.opts.mounts,
      sentinelDirs: [...this.sentinelDirs],
      helperPath: this.helperPath,
      collectFiles: !this.isReady && this.opts.onStartFiles !== undefined,
    };
    this.worker.start(data, this.opts.testHooks ?? {});
  }

  private onMessage(m: Exclude<WorkerMessage, { t: 'reply' }>): void {
    const toHost = (at: number) => at - performance.timeOrigin;
    switch (m.t) {
      case 'events': {
        const at = toHost(m.at);
        m.paths.forEach((p, i) => {
          const state = m.complete?.[i] ? { complete: true as const } : m.writing?.[i] ? { writing: true as const } : {};
          this.opts.onEvent({ kind: 'change', path: p, at, ...state });
        });
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
        this.worker.audit(m.stats);
        return;
      case 'ready':
        if (m.files && !this.isReady) this.opts.onStartFiles?.(m.files, m.dirs ?? []);
        this.latest = m.stats;
        this.onWorkerReady(m.stats);
        return;
      case 'crashed':
        this.worker.lost('WATCHER_CRASHED', m.why, 'backend-error');
        return;
      case 'fatal':
        void this.fail(new HotwatchError(m.code, m.message, { exitCode: m.exitCode, ...(m.hint ? { hint: m.hint } : {}) }));
        return;
    }
  }

  private onWorkerReady(stats: WorkerStats): void {
    const rearming = this.rearming;
    this.rearming = undefined;
    rearming?.resolve();
    if (this.isReady) return;
    this.isReady = true;
    this.resolveReady({
      backend: 'native',
      reason:
        this.opts.reason ??
        (this.helperPath
          ? 'inotify, one watch per directory, held by the hotwatch-inotify helper'
          : 'inotify through fs.watch: the hotwatch-inotify helper is not available'),
      dirs: stats.dirs,
      watches: stats.watches,
      readyMs: Math.round(performance.now() - this.started),
    });
  }

  /** The current worker lost its watches (said once per worker): the watchdog decides what to do. */
  private lost(code: NoticeCode, message: string, cause: DeafCause, hint?: string): void {
    if (this.closed) return;
    const n: WatchNotice = { level: 'error', code, message, health: { kind: 'deaf', scope: 'watcher', cause, selfHealing: false } };
    this.opts.onNotice(hint ? { ...n, hint } : n);
  }

  /** Stop the worker (await it) and start a fresh one; concurrent requests share one respawn. */
  private respawn(): Promise<void> {
    this.respawning ??= (async () => {
      try {
        await this.worker.stop();
        if (this.closed) return;
        this.spawn();
      } catch (e) {
        await this.fail(e instanceof HotwatchError ? e : new HotwatchError('INTERNAL', `cannot restart the native watcher: ${String(e)}`));
      } finally {
        this.respawning = undefined;
      }
    })();
    return this.respawning;
  }

  /**
   * The worker cannot go on (a kernel limit, an unreadable root): before ready, `ready` rejects with the
   * error; after, the worker is stopped and the loss reported (a limit by its own code and cause).
   */
  private async fail(err: HotwatchError): Promise<void> {
    if (this.closed) return;
    this.rearming?.reject(err);
    this.rearming = undefined;
    if (!this.isReady) this.closed = true;
    await this.worker.stop();
    if (!this.isReady) return this.rejectReady(err);
    const limit = limitCause(err);
    this.worker.lost(limit ? limitNoticeCode(limit) : 'WATCHER_FAILED', err.message, limit ?? 'backend-error', err.hint);
  }
}
