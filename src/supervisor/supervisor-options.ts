/** What the supervisor (the effect loop, supervisor.ts) is given, and what it counts. */
import type { BuildRunner } from './build.js';
import type { BuildSettings, RunSettings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import type { Batch } from '../pipeline/events.js';
import type { Report } from './job-state.js';
import type { StepWrites } from './step-writes.js';

/** Where the app answers (a loopback address and its port). */
export interface AppUpstream {
  host: string;
  port: number;
}

/**
 * The reverse proxy in front of the app as the supervisor drives it (runtime.ts implements it on
 * src/proxy/: the supervisor does not import the proxy). Each app start gets a port in `portEnv`, is
 * proven ready (waitReady) before the proxy switches to it, and every failure is shown in the browser.
 */
export interface AppProxy {
  /** The variable that gives the app its port (proxy.appPortEnv). */
  readonly portEnv: string;
  /** The port of the next start: a fresh free port, or the fixed proxy.appPort. */
  nextPort(): Promise<number>;
  /** Until the app at `port` is ready (TCP accept or health path) or the deadline passes; rejects once `signal` aborts. */
  waitReady(port: number, signal: AbortSignal): Promise<{ ready: true; afterMs: number } | { ready: false; afterMs: number; why: string }>;
  /** Blue-green (proxy.proveNewVersion with a fresh port per start): the old version serves until the new one is ready. */
  readonly proveFirst: boolean;
  /** How long waitReady waits (proxy.readyTimeout), for the log. */
  readonly readyTimeoutMs: number;
  ready(upstream: AppUpstream): void;
  /**
   * Until no request in `scope` is in flight to the version at `port` (it no longer gets new ones),
   * `timeoutMs`, or `signal`: how many are left. 'unsafe': POSTs and the like; 'all': every request.
   */
  drained(port: number, timeoutMs: number, scope: 'unsafe' | 'all', signal: AbortSignal): Promise<number>;
  restarting(reason: string): void;
  failed(report: { title: string; lines: readonly string[] }): void;
  reload(): void;
}

/** What a changed file needs: a build (the default), a restart without one, or only a browser reload. */
export type ChangeKind = 'build' | 'restart' | 'reload';

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
   * Told of an app process besides the serving one, while it runs (`alive`), and once it is gone: a new
   * version proving itself beside it (blue-green), an old one draining after the switch (the state file).
   */
  onAppAlso?: (app: { pid: number; marker: { key: string; value: string } }, alive: boolean) => void;
  /**
   * With apps: one set shared by every app's supervisor, each adding the markers of the apps it starts: a
   * port a sibling holds (the PORT of an env file every app inherits) is not a stray's.
   */
  runMarkers?: Set<string>;
  /**
   * Did a relevant file change after `since` (monotonic ms: when the build started)? Asked when a build
   * fails: the watcher's view, events still on their way included. A yes makes the failure superseded
   * (not reported as one); absent, every failure is reported. 'writing': yes, and a file taken while still
   * open for writing has not been closed since (its close builds it: no build before).
   */
  changedSince?: (since: number) => Promise<boolean | 'writing'>;
  /** Whether the binary embeds `file` (absolute), as go last said: a same binary then restarts nothing for it. */
  embedded?: (file: string) => boolean;
  /** Told when the running app runs the binary built from `batch` (started from it, or identical to it). */
  onServing?: (batch: Batch) => void;
  /** The reverse proxy in front of the app (proxy.enabled): ports, proof of readiness, reloads, the overlay. */
  proxy?: AppProxy;
  /** What each changed file needs (proxy.reloadOnly, proxy.restartOnly); absent: every file builds. */
  changeKind?: (file: string) => ChangeKind;
  /** Told after each cycle (build, and restart when it succeeded): the work of an edit is done. */
  afterCycle?: () => void;
  /**
   * Told of each report of the job (the log line's facts), before it is logged: service mode counts them.
   * `app`: with apps:, the app whose job it is (AppSet passes it; a supervisor never does).
   */
  onReport?: (report: Report, app?: string) => void;
  /** Told after each change of the job's state (read `state` for it). */
  onStateChange?: () => void;
  /** Several apps: builds combined into one go build and bounded across apps (src/apps/combined-builds.ts); absent: runBuild. */
  buildRunner?: BuildRunner;
  /** Told when an app is seen listening (ports), as app.listening logs it. */
  onListening?: (pid: number, ports: number[]) => void;
  /** Ad-hoc mode (`hotwatch exec`): no build; the command (run.binary, run.args) gets the changed files. */
  exec?: boolean;
  /** What build steps wrote (a before or instead step is configured): not a new change. */
  stepWrites?: StepWrites;
  /** Where people open the app when that is not where it listens (the proxy's address): the summary line says it. */
  servedAt?: string;
  /** Told before each build starts (--clear clears the screen). */
  beforeBuild?: () => void;
  /** Variables each build adds to its environment (`env`: the build's own), e.g. the cgo headers' digest (os/cgo-headers.ts). */
  buildEnv?: BuildEnv;
  /** The main packages under the root now: a build whose package directory is gone names them. */
  mainPackages?: () => readonly string[];
}

export type BuildEnv = (env: NodeJS.ProcessEnv, cwd: string, signal: AbortSignal) => Promise<Record<string, string>>;

export interface SupervisorStats {
  buildsStarted: number;
  buildsSucceeded: number;
  buildsFailed: number;
  buildsCanceled: number;
  appStarts: number;
}
