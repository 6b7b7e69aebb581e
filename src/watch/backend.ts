/**
 * createWatcher: chooses the backend and swaps it when asked, so the watchdog sees one Watcher.
 *   - watch.backend "poll" (or `pollReason`: the watch budget does not fit) → polling everywhere;
 *   - "auto": a root on a poll-type filesystem (9p, NFS, fuse...) is polled from the start; otherwise the
 *     native backend, plus a polling watcher for each poll-type mount inside the tree;
 *   - "native": the native backend everywhere (poll-type mounts included, with a warning);
 *   - `pollSubtrees` (the watch budget fits only part of the tree): those subtrees are polled beside the
 *     native watcher, which never descends them (the same way as poll-type mounts).
 * It never recovers on its own: a native backend that cannot start rejects `ready` (a kernel limit
 * carries its fix), and one that loses its watches later reports it (a notice with a HealthReport). The
 * watchdog decides and steers it through WatchControl: re-arm, re-arm a subtree, fall back to polling,
 * try native again, poll one mount beside the native watcher.
 */
import path from 'node:path';
import type { WatchSettings } from '../config/settings.js';
import { HotwatchError } from '../errors.js';
import { bounded } from '../os/bounded.js';
import { classifyFs, readMounts, realPathOr, type MountEntry } from '../os/mounts.js';
import { plannedPolling } from './planned-polling.js';
import { NativeWatcher, type Liveness, type NativeWatcherOptions } from './native/host.js';
import type { WorkerFault } from './native/protocol.js';
import { PolledSubtrees } from './poll/polled-subtrees.js';
import { PollWatcher } from './poll/poll.js';
import type { BackendName, DeafCause, ReconcileReport, SyncOptions, Watcher, WatcherOptions, WatcherReady, WatcherStats } from './types.js';

export interface CreateWatcherOptions extends WatcherOptions {
  /** Knobs of the native backend (tests: heartbeat deadlines, fault injection). */
  native?: Pick<NativeWatcherOptions, 'tuning' | 'heartbeat' | 'testHooks' | 'onStartFiles'>;
  /** Mount table (default /proc/self/mountinfo). */
  mounts?: MountEntry[];
  /** Poll the whole tree from the start, for this reason (the watch budget does not fit). */
  pollReason?: string;
  /**
   * Poll these subtrees beside the native watcher from the start, which never arms them (the watch budget
   * fits only the rest of the tree). Ignored when the whole tree is polled anyway.
   */
  pollSubtrees?: { paths: string[]; reason: string };
}

/** What the watchdog may ask of the watcher. Every call that waits is bounded by `timeoutMs`. */
export interface WatchControl extends Watcher {
  backend(): BackendName | undefined;
  stats(): WatcherStats | undefined;
  sync(timeoutMs: number, opts?: SyncOptions): Promise<void>;
  /** Close the main backend (await it) and start it again. */
  rearm(timeoutMs: number): Promise<void>;
  /** A mount changed at `p`: re-arm what is under it (and poll it if it is a poll-type mount now). */
  rearmPath(p: string, mounts: MountEntry[], timeoutMs: number): Promise<void>;
  /** A config reload changed the watch lists (Watcher.reconcile). */
  reconcile(settings: WatchSettings, timeoutMs?: number): Promise<ReconcileReport>;
  /** Give up native watching of the tree: poll it all (also after `ready` rejected with a kernel limit). */
  fallBackToPoll(reason: string, cause: DeafCause | undefined, hint?: string): Promise<WatcherReady>;
  /** Back to native watching: undefined when it works, else why it still cannot (polling goes on). */
  tryNative(timeoutMs: number): Promise<string | undefined>;
  /** Poll one subtree beside the native watcher (a deaf mount), or stop polling it. */
  pollPath(p: string, reason: string): Promise<void>;
  unpollPath(p: string): Promise<void>;
  /** Watch one of the watchdog's sentinel directories; false when not watching natively. */
  armSentinel(dir: string, timeoutMs: number): Promise<boolean>;
  /** How long the native watcher thread has been silent; undefined when not watching natively. */
  liveness(): Liveness | undefined;
  pingNow(): void; // a heartbeat ping beside a sentinel round (one wake-up for both); nothing when not native
  /** Test-only: a fault in the native watcher thread; false when not watching natively. */
  inject(fault: WorkerFault): boolean;
}

export function createWatcher(opts: CreateWatcherOptions): WatchControl {
  return new AutoWatcher(opts);
}

class AutoWatcher implements WatchControl {
  readonly ready: Promise<WatcherReady>;
  private main: NativeWatcher | PollWatcher | undefined;
  /** Polling watchers beside the native one: poll-type mounts, the budget's subtrees, deaf mounts. */
  private readonly beside: PolledSubtrees;
  private closed = false;
  private closing: Promise<void> | undefined;
  private transition: Promise<unknown> = Promise.resolve();
  private readonly settings: WatchSettings;
  private readonly root: string;

  constructor(private readonly opts: CreateWatcherOptions) {
    this.settings = opts.settings;
    this.root = path.resolve(this.settings.root);
    this.beside = new PolledSubtrees(() => this.backendOptions(), this.settings);
    this.ready = this.start();
    this.ready.catch(() => undefined); // surfaced through `ready`
  }

  /** Only the base options: never leak unrelated keys of the caller's object into a backend. */
  private backendOptions(): WatcherOptions & { mounts?: MountEntry[] } {
    const { settings, onEvent, onNotice, signal, mounts, onSentinel } = this.opts;
    return { settings, onEvent, onNotice, signal, ...(mounts ? { mounts } : {}), ...(onSentinel ? { onSentinel } : {}) };
  }

  private pollEvery(): string {
    const ms = this.settings.pollIntervalMs;
    return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
  }

  private async start(): Promise<WatcherReady> {
    const mounts = this.opts.mounts ?? readMounts();
    const planned = plannedPolling(this.settings, mounts);
    if (planned) {
      if (this.settings.backend !== 'poll') {
        this.opts.onNotice({
          level: 'warn',
          code: 'POLL_ROOT',
          path: this.root,
          message: `polling the whole tree every ${this.pollEvery()}: ${planned}`,
          health: { kind: 'fallback', scope: 'root' },
        });
      }
      return this.startPoll(planned);
    }
    if (this.opts.pollReason) return this.startPoll(this.opts.pollReason);
    let ready = await this.startNative();
    const subtrees = this.opts.pollSubtrees;
    for (const p of subtrees?.paths ?? []) ready = { ...ready, dirs: ready.dirs + (await this.beside.add(p, subtrees!.reason)).dirs };
    const n = subtrees?.paths.length ?? 0;
    if (n > 0) ready = { ...ready, reason: `${ready.reason}; ${n} subtree${n === 1 ? '' : 's'} polled: ${subtrees!.reason}` };
    if (this.settings.backend === 'native') return ready;
    // auto: poll the poll-type mounts inside the tree (the native scan does not descend them).
    for (const { p, m } of this.beside.pollTypeMounts(realPathOr(this.root), mounts)) {
      const r = await this.beside.add(p, `${m.fsType} mount: ${classifyFs(m.fsType).reason}`);
      ready = { ...ready, dirs: ready.dirs + r.dirs, reason: `${ready.reason}; polling ./${path.relative(this.root, p)} (${m.fsType})` };
    }
    return ready;
  }

  private startNative(): Promise<WatcherReady> {
    const forced = this.settings.backend === 'native';
    const w = new NativeWatcher({
      ...this.backendOptions(),
      ...this.opts.native,
      descendPollMounts: forced,
      ...(this.opts.pollSubtrees ? { pollDirs: this.opts.pollSubtrees.paths } : {}),
      ...(forced ? { reason: 'watch.backend is "native"' } : {}),
    });
    this.main = w;
    return w.ready;
  }

  private async startPoll(reason: string): Promise<WatcherReady> {
    if (this.closed) throw new HotwatchError('INTERNAL', 'the watcher was closed before it was ready');
    const w = new PollWatcher({ ...this.backendOptions(), reason });
    this.main = w;
    return w.ready;
  }

  /** Runs transitions one after the other (never two backends swapping at once). */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.transition.then(f, f);
    this.transition = next.catch(() => undefined);
    return next;
  }

  private native(): NativeWatcher | undefined {
    return this.main instanceof NativeWatcher ? this.main : undefined;
  }

  backend(): BackendName | undefined {
    return this.main instanceof NativeWatcher ? 'native' : this.main instanceof PollWatcher ? 'poll' : undefined;
  }

  rearm(timeoutMs: number): Promise<void> {
    return this.serial(async () => {
      const n = this.native();
      if (n) return n.rearmNow(timeoutMs);
      const old = this.main;
      await old?.close();
      if (this.closed) return;
      await bounded(() => this.startPoll(old instanceof PollWatcher ? 'polling again after a loss' : 'polling'), {
        what: 'starting to poll',
        timeoutMs,
      });
    });
  }

  rearmPath(p: string, mounts: MountEntry[], timeoutMs: number): Promise<void> {
    return this.serial(async () => {
      const n = this.native();
      if (!n) {
        await this.main?.close();
        if (!this.closed)
          await bounded(() => this.startPoll('polling again after a mount change'), { what: 'starting to poll', timeoutMs });
        return;
      }
      await n.rearmPath(p, mounts, timeoutMs);
      const budgetPolled = this.opts.pollSubtrees?.paths.includes(p) ?? false; // stays polled whatever is mounted there
      if (this.settings.backend === 'auto' && !budgetPolled) await this.beside.sync(p, mounts);
    });
  }

  fallBackToPoll(reason: string, cause: DeafCause | undefined, hint?: string): Promise<WatcherReady> {
    return this.serial(async () => {
      await this.native()?.close();
      try {
        const r = await this.startPoll(reason);
        this.opts.onNotice({
          level: 'warn',
          code: 'FALLBACK_POLL',
          path: this.root,
          message: `now polling ${r.dirs} directories every ${this.pollEvery()} (${reason})`,
          ...(hint ? { hint } : {}),
          health: { kind: 'fallback', scope: 'root', ...(cause ? { cause } : {}) },
        });
        return r;
      } catch (e) {
        if (!this.closed) {
          this.opts.onNotice({
            level: 'error',
            code: 'WATCH_STOPPED',
            message: `polling could not start either (${String(e)}): edits are NOT seen until hotwatch restarts`,
            hint: 'run `hotwatch doctor`',
          });
        }
        throw e;
      }
    });
  }

  reconcile(settings: WatchSettings, timeoutMs = 60_000): Promise<ReconcileReport> {
    return this.serial(async () => {
      this.opts.settings = settings; // a backend started from now on (a re-arm, a fallback) uses the new lists
      await this.beside.restartAll();
      const n = this.native();
      if (n) return { how: 'reconciled', added: 0, removed: 0, ...(await n.reconcileWatches(settings, timeoutMs)) };
      await this.main?.close();
      const r = await bounded(() => this.startPoll('polling with the reloaded watch lists'), { what: 'starting to poll', timeoutMs });
      return { how: 'repolled', dirs: r.dirs, added: 0, removed: 0 };
    });
  }

  tryNative(timeoutMs: number): Promise<string | undefined> {
    return this.serial(async () => {
      if (this.closed || this.native()) return undefined;
      const poller = this.main;
      try {
        await bounded(() => this.startNative(), { what: 'arming the native watcher', timeoutMs });
      } catch (e) {
        await this.main?.close();
        this.main = poller; // still polling
        return e instanceof Error ? e.message : String(e);
      }
      await poller?.close();
      return undefined;
    });
  }

  pollPath(p: string, reason: string): Promise<void> {
    return this.serial(async () => void (await this.beside.add(p, reason)));
  }

  unpollPath(p: string): Promise<void> {
    return this.serial(() => this.beside.remove(p));
  }

  async armSentinel(dir: string, timeoutMs: number): Promise<boolean> {
    const n = this.native();
    if (!n) return false;
    await n.armSentinel(dir, timeoutMs);
    return true;
  }

  liveness(): Liveness | undefined {
    return this.native()?.liveness();
  }

  pingNow(): void {
    this.native()?.worker.pingNow(false);
  }

  inject(fault: WorkerFault): boolean {
    this.native()?.inject(fault);
    return this.native() !== undefined;
  }

  /** The native backend's delivery barrier (see Watcher.sync), and with `pollRound` a round of every poller. */
  sync(timeoutMs: number, o?: SyncOptions): Promise<void> {
    const native = this.native()?.sync(timeoutMs) ?? Promise.resolve();
    return o?.pollRound ? native.finally(() => this.beside.caughtUp(this.main)) : native;
  }

  /** The main backend's counters plus the directories polled beside it. */
  stats(): WatcherStats | undefined {
    const main = this.main?.stats();
    if (!main) return undefined;
    return { ...main, dirs: main.dirs + this.beside.dirs() };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await this.transition.catch(() => undefined);
      await Promise.all([this.main?.close(), this.beside.closeAll()]);
    })();
    return this.closing;
  }
}
