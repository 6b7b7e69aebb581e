/**
 * The polling backend: chokidar 5 with usePolling (stat polling, no inotify at all), for mounts that
 * never deliver inotify events (9p, NFS, fuse...) and as the fallback when native watching cannot run.
 * The same rules as the native backend: excluded trees and special mounts are never descended (chokidar's
 * `ignored` is consulted before it reads a dir), irrelevant files are not even polled, symlinks are not
 * followed. Emits the same events: a change per relevant file, and the path of a vanished directory.
 */
import path from 'node:path';
import type { Stats } from 'node:fs';
import { watch, type FSWatcher } from 'chokidar';
import { HotwatchError } from '../../errors.js';
import type { MountEntry } from '../../os/mounts.js';
import { settlePolling } from './settle.js';
import { createTreeRules } from '../tree/rules.js';
import type { Watcher, WatcherOptions, WatcherReady, WatcherStats } from '../types.js';

/** Time for fs.watchFile's asynchronous baseline stats to land before the settling re-read. */
const SETTLE_MS = 50;

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
  private readonly fsw: FSWatcher;
  private closing: Promise<void> | undefined;
  private readonly onAbort = () => void this.close();
  private timer: NodeJS.Timeout | undefined;
  private isReady = false;
  private readonly paths: string[];
  /** Rejects `ready` if still pending (a settled promise ignores it). */
  private settle: (e: unknown) => void = () => undefined;

  constructor(private readonly opts: PollWatcherOptions) {
    const started = performance.now();
    const s = opts.settings;
    const root = path.resolve(s.root);
    const paths = (this.paths = (opts.paths ?? [root]).map((p) => path.resolve(p)));
    const rules = createTreeRules(s, { pollMounts: 'descend', ...(opts.mounts ? { mounts: opts.mounts } : {}) });
    let sent = 0;
    const flushNotices = (): void => {
      while (sent < rules.notices.length) opts.onNotice(rules.notices[sent++]!);
    };
    const ignored = (p: string, st?: Stats): boolean => {
      if (paths.includes(p) || p === root) return false;
      let skip: boolean;
      if (!st || st.isDirectory()) skip = !rules.descend(p);
      else if (st.isSymbolicLink()) {
        rules.symlink(p); // not followed; a link to a dir outside the root is reported once
        skip = !rules.filter.isRelevantFile(p);
      } else if (st.isFile()) skip = !rules.filter.isRelevantFile(p);
      else skip = true; // FIFO, socket, device
      flushNotices();
      return skip;
    };
    this.fsw = withoutChokidarEnv(() => watch(paths, {
      usePolling: true,
      interval: s.pollIntervalMs,
      binaryInterval: s.pollIntervalMs,
      ignored,
      ignoreInitial: true,
      followSymlinks: false,
      atomic: false,
      persistent: true,
      ignorePermissionErrors: false,
    }));
    const change = (p: string): void => opts.onEvent({ kind: 'change', path: p, at: performance.now() });
    this.fsw.on('add', change).on('change', change).on('unlink', change).on('unlinkDir', change);
    this.fsw.on('error', (err: unknown) => {
      opts.onNotice({
        level: 'warn',
        code: 'WATCH_ERROR',
        message: `polling reported an error (${String(err)}): a rescan follows`,
      });
      opts.onEvent({ kind: 'rescan', reason: `polling error: ${String(err)}`, at: performance.now() });
    });

    const timeoutMs = opts.readyTimeoutMs ?? 120_000;
    this.ready = new Promise<WatcherReady>((resolve, reject) => {
      this.settle = (e) => {
        clearTimeout(this.timer);
        reject(e);
      };
      this.timer = setTimeout(() => {
        reject(
          new HotwatchError('INTERNAL', `polling ${paths.join(', ')} was not ready after ${timeoutMs}ms`, {
            hint: 'exclude large directories (watch.excludeDirs) or check the mount is responsive',
            exitCode: 1,
          }),
        );
      }, timeoutMs);
      this.fsw.once('ready', () => {
        // Let fs.watchFile take its baselines, then report what chokidar's first read missed.
        setTimeout(() => {
          settlePolling(this.fsw, paths, rules, change)
            .catch((e: unknown) => {
              opts.onNotice({ level: 'warn', code: 'WATCH_ERROR', message: `polling start-up re-read failed (${String(e)}): a rescan follows` });
              opts.onEvent({ kind: 'rescan', reason: `polling start-up re-read failed: ${String(e)}`, at: performance.now() });
            })
            .finally(() => {
              clearTimeout(this.timer);
              flushNotices();
              this.isReady = true;
              resolve({
                backend: 'poll',
                reason: opts.reason ?? 'watch.backend is "poll"',
                dirs: this.stats()?.dirs ?? 0,
                watches: undefined,
                readyMs: Math.round(performance.now() - started),
              });
            });
        }, SETTLE_MS);
      });
    });
    this.ready.catch(() => undefined); // surfaced through `ready` itself
    if (opts.signal.aborted) void this.close();
    else opts.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  stats(): WatcherStats | undefined {
    if (!this.isReady) return undefined;
    const dirs = Object.keys(this.fsw.getWatched()).filter((d) => this.paths.some((p) => d === p || d.startsWith(p + path.sep))).length;
    return { backend: 'poll', dirs, watches: undefined };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.opts.signal.removeEventListener('abort', this.onAbort);
      this.settle(new HotwatchError('INTERNAL', 'the polling watcher was closed before it was ready'));
      await this.fsw.close();
    })();
    return this.closing;
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
