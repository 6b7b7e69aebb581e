/**
 * createWatcher: picks the backend and owns the fallback, so the caller sees one Watcher.
 *   - watch.backend "poll" (or `pollReason`, e.g. the watch budget does not fit) → polling everywhere;
 *   - "auto": a root on a poll-type filesystem (9p, NFS, fuse...) is polled from the start; otherwise the
 *     native backend, plus a polling watcher for each poll-type mount inside the tree;
 *   - "native": the native backend everywhere (poll-type mounts included, with a warning);
 *   - `pollSubtrees` (the watch budget fits only part of the tree): those subtrees are polled beside the
 *     native watcher, which never descends them (the same way as poll-type mounts);
 *   - the native backend failing to start on a kernel limit (ENOSPC watches, EMFILE instances) → a loud
 *     notice with the fix and polling instead: never partial coverage in silence. Giving up later
 *     (limit reached by new dirs, repeated hangs) → the same, plus a RescanEvent once polling is ready.
 * The watchdog steers it through WatchControl: re-arm, re-arm a subtree, fall back, try native again,
 * poll one mount beside the native watcher.
 */
import path from 'node:path';
import { HotwatchError, isHotwatchError } from '../errors.js';
import { limitCause } from './budget/limits.js';
import type { DeafCause } from './types.js';
import { plannedPolling, realOr } from './backend-plan.js';
import { bounded } from '../os/bounded.js';
import { classifyFs, readMounts, type MountEntry } from '../os/mounts.js';
import { NativeWatcher, type NativeWatcherOptions } from './native/host.js';
import { PollMounts } from './poll/mounts.js';
import { PollWatcher } from './poll/poll.js';
import type { BackendName, Watcher, WatcherOptions, WatcherReady, WatcherStats } from './types.js';

export interface CreateWatcherOptions extends WatcherOptions {
  /** Knobs of the native backend (tests: heartbeat deadlines, fault injection). */
  native?: Pick<NativeWatcherOptions, 'tuning' | 'heartbeat' | 'testHooks'>;
  /** Mount table (default /proc/self/mountinfo). */
  mounts?: MountEntry[];
  /** Poll the whole tree from the start, for this reason (the watch budget does not fit). */
  pollReason?: string;
  /**
   * Poll these subtrees beside the native watcher from the start, which never arms them (the watch budget
   * fits only the rest of the tree). Ignored when the whole tree is polled anyway.
   */
  pollSubtrees?: { paths: string[]; reason: string };
  /**
   * A watchdog drives recovery: the native watcher reports losses instead of restarting itself, and no
   * RescanEvent follows re-arms and fallbacks (the watchdog diffs a snapshot instead).
   */
  supervised?: boolean;
}

/** What the watchdog may ask of the watcher. Every call is bounded by `timeoutMs`. */
export interface WatchControl extends Watcher {
  backend(): BackendName | undefined;
  native(): NativeWatcher | undefined;
  /** Close the main subscription (await it) and subscribe again. */
  rearm(timeoutMs: number): Promise<void>;
  /** A mount changed at `p`: re-arm what is under it (and poll it if it is a poll-type mount now). */
  rearmPath(p: string, mounts: MountEntry[], timeoutMs: number): Promise<void>;
  /** Give up native watching of the tree: poll it all. */
  fallBackToPoll(reason: string, cause: DeafCause | undefined): Promise<WatcherReady>;
  /** While polling the tree: start native watching; true once it is armed and polling is closed. */
  /** Back to native watching: undefined when it works, else why it still cannot (polling goes on). */
  tryNative(timeoutMs: number): Promise<string | undefined>;
  /** Poll one subtree beside the native watcher (a deaf mount), or stop polling it. */
  pollPath(p: string, reason: string): Promise<void>;
  unpollPath(p: string): Promise<void>;
}

const FALLBACK_CODES = new Set(['WATCH_LIMIT', 'INSTANCE_LIMIT']);

export function createWatcher(opts: CreateWatcherOptions): WatchControl {
  return new AutoWatcher(opts);
}

class AutoWatcher implements WatchControl {
  readonly ready: Promise<WatcherReady>;
  private main: Watcher | undefined;
  private readonly extras: PollMounts;
  private closed = false;
  private closing: Promise<void> | undefined;
  private transition: Promise<unknown> = Promise.resolve();
  private readonly s: CreateWatcherOptions['settings'];
  private readonly root: string;

  constructor(private readonly opts: CreateWatcherOptions) {
    this.s = opts.settings;
    this.root = path.resolve(this.s.root);
    this.extras = new PollMounts(() => this.base(), this.s);
    this.ready = this.start();
    this.ready.catch(() => undefined); // surfaced through `ready`
  }

  /** Only the base options: never leak unrelated keys of the caller's object into a backend. */
  private base(): WatcherOptions & { mounts?: MountEntry[] } {
    const { settings, onEvent, onNotice, signal, mounts, onSentinel } = this.opts;
    return { settings, onEvent, onNotice, signal, ...(mounts ? { mounts } : {}), ...(onSentinel ? { onSentinel } : {}) };
  }

  private pollEvery(): string {
    const ms = this.s.pollIntervalMs;
    return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
  }

  private rescan(reason: string): void {
    if (!this.opts.supervised) this.opts.onEvent({ kind: 'rescan', reason, at: performance.now() });
  }

  private async start(): Promise<WatcherReady> {
    const mounts = this.opts.mounts ?? readMounts();
    const planned = plannedPolling(this.s, mounts);
    if (planned) {
      if (this.s.backend !== 'poll') {
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
    const realRoot = realOr(this.root);
    const forced = this.s.backend === 'native';
    let ready: WatcherReady;
    try {
      ready = await this.startNative();
    } catch (e) {
      if (!isHotwatchError(e) || !FALLBACK_CODES.has(e.code) || this.closed) throw e;
      const why = e.code === 'WATCH_LIMIT' ? 'inotify watch limit reached' : 'inotify instance limit reached';
      this.opts.onNotice({
        level: 'error',
        code: e.code === 'WATCH_LIMIT' ? 'ENOSPC' : 'EMFILE',
        path: this.root,
        message: `${e.message}; polling every ${this.pollEvery()} instead`,
        ...(e.hint ? { hint: e.hint } : {}),
        health: { kind: 'fallback', scope: 'root', cause: limitCause(e) },
      });
      return this.startPoll(`native watching cannot start: ${why}`);
    }
    for (const p of this.opts.pollSubtrees?.paths ?? []) {
      const r = await this.extras.add(p, this.opts.pollSubtrees!.reason);
      ready = { ...ready, dirs: ready.dirs + r.dirs };
    }
    const n = this.opts.pollSubtrees?.paths.length ?? 0;
    if (n > 0) ready = { ...ready, reason: `${ready.reason}; ${n} subtree${n === 1 ? '' : 's'} polled: ${this.opts.pollSubtrees!.reason}` };
    if (forced) return ready;
    // auto: poll the poll-type mounts inside the tree (the native scan does not descend them).
    for (const { p, m } of this.extras.pollTypeMounts(realRoot, mounts)) {
      const r = await this.extras.add(p, `${m.fsType} mount: ${classifyFs(m.fsType).reason}`);
      ready = { ...ready, dirs: ready.dirs + r.dirs, reason: `${ready.reason}; polling ./${path.relative(this.root, p)} (${m.fsType})` };
    }
    return ready;
  }

  private startNative(): Promise<WatcherReady> {
    const forced = this.s.backend === 'native';
    const w: NativeWatcher = new NativeWatcher({
      ...this.base(),
      ...this.opts.native,
      descendPollMounts: forced,
      ...(this.opts.pollSubtrees ? { pollDirs: this.opts.pollSubtrees.paths } : {}),
      supervised: this.opts.supervised ?? false,
      ...(forced ? { reason: 'watch.backend is "native"' } : {}),
      onFailure: (err) => {
        this.serial(() => this.fallBack(w, err));
      },
    });
    this.main = w;
    return w.ready;
  }

  private async startPoll(reason: string): Promise<WatcherReady> {
    if (this.closed) throw new HotwatchError('INTERNAL', 'the watcher was closed before it was ready');
    const w = new PollWatcher({ ...this.base(), reason });
    this.main = w;
    return w.ready;
  }

  /** Runs transitions one after the other (never two backends swapping at once). */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.transition.then(f, f);
    this.transition = next.catch(() => undefined);
    return next;
  }

  /** Native watching gave up after start: say so loudly, poll instead, then ask for a rescan. */
  private async fallBack(failed: Watcher, err: HotwatchError): Promise<void> {
    if (this.closed || this.main !== failed) return;
    const cause: DeafCause = limitCause(err) ?? (err.code === 'WATCHER_HUNG' ? 'heartbeat-timeout' : 'backend-error');
    this.opts.onNotice({
      level: 'error',
      code: err.code === 'WATCH_LIMIT' ? 'ENOSPC' : err.code === 'INSTANCE_LIMIT' ? 'EMFILE' : 'WATCHER_FAILED',
      path: this.root,
      message: `${err.message}; falling back to polling every ${this.pollEvery()}`,
      ...(err.hint ? { hint: err.hint } : {}),
      health: { kind: 'deaf', scope: 'watcher', cause, selfHealing: true }, // the fallback follows by itself
    });
    await this.toPoll(failed, `native watching failed: ${err.code}`, cause, err.hint);
  }

  private async toPoll(failed: Watcher | undefined, reason: string, cause: DeafCause | undefined, hint?: string): Promise<WatcherReady> {
    await failed?.close();
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
      this.rescan(`fell back to polling (${reason})`);
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
  }

  backend(): BackendName | undefined {
    return this.main instanceof NativeWatcher ? 'native' : this.main instanceof PollWatcher ? 'poll' : undefined;
  }

  native(): NativeWatcher | undefined {
    return this.main instanceof NativeWatcher ? this.main : undefined;
  }

  rearm(timeoutMs: number): Promise<void> {
    return this.serial(async () => {
      const n = this.native();
      if (n) return n.rearmNow(timeoutMs);
      const old = this.main;
      await old?.close();
      if (this.closed) return;
      await bounded(() => this.startPoll(old instanceof PollWatcher ? 'polling again after a loss' : 'polling'), { what: 'starting to poll', timeoutMs });
    });
  }

  rearmPath(p: string, mounts: MountEntry[], timeoutMs: number): Promise<void> {
    return this.serial(async () => {
      const n = this.native();
      if (!n) {
        await this.main?.close();
        if (!this.closed) await bounded(() => this.startPoll('polling again after a mount change'), { what: 'starting to poll', timeoutMs });
        return;
      }
      await n.rearmPath(p, mounts, timeoutMs);
      const budgetPolled = this.opts.pollSubtrees?.paths.includes(p) ?? false; // stays polled whatever is mounted there
      if (this.s.backend === 'auto' && !budgetPolled) await this.extras.sync(p, mounts);
    });
  }

  fallBackToPoll(reason: string, cause: DeafCause | undefined): Promise<WatcherReady> {
    return this.serial(() => this.toPoll(this.native(), reason, cause));
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
    return this.serial(async () => void (await this.extras.add(p, reason)));
  }

  unpollPath(p: string): Promise<void> {
    return this.serial(() => this.extras.remove(p));
  }

  /** The native backend's delivery barrier (see Watcher.sync); nothing to wait for when polling. */
  sync(timeoutMs: number): Promise<void> {
    return this.native()?.sync(timeoutMs) ?? Promise.resolve();
  }

  /** The main backend's counters plus the polled mounts' directories. */
  stats(): WatcherStats | undefined {
    const main = this.main?.stats?.();
    if (!main) return undefined;
    return { ...main, dirs: main.dirs + this.extras.dirs() };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await this.transition.catch(() => undefined);
      await Promise.all([this.main?.close(), this.extras.closeAll()]);
    })();
    return this.closing;
  }
}
