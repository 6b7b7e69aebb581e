/** What the supervisor (the effect loop, supervisor.ts) is given, and what it counts. */
import type { BuildSettings, RunSettings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import type { Batch } from '../pipeline/events.js';
import type { Report } from './job-state.js';

export interface SupervisorOptions {
  root: string;
  build: BuildSettings;
  run: RunSettings;
  log: Logger;
  /** The root signal: aborting it shuts the supervisor down. */
  signal: AbortSignal;
  /** The app's environment, computed at each start (env files are re-read). */
  appEnv: () => NodeJS.ProcessEnv;
  /** Where the app's stderr goes (it is read for a port already in use; default: hotwatch's stderr). */
  appStderr?: NodeJS.WritableStream;
  /**
   * debounce.maxWait (default 1 s): a build that started this long after the oldest change not yet
   * served is let finish, so edits that never stop do not keep the served version behind (job-building.ts).
   */
  maxWaitMs?: number;
  /** The directory hotwatch was started in: compiler locations are printed relative to it. */
  cwd?: string;
  /** Build output lines (default: logged at debug, with a prefix; a failure prints them once). */
  onBuildLine?: (line: string) => void;
  /** Told whenever the running app changes (started, stopped, exited): the state file records it. */
  onAppChange?: (app: { pid: number; marker: { key: string; value: string } } | undefined) => void;
  /**
   * Did a relevant file change after `since` (monotonic ms: when the build started)? Asked when a build
   * fails: the watcher's view, events still on their way included. A yes makes the failure superseded
   * (not reported as one); absent, every failure is reported.
   */
  changedSince?: (since: number) => Promise<boolean>;
  /** Told when the running app runs the binary built from `batch` (started from it, or identical to it). */
  onServing?: (batch: Batch) => void;
  /** Told after each cycle (build, and restart when it succeeded): the work of an edit is done. */
  afterCycle?: () => void;
  /** Told of each report of the job (the log line's facts), before it is logged: service mode counts them. */
  onReport?: (report: Report) => void;
  /** Told after each change of the job's state (read `state` for it). */
  onStateChange?: () => void;
  /** Told when an app is seen listening (ports), as app.listening logs it. */
  onListening?: (pid: number, ports: number[]) => void;
}

export interface SupervisorStats {
  buildsStarted: number;
  buildsSucceeded: number;
  buildsFailed: number;
  buildsCanceled: number;
  appStarts: number;
}
