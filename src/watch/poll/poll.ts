/**
 * The polling backend: chokidar 5 with usePolling (stat polling, no inotify at all), for mounts that
 * never deliver inotify events (9p, NFS, fuse...) and where the watchdog falls back from native watching.
 * The same rules as the native backend: excluded trees and special mounts are never descended (chokidar's
 * `ignored` is consulted before it reads a dir), irrelevant files are not even polled, symlinks are not
 * followed. Emits the same events: a change per relevant file, and the path of a vanished directory.
 */
import path from 'node:path';
import type { Stats } from 'node:fs';
import type { FSWatcher } from 'chokidar';
import { HotwatchError } from '../../errors.js';
import type { MountEntry } from '../../os/mounts.js';
import { pollRound } from './poll-round.js';
import { settlePolling } from './settle.js';
import { createTreeRules, type TreeRules } from '../tree/rules.js';
import type { Watcher, WatcherOptions, WatcherReady, WatcherStats } from '../types.js';

/** Time for fs.watchFile's asynchronous baseline stats to land before the settling re-read. */
const SETTLE_MS = 50;

/** A loaded event loop fires a poll timer late: how much beyond two intervals an mtime is still a write's time. */
const MTIME_MARGIN_MS = 500;

export interface PollWatcherOptions extends WatcherOptions {
  /** Subtrees to poll (default: the root); filtering stays relative to settings.root. */
  paths?: string[];
  /** Why polling (WatcherReady.reason). */
  reason?: string;
  /** Mount table (default /proc/self/mountinfo): special mounts are skipped as in the native backend. */
  mounts?: MountEntry[];
  /** Longest wait for chokidar's initial scan (default 120 s). */
  readyTimeoutMs?: number;
}

export class PollWatcher implements Watcher {
  readonly ready: Promise<WatcherReady>;
  /** Set once chokidar is loaded (before `ready` resolves). */
  private fsw: FSWatcher | undefined;
  private readonly rules: TreeRules;
  private readonly paths: string[];
  private closing: Promise<void> | undefined;
  private readonly onAbort = () => void this.close();
  private timer: NodeJS.Timeout | undefined;
  private isReady = false;
  private noticesSent = 0;
  /** Rejects `ready` if still pending (a settled promise ignores it). */
  private settle: (e: unknown) => void = () => undefined;

  constructor(private readonly opts: PollWatcherOptions) {
    const started = performance.now();
    const s = opts.settings;
    const root = path.resolve(s.root);
    this.paths = (opts.paths ?? [root]).map((p) => path.resolve(p));
    this.rules = createTreeRules(s, { pollMounts: 'descend', ...(opts.mounts ? { mounts: opts.mounts } : {}) });
    this.ready = this.start(root, started, opts.readyTimeoutMs ?? 120_000);
    this.ready.catch(() => undefined); // surfaced through `ready` itself
    if (opts.signal.aborted) void this.close();
    else opts.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * chokidar is loaded here, when a tree is polled, not with the rest of `run`: most runs never poll
   * (0.8 MB of RSS, measured; README, Benchmark, "Memory").
   */
  private async start(root: string, started: number, timeoutMs: number): Promise<WatcherReady> {
    const { watch } = await import('chokidar');
    if (this.closing !== undefined) throw new HotwatchError('INTERNAL', 'the polling watcher was closed before it was ready');
    const s = this.opts.settings;
    const fsw = withoutChokidarEnv(() =>
      watch(this.paths, {
        usePolling: true,
        interval: s.pollIntervalMs,
        binaryInterval: s.pollIntervalMs,
        ignored: (p: string, st?: Stats) => this.ignored(root, p, st),
        ignoreInitial: true,
        followSymlinks: false,
        atomic: false,
        persistent: true,
        ignorePermissionErrors: false,
      }),
    );
    this.fsw = fsw;
    fsw.on('add', this.change).on('change', this.change).on('raw', this.passedOver);
    fsw.on('unlink', (p: string) => this.change(p)).on('unlinkDir', (p: string) => this.change(p));
    fsw.on('error', (err: unknown) => this.failed(`polling reported an error (${String(err)})`, `polling error: ${String(err)}`));
    return this.whenReady(fsw, started, timeoutMs);
  }

  stats(): WatcherStats | undefined {
    if (!this.isReady || !this.fsw) return undefined;
    const dirs = Object.keys(this.fsw.getWatched()).filter((d) => this.paths.some((p) => d === p || d.startsWith(p + path.sep))).length;
    return { backend: 'poll', dirs, watches: undefined };
  }

  /**
   * Resolves once every polled entry was stat'ed after the call and what that found was emitted (poll-round.ts),
   * at most three intervals plus 2 s later; at once when not polling yet or closing. Never rejects.
   */
  caughtUp(): Promise<void> {
    if (!this.isReady || !this.fsw || this.closing !== undefined) return Promise.resolve();
    const ms = this.opts.settings.pollIntervalMs;
    return pollRound(this.fsw, this.paths[0]!, ms, 3 * ms + 2000).catch(() => undefined);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.opts.signal.removeEventListener('abort', this.onAbort);
      this.settle(new HotwatchError('INTERNAL', 'the polling watcher was closed before it was ready'));
      await this.fsw?.close();
    })();
    return this.closing;
  }

  /**
   * A change found by a stat (chokidar passes it, but not for a removal): when the file was written is known
   * from its mtime, up to a poll interval before now (self-trigger.ts tells a checkout from a loop by it).
   * An mtime further back than a change can go unseen (two intervals and a margin) is not that write's time:
   * a file server's clock behind ours, a coarse mtime, a file moved in with its old one. Dated so, a loop's
   * writes would look older than the start that caused them and the loop would never be named: dropped.
   */
  private readonly change = (p: string, st?: Stats): void => {
    const at = performance.now();
    const ago = st && st.mtimeMs > 0 ? Date.now() - st.mtimeMs : 0;
    const trusted = ago > 0 && ago <= 2 * this.opts.settings.pollIntervalMs + MTIME_MARGIN_MS;
    this.opts.onEvent({ kind: 'change', path: p, at, ...(trusted ? { writtenAt: at - ago } : {}) });
  };

  /**
   * chokidar's polling reports a change only when the size differs or the mtime moved forward: a file
   * replaced by one of the same size and an older mtime (`cp -p`, `rsync -t`, `tar x` of another version,
   * a save after the clock stepped back) was never seen, in silence. Its stat watcher fires on any change
   * of ctime, mtime, size or inode (never on a read): what chokidar passes over is reported here. A ctime
   * alone (a chmod) goes on to the content check, which drops the same bytes.
   */
  private readonly passedOver = (event: string, p: string, details: unknown): void => {
    const { curr, prev } = (details ?? {}) as { curr?: Stats; prev?: Stats };
    if (event !== 'change' || !curr || !prev || typeof curr.isFile !== 'function' || !curr.isFile()) return;
    if (curr.mtimeMs === 0 || curr.size !== prev.size || curr.mtimeMs > prev.mtimeMs) return; // chokidar reports these
    this.change(p, curr);
  };

  /** chokidar's `ignored`, consulted before it reads a dir (first without stats): the same rules as the native backend. */
  private ignored(root: string, p: string, st: Stats | undefined): boolean {
    if (this.paths.includes(p) || p === root) return false;
    let skip: boolean;
    if (!st || st.isDirectory()) skip = !this.rules.descend(p);
    else if (st.isSymbolicLink()) {
      this.rules.symlink(p); // not followed; a link to a dir outside the root is reported once
      skip = !this.rules.filter.isRelevantFile(p);
    } else if (st.isFile()) skip = !this.rules.filter.isRelevantFile(p);
    else skip = true; // FIFO, socket, device
    this.postNotices();
    return skip;
  }

  private postNotices(): void {
    while (this.noticesSent < this.rules.notices.length) this.opts.onNotice(this.rules.notices[this.noticesSent++]!);
  }

  /** Something went wrong under chokidar: said, and everything rebuilt (a change may have been missed). */
  private failed(message: string, reason: string): void {
    this.opts.onNotice({ level: 'warn', code: 'WATCH_ERROR', message: `${message}: a rescan follows` });
    this.opts.onEvent({ kind: 'rescan', reason, at: performance.now() });
  }

  /** Ready once chokidar's first read is done and what it missed is reported (bounded by `timeoutMs`). */
  private whenReady(fsw: FSWatcher, started: number, timeoutMs: number): Promise<WatcherReady> {
    return new Promise<WatcherReady>((resolve, reject) => {
      this.settle = (e) => {
        clearTimeout(this.timer);
        reject(e);
      };
      this.timer = setTimeout(() => {
        reject(
          new HotwatchError('INTERNAL', `polling ${this.paths.join(', ')} was not ready after ${timeoutMs}ms`, {
            hint: 'exclude large directories (watch.excludeDirs) or check the mount is responsive',
            exitCode: 1,
          }),
        );
      }, timeoutMs);
      fsw.once('ready', () => {
        // Let fs.watchFile take its baselines, then report what chokidar's first read missed.
        setTimeout(() => {
          settlePolling(fsw, this.paths, this.rules, this.change)
            .catch((e: unknown) =>
              this.failed(`polling start-up re-read failed (${String(e)})`, `polling start-up re-read failed: ${String(e)}`),
            )
            .finally(() => {
              clearTimeout(this.timer);
              this.postNotices();
              this.isReady = true;
              resolve({
                backend: 'poll',
                reason: this.opts.reason ?? 'watch.backend is "poll"',
                dirs: this.stats()?.dirs ?? 0,
                watches: undefined,
                readyMs: Math.round(performance.now() - started),
              });
            });
        }, SETTLE_MS);
      });
    });
  }
}

/**
 * chokidar lets CHOKIDAR_USEPOLLING and CHOKIDAR_INTERVAL override its options (read once, in the
 * constructor): `CHOKIDAR_USEPOLLING=false`, set for some other tool, would silently turn this polling
 * backend, the one used where inotify cannot deliver, back into fs.watch. They are hidden from the
 * constructor only (synchronous, so nothing else sees the change); the app still gets them. `hotwatch
 * doctor` reports them.
 */
export const CHOKIDAR_ENV = ['CHOKIDAR_USEPOLLING', 'CHOKIDAR_INTERVAL'] as const;

function withoutChokidarEnv<T>(make: () => T): T {
  const saved = CHOKIDAR_ENV.map((k) => [k, process.env[k]] as const);
  for (const [k] of saved) delete process.env[k];
  try {
    return make();
  } finally {
    for (const [k, v] of saved) if (v !== undefined) process.env[k] = v;
  }
}
