/**
 * The watcher interface: one shape, several backends.
 *   - 'native': our own per-directory fs.watch (one inotify watch per directory, no per-file watches),
 *     run in a worker thread behind a heartbeat.
 *   - 'poll': chokidar with usePolling, for mounts that do not deliver inotify events, and as fallback.
 */
import type { WatchEvent } from '../pipeline/events.js';
import type { WatchSettings } from '../config/settings.js';
import type { HealthTag } from './health.js';

export type BackendName = 'native' | 'poll';

/** Something the watcher wants a person to know (a skipped mount, a symlink out of the root, a limit). */
export interface WatchNotice {
  level: 'info' | 'warn' | 'error';
  /** Stable code for JSON logs and tests, e.g. 'SKIP_MOUNT', 'SYMLINK_OUTSIDE_ROOT', 'ENOSPC', 'EMFILE'. */
  code: string;
  message: string;
  path?: string;
  /** The fix, where there is one (e.g. the sysctl line). */
  hint?: string;
  /** Set when watches were lost, re-armed or replaced by polling (the watchdog logs these by the contract). */
  health?: HealthTag;
}

export interface WatcherReady {
  backend: BackendName;
  /** Why this backend was chosen (logged at start). */
  reason: string;
  /** Directories watched (native) or polled. */
  dirs: number;
  /** inotify watches held by the watcher (native), from /proc fdinfo where readable; undefined elsewhere. */
  watches: number | undefined;
  readyMs: number;
}

export interface WatcherOptions {
  settings: WatchSettings;
  /** Events (already filtered: only relevant files, never excluded trees, never hotwatch's own files). */
  onEvent: (ev: WatchEvent) => void;
  onNotice: (n: WatchNotice) => void;
  signal: AbortSignal;
  /** Events of the watchdog's sentinel files (absolute paths); they never reach onEvent. */
  onSentinel?: (path: string) => void;
}

/** A live picture of a watcher (for the watchdog, status and doctor). */
export interface WatcherStats {
  backend: BackendName;
  /** Directories watched (native: armed; poll: polled). */
  dirs: number;
  /** inotify watches the kernel holds for the native backend (last audit); undefined for polling. */
  watches: number | undefined;
}

export interface Watcher {
  /** Resolves once every directory is armed; rejects with a HotwatchError when watching cannot start. */
  readonly ready: Promise<WatcherReady>;
  /** Current counters; undefined before ready. Optional: added with the native backend. */
  stats?(): WatcherStats | undefined;
  /**
   * Up to `limit` relevant files this watcher already knows (the watchdog's snapshot), shallowest
   * directories first; undefined when it keeps no such list (the caller scans instead).
   */
  knownFiles?(limit: number): string[] | undefined;
  /**
   * Resolves once every event the kernel had queued when it was called has been delivered to onEvent
   * (rejects after `timeoutMs`, or when it cannot tell). Absent where delivery cannot lag the kernel
   * (polling finds changes itself).
   */
  sync?(timeoutMs: number): Promise<void>;
  /** Idempotent; resolves when every watch is released. */
  close(): Promise<void>;
}
