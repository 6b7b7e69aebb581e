/**
 * The watchdog: hotwatch never loses watches in silence (issue 3). It wraps createWatcher and
 *   - before arming: counts the tree against the inotify budget (watch.budget) and polls or refuses;
 *   - each tick (half the interval): sentinel round trips per root and per distinct mount
 *     (sentinels.ts), a mountinfo re-read (mount-watch.ts), the snapshot kept current;
 *   - maps the backend's own detections (root replaced, hung thread, coverage shortfall, limits, storms)
 *     and its own into contract lines (health-log.ts) and recovery (policy.ts, actions.ts).
 * The backend's coverage audit runs on `auditInterval` and after bursts of new directories.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WatchdogSettings, WatchSettings } from '../../config/settings.js';
import { formatDuration } from '../../config/duration.js';
import type { Logger } from '../../log/logger.js';
import type { WatchEvent } from '../../pipeline/events.js';
import { judgeBudget } from '../budget/gate.js';
import { plannedPolling } from '../backend-plan.js';
import { createWatcher, type CreateWatcherOptions, type WatchControl } from '../backend.js';
import { FAULTS_ENV, parseFaults } from './faults.js';
import { createFilter } from '../tree/filter.js';
import type { DeafCause } from '../types.js';
import { HealthLog } from './health-log.js';
import { classifyFs, readMounts } from '../../os/mounts.js';
import { MountWatch, type MountChange } from './mount-watch.js';
import { Recovery } from './policy.js';
import { scanTree } from '../tree/scan.js';
import { Sentinels } from './sentinel-files.js';
import { Snapshot } from './snapshot.js';
import type { Watcher, WatcherReady, WatchNotice } from '../types.js';
import { scheduleFaults } from './fire-faults.js';
import { RecoveryRunner } from './actions.js';
import { SentinelGuard } from './sentinels.js';

export interface WatchdogOptions {
  settings: WatchSettings;
  watchdog: WatchdogSettings;
  onEvent: (ev: WatchEvent) => void;
  log: Logger;
  signal: AbortSignal;
  /** Where HOTWATCH_TEST_FAULTS is read (default process.env). */
  env?: Record<string, string | undefined>;
  /** Knobs of the native backend (tests). */
  native?: CreateWatcherOptions['native'];
}

const SCAN_TIMEOUT_MS = 120_000;

/** The watcher, guarded by the watchdog unless `watchdog.enabled` is false. */
export function createWatchdog(o: WatchdogOptions): Watcher {
  if (o.watchdog.enabled) return new Watchdog(o);
  const hl = new HealthLog(o.log);
  const w = createWatcher({ settings: o.settings, onEvent: o.onEvent, onNotice: (n) => hl.notice(n), signal: o.signal, ...(o.native ? { native: o.native } : {}) });
  scheduleFaults(parseFaults((o.env ?? process.env)[FAULTS_ENV]), w, hl, o.signal);
  return w;
}

class Watchdog implements Watcher {
  readonly ready: Promise<WatcherReady>;
  private watcher: WatchControl | undefined;
  private readonly hl: HealthLog;
  private readonly root: string;
  private readonly snapshot: Snapshot;
  private readonly sentinels = new Sentinels();
  private readonly guard: SentinelGuard;
  private readonly recovery: Recovery;
  private runner: RecoveryRunner | undefined;
  private mountWatch: MountWatch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastTick = performance.now();
  private ticking = false;
  private readonly startedEpoch = Date.now();
  private rearmFailsLeft = 0;
  private readonly ac = new AbortController();
  private closing: Promise<void> | undefined;
  private readonly onAbort = (): void => void this.close();

  constructor(private readonly o: WatchdogOptions) {
    this.hl = new HealthLog(o.log);
    this.root = path.resolve(o.settings.root);
    this.snapshot = new Snapshot(o.settings);
    this.recovery = new Recovery({ intervalMs: o.watchdog.intervalMs, auditIntervalMs: o.watchdog.auditIntervalMs, maxAttempts: 3 });
    this.guard = new SentinelGuard({
      root: this.root,
      settings: o.settings,
      watchdog: o.watchdog,
      sentinels: this.sentinels,
      recovery: this.recovery,
      hl: this.hl,
      watcher: () => this.watcher,
      lose: (key, scope, cause, detail) => this.lose(key, scope, cause, detail),
      signal: this.ac.signal,
    });
    o.signal.addEventListener('abort', this.onAbort, { once: true });
    this.ready = this.start();
    this.ready.catch(() => undefined); // surfaced through `ready`
  }

  stats() {
    return this.watcher?.stats?.();
  }

  sync(timeoutMs: number): Promise<void> {
    return this.watcher?.sync?.(timeoutMs) ?? Promise.resolve();
  }

  knownFiles(limit: number): string[] | undefined {
    return this.snapshot.size > 0 ? this.snapshot.shallowest(limit) : undefined;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.ac.abort(new Error('the watchdog was closed'));
      this.o.signal.removeEventListener('abort', this.onAbort);
      if (this.timer) clearInterval(this.timer);
      await this.watcher?.close();
      this.sentinels.close();
      if (this.guard.dir) removeIfEmpty(this.guard.dir, this.o.log);
    })();
    return this.closing;
  }

  private async start(): Promise<WatcherReady> {
    const faults = parseFaults((this.o.env ?? process.env)[FAULTS_ENV]);
    this.rearmFailsLeft = faults?.rearmFails ?? 0;
    const s = this.o.settings;
    const scan = await scanTree(s, { signal: AbortSignal.any([this.ac.signal, AbortSignal.timeout(SCAN_TIMEOUT_MS)]), files: true });
    this.snapshot.seed(scan.files);
    const sentinelDir = this.guard.prepare() ? 1 : 0;
    const every = formatDuration(s.pollIntervalMs);
    const verdict = judgeBudget(scan.dirs.length + sentinelDir, {
      planned: plannedPolling(s, readMounts()),
      overBudget: this.o.watchdog.overBudget,
      pollEvery: every,
      tree: { root: this.root, dirs: scan.dirs },
    });
    this.hl.budget(verdict.budget, verdict.outcome);
    if (verdict.refusal) throw verdict.refusal;
    const { pollReason, short, split } = verdict;
    const w = createWatcher({
      settings: s,
      onEvent: (ev) => this.event(ev),
      onNotice: (n) => this.notice(n),
      onSentinel: (p) => this.sentinels.seen(p),
      signal: this.ac.signal,
      supervised: true,
      ...(pollReason ? { pollReason } : {}),
      ...(split ? { pollSubtrees: { paths: split.polled.map((p) => p.path), reason: split.reason } } : {}),
      native: {
        ...this.o.native,
        tuning: { auditMinMs: this.o.watchdog.auditIntervalMs, ...this.o.native?.tuning },
        ...(faults?.dropEventsNamed ? { testHooks: { ...this.o.native?.testHooks, dropEventsNamed: faults.dropEventsNamed } } : {}),
      },
    });
    this.watcher = w;
    this.runner = new RecoveryRunner({
      root: this.root,
      settings: s,
      watchdog: this.o.watchdog,
      watcher: w,
      recovery: this.recovery,
      sentinels: this.sentinels,
      snapshot: this.snapshot,
      hl: this.hl,
      onEvent: (ev) => this.event(ev),
      signal: this.ac.signal,
      mounts: () => this.mountWatch?.mounts ?? readMounts(),
      armRootSentinel: () => this.guard.armRoot(),
      injectedFailure: () => this.rearmFailsLeft > 0 && this.rearmFailsLeft-- > 0,
    });
    const ready = await w.ready;
    if (pollReason) {
      this.hl.fallback({ scope: 'root', path: this.root, reason: pollReason, loss: true, msg: `polling the whole tree (${ready.dirs} directories) every ${every}: ${pollReason}` });
      this.recovery.fellBack(this.root, performance.now(), { scope: 'root', path: this.root, cause: short === 'instances' ? 'instance-limit' : 'watch-limit' });
    }
    // The overflow part: polled for as long as this run lasts (planned at start, not a loss: no re-probe).
    if (split && w.backend() === 'native') {
      const paths = split.polled.map((p) => p.path);
      this.hl.fallback({ scope: 'dir', path: paths[0]!, paths, polledDirs: split.polledDirs, nativeDirs: split.nativeDirs, reason: split.reason, hint: split.hint, loss: false, msg: split.message });
    }
    let realRoot = this.root;
    try {
      realRoot = fs.realpathSync(this.root);
    } catch {
      // gone already: the backend says so
    }
    this.mountWatch = new MountWatch(this.root, realRoot);
    if (this.mountWatch.unavailable && process.platform === 'linux') {
      this.hl.warn(
        { event: 'watch.notice', code: 'MOUNTINFO_UNREADABLE', path: this.root },
        'cannot read /proc/self/mountinfo: a mount placed over a watched directory will not be noticed, and special filesystems (tmpfs, 9p, NFS) are not recognised; mount /proc in this container',
      );
    }
    if (w.backend() === 'native') {
      await this.guard.armRoot();
      this.guard.addMounts(realRoot, this.mountWatch.mounts);
    }
    this.timer = setInterval(() => void this.tick(), this.guard.tickMs());
    this.timer.unref();
    scheduleFaults(faults, w, this.hl, this.ac.signal);
    return ready;
  }

  private event(ev: WatchEvent): void {
    if (ev.kind === 'change') this.snapshot.note(ev.path);
    this.o.onEvent(ev);
  }

  /** THE mapping of backend notices to contract lines and recovery. */
  private notice(n: WatchNotice): void {
    const h = n.health;
    if (!h) return this.hl.notice(n);
    const p = n.path ?? this.root;
    const key = h.scope === 'mount' ? p : this.root;
    const now = performance.now();
    if (h.kind === 'fallback') {
      const loss = h.cause !== undefined;
      const probe = formatDuration(Math.max(this.o.watchdog.intervalMs, this.o.watchdog.auditIntervalMs));
      const msg = loss ? `${n.message}; native watching is retried every ${probe}` : n.message;
      this.hl.fallback({ scope: h.scope, path: p, reason: n.message, hint: n.hint, loss, msg });
      if (!loss) return;
      // Our own re-arm that gave up diffs by itself; a backend that fell back on its own (a limit reached
      // after start) dropped events from the loss until polling began: the snapshot diff finds them.
      const ours = this.recovery.get(key)?.busy === true;
      this.recovery.fellBack(key, now, { scope: h.scope, path: p, cause: h.cause });
      if (!ours) void this.runner?.caughtUpAfterFallback(key);
      return;
    }
    if (h.kind === 'rearmed') {
      if (this.recovery.get(key)?.selfHealing) void this.runner?.finish(key, h.cause);
      else this.o.log.debug({ event: 'watch.notice', code: n.code, path: p }, n.message);
      return;
    }
    if (h.scope === 'dir') return this.hl.deaf({ scope: 'dir', path: p, cause: h.cause, detail: n.message, hint: n.hint });
    const watermark = this.watermark(key, h.cause);
    const verdict = this.recovery.lost(key, { scope: h.scope, path: p, cause: h.cause, selfHealing: h.selfHealing, watermark }, now);
    if (verdict !== 'new') return void this.o.log.debug({ event: 'watch.notice', code: n.code, path: p }, n.message);
    this.hl.deaf({ scope: h.scope, path: p, cause: h.cause, detail: h.selfHealing ? n.message : `${n.message}; re-arming`, hint: n.hint, sinceMs: Date.now() - watermark });
    if (!h.selfHealing) void this.runner?.run(key, 'rearm'); // at once: recovery within one more interval
  }

  /**
   * Epoch ms the scope was last proven live: the snapshot diff reports what changed since. A sentinel
   * proves its own directory's watch; watches lost one by one (coverage, limits) may have been lost any
   * time since the last good audit, so those go back two audit intervals.
   */
  private watermark(key: string, cause?: DeafCause): number {
    const sentinel = this.sentinels.lastOkEpoch(key) ?? this.sentinels.lastOkEpoch(this.root) ?? this.startedEpoch;
    if (cause !== 'coverage-shortfall' && cause !== 'watch-limit') return sentinel;
    return Math.max(this.startedEpoch, Math.min(sentinel, Date.now() - 2 * this.o.watchdog.auditIntervalMs));
  }

  private async tick(): Promise<void> {
    const w = this.watcher;
    if (!w || this.ticking || this.ac.signal.aborted) return;
    const now = performance.now();
    const gap = now - this.lastTick;
    this.lastTick = now;
    // This process was stopped or starved (SIGSTOP, suspend): no round trip can be judged.
    if (gap > Math.max(this.guard.tickMs() * 4, 1500)) return this.sentinels.voidPending();
    this.ticking = true;
    try {
      for (const c of this.mountWatch?.check() ?? []) this.mountChanged(c);
      if (w.backend() === 'native') this.guard.judge(now);
      await this.snapshot.settle(this.ac.signal);
      for (const d of this.recovery.due(now)) void this.runner?.run(d.key, d.action);
      this.hl.tick({ sentinels: this.sentinels.targets().length, snapshot: this.snapshot.size, scopes: this.recovery.keys().length });
    } catch (e) {
      if (!this.ac.signal.aborted) this.hl.warn({ event: 'watch.notice', code: 'WATCHDOG_ERROR', err: e }, `the watchdog's check failed (${String(e)}); it runs again at the next tick`);
    } finally {
      this.ticking = false;
    }
  }

  /** A loss found by the watchdog itself: one watch.deaf line, then a re-arm at once. */
  private lose(key: string, scope: 'root' | 'mount' | 'watcher', cause: DeafCause, detail: string): void {
    const watermark = cause === 'mount-changed' ? undefined : this.watermark(key, cause);
    const sinceMs = watermark === undefined ? undefined : Date.now() - watermark;
    if (this.recovery.lost(key, { scope, path: key, cause, selfHealing: false, watermark }, performance.now()) !== 'new') return;
    this.hl.deaf({ scope, path: key, cause, detail, sinceMs });
    void this.runner?.run(key, 'rearm');
  }

  private mountChanged(c: MountChange): void {
    if (createFilter(this.o.settings).isExcludedDir(c.path)) return;
    const what = c.kind === 'removed' ? 'a mount was removed from' : `a ${c.entry?.fsType ?? ''} mount was placed over`;
    this.sentinels.remove(c.path);
    this.recovery.forget(c.path);
    this.lose(c.path, 'mount', 'mount-changed', `${what} the watched directory ${c.path}: what is watched there is no longer what is visible; re-arming it and rescanning it`);
    if (c.entry && classifyFs(c.entry.fsType).events === 'native' && this.watcher?.backend() === 'native') {
      this.sentinels.add({ scope: 'mount', path: c.path, dir: c.path });
    }
  }
}

/** The sentinel directory, on exit: removed when empty (a file of someone else's there is left alone). */
function removeIfEmpty(dir: string, log: Logger): void {
  try {
    fs.rmdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST') log.warn({ event: 'watch.notice', code: 'SENTINEL_DIR', path: dir }, `could not remove ${dir} on exit: ${code ?? String(e)}`);
  }
}
