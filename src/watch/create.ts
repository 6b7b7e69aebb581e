/**
 * createWatcher: picks the backend and owns the fallback, so the caller sees one Watcher.
 *   - watch.backend "poll" → polling everywhere;
 *   - "auto": a root on a poll-type filesystem (9p, NFS, fuse...) is polled from the start; otherwise the
 *     native backend, plus a polling watcher for each poll-type mount inside the tree;
 *   - "native": the native backend everywhere (poll-type mounts included, with a warning);
 *   - the native backend failing to start on a kernel limit (ENOSPC watches, EMFILE instances) → a loud
 *     notice with the fix and polling instead: never partial coverage in silence. Giving up later
 *     (limit reached by new dirs, repeated hangs) → the same, plus a RescanEvent once polling is ready.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HotwatchError, isHotwatchError } from '../errors.js';
import { classifyFs, mountContaining, mountsUnder, readMounts, type MountEntry } from './mounts.js';
import { NativeWatcher, type NativeWatcherOptions } from './native.js';
import { PollWatcher } from './poll.js';
import { createFilter } from './filter.js';
import type { Watcher, WatcherOptions, WatcherReady, WatcherStats } from './types.js';

export interface CreateWatcherOptions extends WatcherOptions {
  /** Knobs of the native backend (tests: heartbeat deadlines, fault injection). */
  native?: Pick<NativeWatcherOptions, 'tuning' | 'heartbeat' | 'testHooks'>;
  /** Mount table (default /proc/self/mountinfo). */
  mounts?: MountEntry[];
}

const FALLBACK_CODES = new Set(['WATCH_LIMIT', 'INSTANCE_LIMIT']);

export function createWatcher(opts: CreateWatcherOptions): Watcher {
  return new AutoWatcher(opts);
}

class AutoWatcher implements Watcher {
  readonly ready: Promise<WatcherReady>;
  private main: Watcher | undefined;
  private extras: Watcher[] = [];
  private closed = false;
  private closing: Promise<void> | undefined;
  private transition: Promise<unknown> = Promise.resolve();
  private readonly s: CreateWatcherOptions['settings'];

  constructor(private readonly opts: CreateWatcherOptions) {
    this.s = opts.settings;
    this.ready = this.start();
    this.ready.catch(() => undefined); // surfaced through `ready`
  }

  /** Only the base options: never leak unrelated keys of the caller's object into a backend. */
  private base(): WatcherOptions & { mounts?: MountEntry[] } {
    const { settings, onEvent, onNotice, signal, mounts } = this.opts;
    return { settings, onEvent, onNotice, signal, ...(mounts ? { mounts } : {}) };
  }

  private pollEvery(): string {
    const ms = this.s.pollIntervalMs;
    return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
  }

  private async start(): Promise<WatcherReady> {
    const root = path.resolve(this.s.root);
    if (this.s.backend === 'poll') return this.startPoll('watch.backend is "poll"');
    let realRoot = root;
    try {
      realRoot = fs.realpathSync(root);
    } catch {
      // the backend reports an unreadable root with its own message
    }
    const mounts = this.opts.mounts ?? readMounts();
    const rootMount = mountContaining(realRoot, mounts);
    const rootClass = rootMount ? classifyFs(rootMount.fsType) : undefined;
    if (this.s.backend === 'auto' && rootMount && rootClass?.events === 'poll') {
      return this.startPoll(`root is on ${rootMount.fsType}: inotify never sees changes made on the other side of this mount`);
    }
    const forced = this.s.backend === 'native';
    let ready: WatcherReady;
    try {
      ready = await this.startNative(forced);
    } catch (e) {
      if (!isHotwatchError(e) || !FALLBACK_CODES.has(e.code) || this.closed) throw e;
      this.opts.onNotice({
        level: 'error',
        code: e.code === 'WATCH_LIMIT' ? 'ENOSPC' : 'EMFILE',
        message: `${e.message}; polling every ${this.pollEvery()} instead`,
        ...(e.hint ? { hint: e.hint } : {}),
      });
      return this.startPoll(`native watching cannot start: ${e.code === 'WATCH_LIMIT' ? 'inotify watch limit reached' : 'inotify instance limit reached'}`);
    }
    if (forced) return ready;
    // auto: poll the poll-type mounts inside the tree (the native scan does not descend them).
    const filter = createFilter(this.s);
    const pollMounts = mountsUnder(realRoot, mounts)
      .filter((m) => m.mountPoint !== realRoot && classifyFs(m.fsType).events === 'poll')
      .map((m) => ({ m, p: path.join(root, path.relative(realRoot, m.mountPoint)) }))
      .filter(({ p }) => !filter.isExcludedDir(p));
    for (const { m, p } of pollMounts) {
      const w = new PollWatcher({ ...this.base(), paths: [p], reason: `${m.fsType} mount: ${classifyFs(m.fsType).reason}` });
      this.extras.push(w);
      const r = await w.ready;
      ready = { ...ready, dirs: ready.dirs + r.dirs, reason: `${ready.reason}; polling ./${path.relative(root, p)} (${m.fsType})` };
    }
    return ready;
  }

  private async startNative(forced: boolean): Promise<WatcherReady> {
    const w = new NativeWatcher({
      ...this.base(),
      ...this.opts.native,
      descendPollMounts: forced,
      reason: forced ? 'watch.backend is "native"' : 'one inotify watch per directory, in a worker thread with a heartbeat',
      onFailure: (err) => {
        this.transition = this.transition.then(() => this.fallBack(w, err));
      },
    });
    this.main = w;
    return w.ready;
  }

  private async startPoll(reason: string, paths?: string[]): Promise<WatcherReady> {
    if (this.closed) throw new HotwatchError('INTERNAL', 'the watcher was closed before it was ready');
    const w = new PollWatcher({ ...this.base(), reason, ...(paths ? { paths } : {}) });
    this.main = w;
    return w.ready;
  }

  /** Native watching gave up after start: say so loudly, poll instead, then ask for a rescan. */
  private async fallBack(failed: Watcher, err: HotwatchError): Promise<void> {
    if (this.closed || this.main !== failed) return;
    this.opts.onNotice({
      level: 'error',
      code: err.code === 'WATCH_LIMIT' ? 'ENOSPC' : err.code === 'INSTANCE_LIMIT' ? 'EMFILE' : err.code,
      message: `${err.message}; falling back to polling every ${this.pollEvery()}`,
      ...(err.hint ? { hint: err.hint } : {}),
    });
    await failed.close();
    try {
      const r = await this.startPoll(`native watching failed: ${err.code}`);
      this.opts.onNotice({ level: 'warn', code: 'FALLBACK_POLL', message: `now polling ${r.dirs} directories every ${this.pollEvery()}` });
      this.opts.onEvent({ kind: 'rescan', reason: `fell back to polling (${err.code})`, at: performance.now() });
    } catch (e) {
      if (this.closed) return;
      this.opts.onNotice({
        level: 'error',
        code: 'WATCH_STOPPED',
        message: `polling could not start either (${String(e)}): edits are NOT seen until hotwatch restarts`,
        hint: 'run `hotwatch doctor`',
      });
    }
  }

  /** The main backend's counters plus the polled mounts' directories. */
  stats(): WatcherStats | undefined {
    const main = this.main?.stats?.();
    if (!main) return undefined;
    const extra = this.extras.reduce((n, w) => n + (w.stats?.()?.dirs ?? 0), 0);
    return { ...main, dirs: main.dirs + extra };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await this.transition.catch(() => undefined);
      await Promise.all([this.main?.close(), ...this.extras.map((w) => w.close())]);
    })();
    return this.closing;
  }
}
