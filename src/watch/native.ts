/**
 * The native backend's host: runs NativeEngine in a worker thread (so a hung or spinning watcher can
 * never freeze builds and restarts) and guards it with a heartbeat.
 *
 *  - ping every `intervalMs`; no message from the worker for `deadlineMs` → notice WATCHER_HUNG (error),
 *    terminate, start a fresh worker (re-arm) and emit a RescanEvent once it is ready;
 *  - coverage audit on each pong: the worker's own inotify fd holds fewer watches than the distinct
 *    directories it believes armed, twice in a row → WATCH_COVERAGE_LOST, same restart;
 *  - more than `maxRestarts` restarts within `restartWindowMs`, or a limit reached after start (fatal
 *    from the worker) → the watcher gives up: `onFailure(err)` is called once (create.ts falls back to
 *    polling there); without onFailure the error is reported as a notice.
 * Before ready, a fatal (ENOSPC, EMFILE) rejects `ready` with the HotwatchError that carries the fix.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HotwatchError } from '../errors.js';
import type { MountEntry } from './mounts.js';
import { DEFAULT_TUNING } from './native-engine.js';
import type { HostMessage, NativeTuning, WatchTestHooks, WorkerData, WorkerFault, WorkerMessage, WorkerStats } from './protocol.js';
import type { Watcher, WatcherOptions, WatcherReady, WatcherStats, WatchNotice } from './types.js';

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
  /** Why this backend was chosen (WatcherReady.reason). */
  reason?: string;
  /** Mount table (default: the worker reads /proc/self/mountinfo). */
  mounts?: MountEntry[];
  /** Called once when native watching gives up after start: the caller should poll instead. */
  onFailure?: (err: HotwatchError) => void;
}

const TERMINATE_MS = 5000;
const YOUNG_GEN_MB = 4;

/** The worker always runs compiled JS: map src/watch/native.ts (vitest) to dist/watch/native-worker.js. */
export function nativeWorkerPath(): string {
  const here = fileURLToPath(import.meta.url);
  const js = here.endsWith('.ts')
    ? path.join(path.dirname(here), '..', '..', 'dist', 'watch', 'native-worker.js')
    : path.join(path.dirname(here), 'native-worker.js');
  if (!fs.existsSync(js)) {
    throw new HotwatchError('INTERNAL', `the native watcher's worker is missing at ${js}`, {
      hint: 'run `npm run build`: the worker thread always runs from dist/',
      exitCode: 1,
    });
  }
  return js;
}

export class NativeWatcher implements Watcher {
  readonly ready: Promise<WatcherReady>;
  private resolveReady!: (r: WatcherReady) => void;
  private rejectReady!: (e: unknown) => void;
  private isReady = false;
  private worker: Worker | undefined;
  private generation = 0;
  private lastAnswer = 0;
  private lastBeat = 0;
  private seq = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private shortfalls = 0;
  private restarts: number[] = [];
  private restartReason: string | undefined;
  private stopped = false;
  private closing: Promise<void> | undefined;
  private latest: WorkerStats | undefined;
  private readonly started = performance.now();
  private readonly hb: Required<HeartbeatOptions>;
  private readonly tuning: NativeTuning;
  private readonly onAbort = (): void => void this.close();

  constructor(private readonly opts: NativeWatcherOptions) {
    this.hb = {
      intervalMs: opts.heartbeat?.intervalMs ?? 1000,
      deadlineMs: opts.heartbeat?.deadlineMs ?? 5000,
      maxRestarts: opts.heartbeat?.maxRestarts ?? 3,
      restartWindowMs: opts.heartbeat?.restartWindowMs ?? 60_000,
    };
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning };
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
    try {
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

  /** Test-only: inject a fault into the running worker. */
  inject(fault: WorkerFault): void {
    this.send({ t: 'fault', fault });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopped = true;
      this.opts.signal.removeEventListener('abort', this.onAbort);
      if (!this.isReady) this.rejectReady(new HotwatchError('INTERNAL', 'the watcher was closed before it was ready'));
      await this.stopWorker();
    })();
    return this.closing;
  }

  private spawn(): void {
    const gen = ++this.generation;
    const data: WorkerData = {
      settings: this.opts.settings,
      tuning: this.tuning,
      hooks: gen === 1 ? (this.opts.testHooks ?? {}) : {},
      descendPollMounts: this.opts.descendPollMounts ?? false,
      mounts: this.opts.mounts,
    };
    const w = new Worker(pathToFileURL(nativeWorkerPath()), {
      workerData: data,
      stdout: false,
      stderr: false,
      // A small young generation keeps the worker's RSS low (measured: 10k dirs 109 MB → 83 MB, same speed).
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GEN_MB },
    });
    this.worker = w;
    this.lastAnswer = performance.now();
    this.lastBeat = this.lastAnswer;
    this.shortfalls = 0;
    w.on('message', (m: WorkerMessage) => {
      if (this.worker === w) this.onMessage(m);
    });
    w.on('error', (e) => {
      if (this.worker === w) void this.restart('WATCHER_CRASHED', `the native watcher thread crashed: ${e.message}`);
    });
    w.on('exit', (code) => {
      if (this.worker === w && !this.stopped) void this.restart('WATCHER_CRASHED', `the native watcher thread exited (code ${code})`);
    });
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.beat(), this.hb.intervalMs);
    this.heartbeat.unref();
  }

  private send(m: HostMessage): void {
    this.worker?.postMessage(m);
  }

  private beat(): void {
    if (this.stopped || !this.worker) return;
    const now = performance.now();
    const hostGap = now - this.lastBeat;
    this.lastBeat = now;
    // This thread was stalled too (SIGSTOP, suspend, swap): the worker had no chance to answer either.
    if (hostGap > this.hb.intervalMs * 3) this.lastAnswer = now;
    const silentFor = now - this.lastAnswer;
    if (silentFor > this.hb.deadlineMs) {
      void this.restart(
        'WATCHER_HUNG',
        `the native watcher thread did not answer for ${Math.round(silentFor)}ms (deadline ${this.hb.deadlineMs}ms): it is hung; restarting it`,
      );
      return;
    }
    this.send({ t: 'ping', seq: ++this.seq });
  }

  private onMessage(m: WorkerMessage): void {
    this.lastAnswer = performance.now();
    const toHost = (at: number) => at - performance.timeOrigin;
    switch (m.t) {
      case 'events':
        for (const p of m.paths) this.opts.onEvent({ kind: 'change', path: p, at: toHost(m.at) });
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
        reason: this.opts.reason ?? 'one inotify watch per directory, in a worker thread with a heartbeat',
        dirs: stats.dirs,
        watches: stats.watches,
        readyMs: Math.round(performance.now() - this.started),
      });
    }
    if (this.restartReason) {
      const reason = this.restartReason;
      this.restartReason = undefined;
      this.notice({
        level: 'info',
        code: 'WATCHER_RESTARTED',
        message: `native watcher re-armed: ${stats.dirs} directories watched again`,
      });
      this.opts.onEvent({ kind: 'rescan', reason: `watcher restarted (${reason})`, at: performance.now() });
    }
  }

  private audit(s: WorkerStats): void {
    if (!s.watchesFresh || !s.idle) return;
    if (s.watches === undefined || s.watches >= s.inodes) {
      this.shortfalls = 0;
      return;
    }
    if (++this.shortfalls < 2) return;
    void this.restart(
      'WATCH_COVERAGE_LOST',
      `the kernel holds ${s.watches} inotify watches for the ${s.inodes} directories the watcher armed: watches were lost; re-arming`,
    );
  }

  private notice(n: WatchNotice): void {
    this.opts.onNotice(n);
  }

  private async restart(code: string, message: string): Promise<void> {
    if (this.stopped) return;
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
    this.notice({ level: 'error', code, message });
    this.restartReason = code;
    await this.stopWorker();
    if (this.stopped) return;
    try {
      this.spawn();
    } catch (e) {
      await this.fail(e instanceof HotwatchError ? e : new HotwatchError('INTERNAL', `cannot restart the native watcher: ${String(e)}`));
    }
  }

  /** Gives up native watching: rejects `ready`, or hands the error to onFailure (or reports it). */
  private async fail(err: HotwatchError): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.stopWorker();
    if (!this.isReady) {
      this.rejectReady(err);
      return;
    }
    if (this.opts.onFailure) this.opts.onFailure(err);
    else this.notice({ level: 'error', code: err.code, message: `native watching stopped: ${err.message}`, ...(err.hint ? { hint: err.hint } : {}) });
  }

  private async stopWorker(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    const w = this.worker;
    this.worker = undefined;
    if (!w) return;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      w.terminate().then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), TERMINATE_MS))),
    ]);
    clearTimeout(timer);
    if (!done) {
      this.notice({
        level: 'error',
        code: 'WATCHER_STUCK',
        message: `the native watcher thread did not stop within ${TERMINATE_MS}ms; its watches may linger until hotwatch exits`,
      });
    }
  }
}
