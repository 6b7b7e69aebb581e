/**
 * The vocabulary of an app's job (job.ts): its states, each with since when it holds and what it needs;
 * the inputs that move it; the effects it asks for; and the snapshot a reader outside gets.
 */
import { describeBatch } from '../pipeline/aggregate.js';
import type { Batch } from '../pipeline/events.js';
import type { BackoffOptions } from './backoff.js';
import type { BuildResult } from './build.js';
import type { AppExit, StopResult } from './process.js';

/** What the job needs to know of its settings. */
export interface JobPolicy {
  /** The module root: changed files are named relative to it. */
  root: string;
  onFailure: 'keep-running' | 'stop';
  onCrash: 'wait-for-change' | 'restart';
  backoff: BackoffOptions;
  /**
   * debounce.maxWait: a newer change cancels a build only if that build started less than this after the
   * oldest change not yet served (see Building.pendingSince); a later build is let finish.
   */
  maxWaitMs: number;
  /**
   * Blue-green (proxy.proveNewVersion): after a good build the new version starts beside the serving one,
   * which is stopped only once the new one is ready (the effect loop's start proves it); a new version
   * that does not become ready is stopped and the old one keeps serving.
   */
  proveFirst?: boolean;
  /**
   * Whether the binary embeds a file (as go last said): a build of the same binary says its bytes are the
   * running app's, so it is no file read at run time (no restart for it).
   */
  embedded?: (file: string) => boolean;
}

/** An app process the job started. */
export interface AppRef {
  pid: number;
  startedAt: number;
  /** The identity of the binary it runs (binary-identity.ts), when it could be read. */
  identity?: string;
}

/** Why the job is idle: nothing runs and nothing is on its way until the next change. */
export type IdleReason = 'not-started' | 'app-exited' | 'build-failed' | 'build-error' | 'build-canceled' | 'start-failed' | 'stopped';

/** Why an app is stopped (logged with the stop). */
export const STOP_FOR_RESTART = 'restart';
export const STOP_FOR_SHUTDOWN = 'shutdown';
export const STOP_FOR_FAILED_BUILD = 'build failed (build.onFailure: stop)';
/** Why an app is started when no build preceded it. */
export const RESTART_AFTER_EXIT = 'restart after exit';
/** Why an app is stopped once the new version proved itself (blue-green). */
export const STOP_FOR_REPLACED = 'replaced by the new version';

export interface Idle {
  name: 'idle';
  since: number;
  why: IdleReason;
  lastExit?: AppExit;
}
export interface Building {
  name: 'building';
  since: number;
  batch: Batch;
  trigger: string;
  /** The previous app, still serving while the build runs. */
  app?: AppRef;
  crashes: number;
  /** A newer change: the build is canceled (or let finish) and this is built next. */
  queued?: Batch;
  /** When the first change of `queued` came. */
  queuedAt?: number;
  /**
   * When the oldest change this build includes came, if before the build started (it was built before,
   * by a build that was canceled or whose binary was not started): none of them serves yet.
   */
  pendingSince?: number;
  /**
   * Changes have waited too long (this build started debounce.maxWait or more after the oldest of them):
   * a newer change does not cancel it; it finishes, its binary starts, then the newer change builds.
   */
  finishing?: true;
  /**
   * Why the build was canceled (a cancel is sent once): a newer change, shutdown, or the files went back
   * to what the serving app was built from ('reverted': whatever the build ends with, the app keeps
   * running; a later reason replaces only 'superseded').
   */
  canceled?: 'superseded' | 'shutdown' | 'reverted';
  shutdown: boolean;
  /** The app crashed during the build (run.onCrash: restart): when it restarts if the build fails. */
  crashRestart?: { due: number; exit: AppExit };
  /** Failures in a row set aside because files changed while each build ran (the third is reported). */
  setAside?: number;
}
export interface Stopping {
  name: 'stopping';
  since: number;
  app: AppRef;
  why: string;
  /** The trigger of the build whose binary starts once the stop is over; absent: nothing starts. */
  startAfter?: string;
  /**
   * A change that came during the stop: built once the stop is over; the binary just built is stale and
   * not started, unless `startAnyway` (it was let finish: changes have waited too long).
   */
  queued?: Batch;
  queuedAt?: number;
  startAnyway?: true;
  shutdown: boolean;
  forced: boolean;
}
export interface Starting {
  name: 'starting';
  since: number;
  reason: string;
  /** Blue-green: the previous app, serving until the new one is ready (then retired), or again if it is not. */
  serving?: AppRef;
  /** How long the stop of the previous app took, when there was one. */
  stopMs?: number;
  crashes: number;
  queued?: Batch;
  queuedAt?: number;
  shutdown: boolean;
  forced: boolean;
}
export interface Running {
  name: 'running';
  since: number;
  app: AppRef;
  /** Crashes in a row before this start (restarts with run.onCrash: restart); 0 after a build. */
  crashes: number;
}
export interface Backoff {
  name: 'backoff';
  since: number;
  delayMs: number;
  /** When the restart is due. */
  until: number;
  crashes: number;
  lastExit: AppExit;
}
export interface Stopped {
  name: 'stopped';
  since: number;
}

export type JobState = Idle | Building | Stopping | Starting | Running | Backoff | Stopped;
export type JobStateName = JobState['name'];

export type BuildOutcome =
  /** `identity`: of the binary built, when it could be read. */
  | { kind: 'ok'; durationMs: number; identity?: string }
  | { kind: 'failed'; result: BuildResult }
  /** It failed, but relevant files changed while it ran: it read a tree half-written, not a verdict. */
  | { kind: 'superseded'; result: BuildResult /** A file it read is still open for writing: its close builds next. */; writing?: true }
  | { kind: 'canceled'; durationMs: number }
  | { kind: 'error'; error: unknown };

/** `identity`: of the binary started, when it could be read. */
export type StartOutcome = { ok: true; pid: number; startMs: number; identity?: string } | { ok: false; error: unknown };

export type JobInput =
  | { type: 'change'; at: number; batch: Batch }
  /**
   * Restart the app with the binary it runs, no build (a run.envFiles file changed: `reason` says so).
   * Where nothing runs to restart, `batch` (forced) builds instead.
   */
  | { type: 'restart'; at: number; reason: string; batch: Batch }
  /** The files are back to what the serving app was built from (the batch undoes every change since). */
  | { type: 'revert'; at: number; batch: Batch }
  | { type: 'buildFinished'; at: number; outcome: BuildOutcome }
  | { type: 'stopFinished'; at: number; result: StopResult }
  | { type: 'startFinished'; at: number; outcome: StartOutcome }
  | { type: 'appExited'; at: number; pid: number; exit: AppExit }
  | { type: 'backoffElapsed'; at: number }
  | { type: 'shutdown'; at: number }
  /** Second Ctrl-C: the app's grace period ends now. */
  | { type: 'forceKill'; at: number };

/** What the effect loop reports to the user; report.ts words it. */
export type Report =
  | { kind: 'build.start'; trigger: string; files: number; rescan: string[] }
  | { kind: 'build.superseded'; trigger: string }
  /** A newer change during a build let finish: `waitingMs`, how long the oldest change not served has waited. */
  | { kind: 'build.kept'; trigger: string; waitingMs: number }
  | { kind: 'build.canceled'; buildMs: number; shuttingDown: boolean; reverted?: true }
  | { kind: 'build.failed'; result: BuildResult; appRunning: boolean; restartInMs?: number }
  | {
      kind: 'build.failed-superseded';
      buildMs: number;
      next: 'newer-change' | 'again' | 'shutdown' | 'reported' | 'writer';
      times?: number;
    }
  | { kind: 'build.error'; error: unknown }
  | { kind: 'build.done'; buildMs: number }
  | { kind: 'build.stale'; during: 'build' | 'stop' }
  /** The build gave the binary the app already runs: no restart. */
  | { kind: 'build.same-binary'; pid: number; buildMs: number; afterFailure?: true; restarting?: string[] }
  /** The files went back to what the app runs: `canceled`, the build under way for the change was called off. */
  | { kind: 'build.reverted'; pid: number; canceled: boolean; afterFailure?: true }
  /** `beside`: blue-green, the same binary starts beside the app, which serves until it is ready. */
  | { kind: 'app.restart'; pid: number; reason: string; beside?: true }
  | { kind: 'app.start'; pid: number; reason: string; stopMs?: number; startMs: number }
  /** `oldServing`: blue-green, the previous version keeps serving. */
  | { kind: 'app.start-failed'; error: unknown; oldServing?: true }
  | { kind: 'app.stop'; pid: number; why: string; result: StopResult }
  | { kind: 'app.exit'; pid: number; exit: AppExit; next: 'restart'; restartInMs: number; crashes: number }
  | { kind: 'app.exit'; pid: number; exit: AppExit; next: 'wait-for-change' }
  /** With run.onCrash: restart, the restart that is due if the build fails. */
  | { kind: 'app.exit'; pid: number; exit: AppExit; next: 'build-running'; restartInMs?: number; crashes?: number }
  | { kind: 'app.force-kill'; pid: number };

export type Effect =
  | { type: 'startBuild'; batch: Batch }
  | { type: 'cancelBuild' }
  | { type: 'stopApp'; pid: number; why: string }
  | { type: 'startApp'; reason: string }
  /** SIGKILL to the app now; a stop of it (running or to come) skips the rest of its grace period. */
  | { type: 'forceKillApp'; pid: number }
  /** Blue-green: the replaced app is stopped in the background (the job has moved on to the new one). */
  | { type: 'retireApp'; pid: number; why: string }
  /** The app exited on its own: its handle is dropped. */
  | { type: 'forgetApp'; pid: number }
  | { type: 'scheduleRestart'; delayMs: number }
  | { type: 'cancelRestartTimer' }
  /**
   * The app now running runs the binary of the last good build (started from it, or identical to it): the
   * files that build compiled are what runs.
   */
  | { type: 'servingBuilt' }
  | { type: 'report'; report: Report };

export interface Step {
  state: JobState;
  effects: Effect[];
}

export const initialJobState = (at: number): JobState => ({ name: 'idle', since: at, why: 'not-started' });

/** A build, stop or start is in progress: its end must not wait behind other work. */
export const isBusy = (s: JobState): boolean => s.name === 'building' || s.name === 'stopping' || s.name === 'starting';

/** The app this state serves with (running, or still serving during a build). */
export const servingApp = (s: JobState): AppRef | undefined =>
  s.name === 'running' || s.name === 'building' ? s.app : s.name === 'starting' ? s.serving : undefined;

/** What a status endpoint shows of a job: plain data, a copy (it never changes under the reader). */
export interface JobSnapshot {
  name: JobStateName;
  /** Since when the job is in this state (ms since the epoch). */
  since: number;
  /** The app this state concerns: running, serving during a build, or being stopped. */
  pid?: number;
  /** What is being built, or why the app is starting. */
  trigger?: string;
  /** A newer change waits for the current step to end. */
  queued?: string;
  crashes?: number;
  /** When a crashed app restarts (backoff). */
  restartAt?: number;
  shuttingDown?: boolean;
  why?: string;
}

export function snapshot(s: JobState, root: string): JobSnapshot {
  const base = { name: s.name, since: s.since };
  const queued = 'queued' in s && s.queued ? { queued: describeBatch(s.queued, root) } : {};
  switch (s.name) {
    case 'idle':
      return { ...base, why: s.why };
    case 'building':
      return { ...base, trigger: s.trigger, ...(s.app ? { pid: s.app.pid } : {}), ...queued, crashes: s.crashes, shuttingDown: s.shutdown };
    case 'stopping':
      return {
        ...base,
        pid: s.app.pid,
        why: s.why,
        ...(s.startAfter ? { trigger: s.startAfter } : {}),
        ...queued,
        shuttingDown: s.shutdown,
      };
    case 'starting':
      return {
        ...base,
        trigger: s.reason,
        ...(s.serving ? { pid: s.serving.pid } : {}),
        ...queued,
        crashes: s.crashes,
        shuttingDown: s.shutdown,
      };
    case 'running':
      return { ...base, pid: s.app.pid, crashes: s.crashes };
    case 'backoff':
      return { ...base, crashes: s.crashes, restartAt: s.until };
    case 'stopped':
      return base;
  }
}
