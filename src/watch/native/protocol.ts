/** Messages between the native watcher host (host.ts) and its worker thread (worker.ts). */
import type { WatchSettings } from '../../config/settings.js';
import type { ErrorCode } from '../../errors.js';
import type { MountEntry } from '../../os/mounts.js';
import type { WatchNotice } from '../types.js';
import type { NativeTuning } from './engine/tuning.js';

export type { NativeTuning } from './engine/tuning.js';

/** Test-only fault injection, applied to the first worker only (a replaced worker is healthy). */
export interface WatchTestHooks {
  /** Busy-loop the worker forever this long after it is ready. */
  hangAfterReadyMs?: number;
  /** Close every watch (the helper's or fs.watch's) this long after ready, while the worker still believes it is armed. */
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
  /** The inotify helper binary (Linux); undefined: fs.watch in the worker holds the watches. */
  helperPath: string | undefined;
  /** The arming walk lists the relevant files it reads and the dirs it armed (ready's `files`, `dirs`: no second walk). */
  collectFiles: boolean;
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
  | { op: 'sync' }
  /** A config reload changed the watch lists: reconcile the watches with them (no re-arm). */
  | { op: 'reconcile'; settings: WatchSettings };

/** `added`/`removed`: directories armed and dropped by a reconcile. */
export type CallResult = { dirs: number; added?: number; removed?: number };

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
  | { t: 'ready'; stats: WorkerStats; ms: number; files?: string[]; dirs?: string[] }
  /** `complete[i]`: the write of paths[i] is known to be finished; `writing[i]`: under way (see ResolverSink.events). */
  | { t: 'events'; paths: string[]; at: number; complete?: boolean[]; writing?: boolean[] }
  | { t: 'rescan'; reason: string; at: number }
  | { t: 'notice'; notice: WatchNotice }
  | { t: 'fatal'; code: ErrorCode; message: string; hint: string | undefined; exitCode: 1 | 2 }
  /** The inotify helper died: nothing is watched any more (the host reports the loss). */
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
