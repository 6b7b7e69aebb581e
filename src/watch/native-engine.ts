/**
 * The native watcher's logic, run inside the worker thread: one fs.watch per directory, raw events
 * coalesced and resolved with lstat, new directories armed then read (their files reported), vanished
 * or replaced directories dropped, the root checked for deletion/replacement, and kernel-queue overflow
 * inferred (storm-detector.ts): each storm gives ONE rescan, then a reconcile of every watched dir.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WatchSettings } from '../config/settings.js';
import { HotwatchError, errnoCode } from '../errors.js';
import { DirWatches } from './dir-watches.js';
import { inotifyFdsOfSelf, watchesOfFd } from './inotify-fds.js';
import type { MountEntry } from './mounts.js';
import type { NativeTuning, WorkerStats } from './protocol.js';
import { StormDetector } from './storm-detector.js';
import { TreeArmer } from './tree-armer.js';
import { createTreeRules, type TreeRules } from './tree-rules.js';
import type { WatchNotice } from './types.js';

export const DEFAULT_TUNING: NativeTuning = {
  coalesceMs: 5,
  stormEvents: 5000,
  stormWindowMs: 1000,
  stallMs: 1500,
  tickMs: 250,
  auditMinMs: 5000,
};

export interface EngineSink {
  events(paths: string[]): void;
  rescan(reason: string): void;
  notice(n: WatchNotice): void;
  /** Watching cannot go on (limit reached): the engine has stopped. */
  fatal(e: HotwatchError): void;
}

const POST_CHUNK = 2000;
const ROOT_CHECK_MS = 1000;
const yieldNow = () => new Promise<void>((r) => setImmediate(r));

export class NativeEngine {
  private readonly root: string;
  private readonly rules: TreeRules;
  private readonly watches: DirWatches;
  private readonly armer: TreeArmer;
  private readonly storms: StormDetector;
  private pending = new Set<string>();
  private dirtyDirs = new Set<string>();
  private needFullReconcile = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing = false;
  private rawEvents = 0;
  private lastRootCheck = 0;
  private rootGone = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private ownFd: number | undefined;
  private noticesSent = 0;
  private lastAuditAt = Number.NEGATIVE_INFINITY;
  private auditCostMs = 0;
  private audited: { inodes: number; watches: number | undefined } = { inodes: 0, watches: undefined };
  private stopped = false;

  constructor(
    s: WatchSettings,
    private readonly tuning: NativeTuning,
    private readonly sink: EngineSink,
    opts: { descendPollMounts?: boolean; mounts?: MountEntry[] | undefined } = {},
  ) {
    this.root = path.resolve(s.root);
    this.rules = createTreeRules(s, {
      pollMounts: opts.descendPollMounts ? 'warn' : 'list',
      ...(opts.mounts ? { mounts: opts.mounts } : {}),
    });
    this.watches = new DirWatches(
      (dir, name) => this.raw(dir, name),
      (dir, err) => this.handleError(dir, err),
    );
    this.armer = new TreeArmer(s, this.root, this.rules, this.watches, {
      notice: (n) => sink.notice(n),
      fatal: (e) => sink.fatal(e),
      stop: () => this.stop(),
      stopped: () => this.stopped,
      breathe: async () => {
        this.postNotices();
        await yieldNow();
      },
    });
    this.storms = new StormDetector(tuning, performance.now());
  }

  /** Arms the whole tree; false when a fatal error stopped it (already reported through the sink). */
  async start(): Promise<boolean> {
    const before = inotifyFdsOfSelf();
    const ok = await this.armer.armTree(this.root, undefined);
    this.postNotices();
    if (!ok) return false;
    if (!this.watches.has(this.root)) {
      let why = 'not a directory';
      try {
        fs.readdirSync(this.root);
      } catch (e) {
        why = errnoCode(e) ?? String(e);
      }
      this.stop();
      this.sink.fatal(
        new HotwatchError('ROOT_UNREADABLE', `cannot watch ${this.root}: ${why}`, {
          hint: 'check the root (--root or `root:` in watcher.config.yaml) exists and is a readable directory',
        }),
      );
      return false;
    }
    const after = inotifyFdsOfSelf();
    const mine = before && after ? [...after].filter((fd) => !before.has(fd)) : [];
    if (mine.length === 1) this.ownFd = mine[0];
    this.tickTimer = setInterval(() => this.tick(), this.tuning.tickMs);
    return true;
  }

  /** Counters; the kernel's watch count is re-read when an audit is due (or `audit` forces it). */
  stats(audit = false): WorkerStats {
    const now = performance.now();
    const fresh = audit || now - this.lastAuditAt >= Math.max(this.tuning.auditMinMs, this.auditCostMs * 1000);
    if (fresh) {
      this.audited = {
        inodes: this.watches.distinctInodes(),
        watches: this.ownFd === undefined ? undefined : watchesOfFd(this.ownFd),
      };
      this.auditCostMs = performance.now() - now;
      this.lastAuditAt = now;
    }
    return { dirs: this.watches.size, ...this.audited, watchesFresh: fresh, rawEvents: this.rawEvents };
  }

  /** True when no event is waiting to be resolved (the stats are then a consistent picture). */
  idle(): boolean {
    return !this.flushing && this.pending.size === 0 && this.dirtyDirs.size === 0;
  }

  /** Test-only fault: every handle closed underneath, the engine still believes it is armed. */
  closeHandlesSilently(): void {
    this.watches.closeHandlesSilently();
  }

  stop(): void {
    this.stopped = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.watches.closeAll();
  }

  private raw(dir: string, name: string | null): void {
    if (this.stopped) return;
    this.rawEvents++;
    const storm = this.storms.raw();
    if (storm) this.sink.rescan(storm);
    if (name === null) this.dirtyDirs.add(dir);
    else this.pending.add(path.join(dir, name));
    this.scheduleFlush();
  }

  private tick(): void {
    const now = performance.now();
    const v = this.storms.tick(now);
    if (v.rescan) this.sink.rescan(v.rescan);
    if (v.reconcile) {
      this.needFullReconcile = true;
      this.scheduleFlush();
    }
    if (now - this.lastRootCheck >= ROOT_CHECK_MS) {
      this.lastRootCheck = now;
      this.checkRoot();
    }
  }

  /** The root deleted, or replaced by another directory (rm -rf + mkdir): re-arm it when it is back. */
  private checkRoot(): void {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(this.root);
    } catch {
      st = undefined;
    }
    const cur = this.watches.inodeOf(this.root);
    if (st?.isDirectory() && cur && cur.dev === st.dev && cur.ino === st.ino) return;
    if (!st?.isDirectory()) {
      if (this.rootGone) return;
      this.rootGone = true;
      this.watches.closeAll();
      this.sink.notice({
        level: 'error',
        code: 'ROOT_GONE',
        path: this.root,
        message: `the watched root ${this.root} was deleted: nothing is watched until it is back`,
        hint: 'recreate the directory (hotwatch re-arms by itself) or restart hotwatch with the right --root',
      });
      return;
    }
    const wasGone = this.rootGone;
    this.rootGone = false;
    this.watches.closeAll();
    this.sink.notice({
      level: 'warn',
      code: 'ROOT_REPLACED',
      path: this.root,
      message: `the watched root ${this.root} ${wasGone ? 'is back' : 'was replaced by another directory'}: re-arming every watch`,
    });
    this.pending.add(this.root);
    this.sink.rescan(`the watched root ${this.root} was replaced`);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.flushing || this.stopped) return;
    this.flushTimer = setTimeout(() => void this.flush(), this.tuning.coalesceMs);
  }

  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    this.flushing = true;
    const out: string[] = [];
    try {
      while (!this.stopped && (this.pending.size > 0 || this.dirtyDirs.size > 0 || this.needFullReconcile)) {
        const batch = this.pending;
        this.pending = new Set();
        for (const p of batch) {
          await this.resolve(p, out);
          if (out.length >= POST_CHUNK) this.post(out.splice(0));
        }
        if (this.needFullReconcile) {
          this.needFullReconcile = false;
          await this.reconcileAll(out);
        }
        const dirty = this.dirtyDirs;
        this.dirtyDirs = new Set();
        for (const d of dirty) if (!(await this.armer.reconcileDir(d, out))) this.pending.add(d);
      }
      this.post(out);
    } catch (e) {
      this.sink.notice({
        level: 'error',
        code: 'WATCH_INTERNAL',
        message: `the native watcher failed while resolving events (${String(e)}): a rescan follows`,
      });
      this.sink.rescan(`native watcher error: ${String(e)}`);
    } finally {
      this.flushing = false;
      this.postNotices();
      if (this.pending.size > 0 || this.dirtyDirs.size > 0 || this.needFullReconcile) this.scheduleFlush();
    }
  }

  private post(paths: string[]): void {
    if (paths.length > 0) this.sink.events([...new Set(paths)]);
  }

  private postNotices(): void {
    while (this.noticesSent < this.rules.notices.length) this.sink.notice(this.rules.notices[this.noticesSent++]!);
  }

  /** One path that had an event: a new dir is armed, a vanished dir dropped, a relevant file reported. */
  private async resolve(p: string, out: string[]): Promise<void> {
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(p);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) {
      const cur = this.watches.inodeOf(p);
      if (cur && cur.dev === st.dev && cur.ino === st.ino) return;
      if (cur) {
        this.watches.unwatchSubtree(p); // replaced under the same name
        out.push(p);
      }
      if (p === this.root || this.watches.has(path.dirname(p))) await this.armer.armTree(p, out);
      return;
    }
    if (this.watches.hasSubtree(p)) {
      this.watches.unwatchSubtree(p);
      out.push(p);
    }
    if (st?.isSymbolicLink()) this.rules.symlink(p);
    if (this.rules.filter.isRelevantFile(p)) out.push(p);
  }

  /** After a storm: every watched dir re-checked (vanished, replaced) and re-read for new subdirs. */
  private async reconcileAll(out: string[]): Promise<void> {
    let n = 0;
    for (const d of this.watches.dirs()) {
      if (!this.watches.has(d)) continue; // dropped with its parent meanwhile
      await this.resolve(d, out);
      if (!(await this.armer.reconcileDir(d, out))) await this.resolve(d, out);
      if (++n % 500 === 0) await yieldNow();
    }
  }

  private handleError(dir: string, err: Error): void {
    const code = errnoCode(err);
    this.sink.notice({
      level: 'warn',
      code: 'WATCH_ERROR',
      path: dir,
      message: `the watch on ${dir} failed (${code ?? err.message}): re-arming it`,
    });
    this.watches.unwatchSubtree(dir);
    this.pending.add(dir);
    this.sink.rescan(`watch error on ${dir}: ${code ?? err.message}`);
    this.scheduleFlush();
  }
}
