/**
 * The watcher contract: one shape, several backends, and the typed reports they give.
 *   - 'native': one inotify watch per directory (no per-file watches), held by the hotwatch-inotify
 *     helper process (fs.watch where it cannot run) and driven from a worker thread behind a heartbeat;
 *   - 'poll': chokidar with usePolling, for mounts that do not deliver inotify events, and where the
 *     watchdog falls back.
 * Backends arm, deliver events and report what they lost (a WatchNotice with a HealthReport); they never
 * restart or fall back on their own: the watchdog (watchdog/) owns recovery and turns each report into
 * one contract line (watch.deaf, watch.rearmed, watch.fallback).
 */
import type { WatchEvent } from '../pipeline/events.js';
import type { WatchSettings } from '../config/settings.js';
import type { NoticeCode } from '../errors.js';

export type BackendName = 'native' | 'poll';

/** What went deaf: the root's tree, one mount under it, one directory, or the whole watcher (thread). */
export type DeafScope = 'root' | 'mount' | 'dir' | 'watcher';

/** Why it went deaf. */
export type DeafCause =
  | 'sentinel-timeout'
  | 'root-replaced'
  | 'root-missing'
  | 'mount-changed'
  | 'coverage-shortfall'
  | 'watch-limit'
  | 'instance-limit'
  | 'overflow-suspected'
  | 'dir-moved'
  | 'backend-error'
  | 'heartbeat-timeout';

/**
 * The health report a backend attaches to a notice:
 *  - deaf: watches were lost. `selfHealing`: arming repairs it as part of the backend's ordinary work
 *    (a replaced root or directory armed again, a storm reconciled) and `rearmed` follows; otherwise the
 *    watchdog recovers the scope (re-arm, or polling when a kernel limit is reached);
 *  - rearmed: the backend armed the scope again (the watchdog then diffs its snapshot and logs);
 *  - fallback: the scope is polled (planned: a mount that never delivers events; or after a loss).
 */
export type HealthReport =
  | { kind: 'deaf'; scope: DeafScope; cause: DeafCause; selfHealing: boolean }
  | { kind: 'rearmed'; scope: DeafScope; cause: DeafCause; dirs?: number }
  | { kind: 'fallback'; scope: DeafScope; cause?: DeafCause };

/** Something the watcher wants a person to know (a skipped mount, a symlink out of the root, a loss). */
export interface WatchNotice {
  level: 'info' | 'warn' | 'error';
  /** Stable code for JSON logs and tests. */
  code: NoticeCode;
  message: string;
  path?: string;
  /** The fix, where there is one (e.g. the sysctl line). */
  hint?: string;
  /** Set when watches were lost, armed again or replaced by polling. */
  health?: HealthReport;
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

/** What a reconcile did: native watches kept, dropped and added; or the polling watcher started again. */
export interface ReconcileReport {
  how: 'reconciled' | 'repolled';
  /** Directories watched (or polled) now. */
  dirs: number;
  added: number;
  removed: number;
}

/** The directories a start's arming walk armed and the relevant files it listed (absolute). */
export interface ArmingListing {
  dirs: string[];
  files: string[];
}

/** A watched tree, and what its start's arming listed (undefined: not listed, or taken already). */
export interface ArmedTree {
  settings: WatchSettings;
  listing: ArmingListing | undefined;
}

export interface Watcher {
  /** Resolves once every directory is armed; rejects with a HotwatchError when watching cannot start. */
  readonly ready: Promise<WatcherReady>;
  /** Current counters; undefined before ready. */
  stats?(): WatcherStats | undefined;
  /**
   * Up to `limit` relevant files this watcher already knows (the watchdog's snapshot), shallowest
   * directories first; undefined when it keeps no such list (the caller scans instead).
   */
  knownFiles?(limit: number): string[] | undefined;
  /**
   * What the start's arming walk read, once (the next call answers undefined): the directories it armed and
   * the relevant files it listed; undefined when no walk of the watches listed them (polling, a budget
   * scan) or when already taken. The start-up's catch-up checks these instead of walking the tree again.
   */
  takeArmingListing?(): ArmingListing | undefined;
  /**
   * Resolves once every event the kernel had queued when it was called has been delivered to onEvent
   * (rejects after `timeoutMs`, or when it cannot tell). On a starved machine the watcher may lag the
   * writer by hundreds of ms: the debouncer asks this before it calls a batch quiet, so a lag is not
   * taken for a pause in the writing. Absent where delivery cannot lag the kernel (polling finds changes
   * itself). With `pollRound`, also once every polled file was stat'ed after the call and what that found
   * delivered (a full poll round: at least one pollInterval, bounded by the watcher): asked when a build
   * fails, never on the way to a build.
   */
  sync?(timeoutMs: number, opts?: SyncOptions): Promise<void>;
  /**
   * A config reload changed the watch lists (same root, same backend): the watches are reconciled with
   * them (native: directories now excluded dropped, directories now reached armed, no re-arm; polling:
   * the poller starts again, it holds no watch). Events after it resolves follow the new lists.
   */
  reconcile?(settings: WatchSettings): Promise<ReconcileReport>;
  /** Idempotent; resolves when every watch is released. */
  close(): Promise<void>;
}

export interface SyncOptions {
  /** Wait for a full round of every polling watcher too (Watcher.sync). */
  pollRound?: boolean;
}
