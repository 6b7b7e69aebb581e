/** Messages between the native watcher host (host.ts) and its worker thread (worker.ts). */
import type { WatchSettings } from '../../config/settings.js';
import type { ErrorCode } from '../../errors.js';
import type { MountEntry } from '../../os/mounts.js';
import type { WatchNotice } from '../types.js';

/** Knobs of the native engine (defaults in engine.ts; tests shrink them). */
export interface NativeTuning {
  /** Raw events are coalesced this long before being resolved and posted (ms). */
  coalesceMs: number;
  /** More raw events than this within `stormWindowMs` = a storm: one RescanEvent, then a reconcile. */
  stormEvents: number;
  stormWindowMs: number;
  /** A gap between the worker's ticks longer than this = a stall (SIGSTOP, swap, CPU starvation). */
  stallMs: number;
  tickMs: number;
  /**
   * Least time between two counts of the worker's inotify watches (reading fdinfo costs ~3 ms per 1,000
   * watches); the interval also stretches to 1000× a read's cost (the least of the last 5), keeping the audit under 0.1% CPU.
   */
  auditMinMs: number;
  /**
   * The coverage sweep (desired vs actual): every `sweepEveryMs`, watched directories are re-read in
   * turn, for at most `sweepBudgetMs`, and a subdirectory older than `sweepMinAgeMs` that is not watched
   * (its create event was lost) is armed and reported. 2 ms a second: 0.2% of a core at most; a tree of
   * ~100 directories is swept every second, one of 10,000 every minute or two.
   */
  sweepEveryMs: number;
  sweepBudgetMs: number;
  sweepMinAgeMs: number;
}

/** Test-only fault injection, applied to the first worker only (a restarted worker is healthy). */
export interface WatchTestHooks {
  /** Busy-loop the worker forever this long after it is ready. */
  hangAfterReadyMs?: number;
  /** Close every fs.watch handle this long after ready, while the worker still believes it is armed. */
  closeWatchesAfterReadyMs?: number;
  /** Drop every raw event for an entry of this name (a lost create event, as in a storm). */
  dropEventsNamed?: string;
}

export type WorkerFault = 'hang' | 'close-watches';

export interface WorkerData {
  settings: WatchSettings;
  tuning: NativeTuning;
  hooks: WatchTestHooks;
  descendPollMounts: boolean;
  /** Subtrees polled beside the native watcher (the inotify budget does not fit them): never armed. */
  pollDirs: string[];
  /** Mount table to use instead of /proc/self/mountinfo (tests, or a caller that already read it). */
  mounts: MountEntry[] | undefined;
  /** Directories of hotwatch's own sentinels, watched apart from the tree (events go to 'sentinel'). */
  sentinelDirs: string[];
  /** After re-arming a replaced root, also post a RescanEvent (false: the watchdog diffs a snapshot). */
  rescanOnRearm: boolean;
  /** The inotify helper binary (Linux); undefined: fs.watch in the worker holds the watches. */
  helperPath: string | undefined;
}

/** Requests that expect a reply (the host bounds each in time). */
export type WorkerCall =
  /** Watch a sentinel directory (again): its events become 'sentinel' messages. */
  | { op: 'arm-sentinel'; dir: string }
  /** A mount changed at/under `path`: drop its watches, re-read the mount table, arm it again. */
  | { op: 'rearm'; path: string; mounts: MountEntry[] | undefined }
  /** Before the thread is terminated: stop watching and reap the inotify helper (else it stays a zombie). */
  | { op: 'close' }
  /** Post every event the kernel had queued by now (see NativeEngine.sync), then answer. */
  | { op: 'sync' };

export type CallResult = { dirs: number };

export interface WorkerStats {
  /** Directories the worker believes are watched. */
  dirs: number;
  /** Distinct (dev, ino) among them: the watches the kernel should hold. */
  inodes: number;
  /** `inotify wd:` lines of the worker's own inotify fd (last audit); undefined where /proc is unreadable. */
  watches: number | undefined;
  /** The watch count was measured now, together with dirs and inodes (else it is the last audit's). */
  watchesFresh: boolean;
  /** Raw events seen since start. */
  rawEvents: number;
  /** No event waiting to be resolved: dirs/inodes/watches describe the same moment. */
  idle?: boolean;
}

export type HostMessage =
  | { t: 'ping'; seq: number; audit?: boolean }
  | { t: 'fault'; fault: WorkerFault }
  | { t: 'call'; id: number; call: WorkerCall };

export type WorkerMessage =
  | { t: 'ready'; stats: WorkerStats; ms: number }
  /** `complete[i]`: the write of paths[i] is known to be finished (see EngineSink.events). */
  | { t: 'events'; paths: string[]; at: number; complete?: boolean[] }
  | { t: 'rescan'; reason: string; at: number }
  | { t: 'notice'; notice: WatchNotice }
  | { t: 'fatal'; code: ErrorCode; message: string; hint: string | undefined; exitCode: 1 | 2 }
  /** The inotify helper died: the worker is gone after this (the host restarts it). */
  | { t: 'crashed'; why: string }
  | { t: 'pong'; seq: number; stats: WorkerStats }
  /** A sentinel file event (absolute path): never a change event. */
  | { t: 'sentinel'; path: string; at: number }
  | { t: 'reply'; id: number; ok: true; result: CallResult }
  | { t: 'reply'; id: number; ok: false; error: string };

/** Epoch-based ms: comparable across threads (each thread has its own performance.timeOrigin). */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}
