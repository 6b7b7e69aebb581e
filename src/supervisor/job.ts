/**
 * One app's lifecycle as a pure transition function: (state, input) → { state, effects }. No processes,
 * no timers, no clock: every input carries its timestamp, every state says since when it holds, and
 * what must happen in the world is returned as effects for the effect loop (supervisor.ts) to run.
 *
 * The table (reports left out; "queued": a newer change waits in the state):
 *
 *   idle      change                        → building                              startBuild
 *   building  change                        → building, queued                      cancelBuild (once)
 *             change, the build started     → building, queued, finishing (it is    —
 *               maxWait or more after the     not canceled: bounded staleness)
 *               oldest change not served
 *             buildFinished canceled        → building the queued change            startBuild
 *             buildFinished ok              → stopping the old app, or starting     stopApp | startApp
 *             buildFinished ok, queued      → building the queued change            startBuild
 *             buildFinished ok, queued,     → stopping the old app, or starting;    stopApp | startApp
 *               finishing                     the queued change builds once it runs
 *             buildFinished failed | error  → running (old app) or idle;            —
 *                                             stopping with build.onFailure: stop   stopApp
 *             buildFinished superseded      → building the queued change, else the  startBuild
 *               (failed while files changed)  same batch again (never reported as a failure)
 *             buildFinished ok, the binary  → running the same app (no restart)       servingBuilt
 *               the app already runs
 *             restart                       → building, forced: a good build restarts —
 *                                             the app even if its binary is the same
 *             revert (app serving)          → building, queued dropped, then running  cancelBuild (once)
 *                                             the same app however the build ends
 *             appExited (the serving app)   → building, no app                      forgetApp
 *   stopping  change                        → stopping, queued (the stop goes on)   —
 *             stopFinished                  → building the queued change (starting  startBuild
 *                                             the new binary first if it was let
 *                                             finish), else starting the new        startApp
 *                                             binary, else idle
 *   starting  change                        → starting, queued                      —
 *             startFinished ok              → running, or building the queued       servingBuilt, startBuild
 *                                             change while the new app serves
 *             startFinished failed          → idle, or building the queued change   startBuild
 *   (blue-green, proveFirst: buildFinished ok with an app serving → starting beside it: startApp)
 *             startFinished ok, serving     → running the new app; the old one       retireApp
 *               an old app                    stopped in the background
 *             startFinished failed, serving → running the old app (it serves on)     —
 *             appExited (the old app)       → starting, nothing to go back to        forgetApp
 *   running   change                        → building (the app serves meanwhile)   startBuild
 *             revert                        → running (said at debug)               —
 *             restart (no build)            → stopping, then starting the same binary  stopApp
 *             restart, proveFirst           → starting the same binary beside it     startApp
 *                                             (blue-green, as after a build)
 *             appExited                     → idle (wait-for-change), or backoff    forgetApp, scheduleRestart
 *   backoff   change                        → building                              cancelRestartTimer, startBuild
 *             backoffElapsed                → starting the same binary              startApp
 *   any       revert (no app serving)       → as a change
 *             restart, nothing to restart   → as a change (its batch forced)
 *               (idle, backoff, starting, a stop with nothing to start after)
 *             shutdown                      → stopped once the step in progress     cancelBuild | stopApp |
 *                                             ends and the app is stopped           cancelRestartTimer
 *             forceKill                     → (same state)                          forceKillApp
 *
 * Requests that a state cannot take at once are queued in it: a change during a build cancels the build
 * and waits for its teardown; a change during a stop or a start waits for it to end. A graceful stop is
 * never cut short by a change: it fences ordinary requests off until it ends, and only a second Ctrl-C
 * (forceKill) ends its grace. Shutdown wins over everything queued.
 *
 * Each run ends once, for the first reason that comes: a build with one buildFinished; an app either
 * with appExited (it exited on its own while it was the job's running app) or with the stop the job
 * began. An exit of an app that is being stopped is part of its stop, not a crash.
 *
 * One job is one app: several apps per watcher are several jobs.
 */
import { mergeBatches } from '../pipeline/aggregate.js';
import { nextCrash } from './backoff.js';
import type { AppExit, StopResult } from './process.js';
import {
  RESTART_AFTER_EXIT,
  STOP_FOR_REPLACED,
  STOP_FOR_RESTART,
  STOP_FOR_SHUTDOWN,
  type AppRef,
  type Backoff,
  type Effect,
  type Idle,
  type JobInput,
  type JobPolicy,
  type JobState,
  type Running,
  type StartOutcome,
  type Starting,
  type Step,
  type Stopping,
} from './job-state.js';
import { fromBuilding } from './job-building.js';
import { build, forceKillEffects, report, startBeside, stop, unchanged } from './job-steps.js';

export * from './job-state.js';

export function transition(state: JobState, given: JobInput, policy: JobPolicy): Step {
  const input = restartOrChange(state, revertOrChange(state, given));
  switch (state.name) {
    case 'idle':
      return fromIdle(state, input, policy);
    case 'building':
      return fromBuilding(state, input, policy);
    case 'stopping':
      return fromStopping(state, input, policy);
    case 'starting':
      return fromStarting(state, input, policy);
    case 'running':
      return fromRunning(state, input, policy);
    case 'backoff':
      return fromBackoff(state, input, policy);
    case 'stopped':
      return unchanged(state);
  }
}

/**
 * "Back to what the serving app was built from" means something only while that app serves and no
 * shutdown is under way; anywhere else the batch is an ordinary change (nothing runs to go back to).
 */
function revertOrChange(state: JobState, input: JobInput): JobInput {
  if (input.type !== 'revert') return input;
  const serving = state.name === 'running' || (state.name === 'building' && state.app !== undefined && !state.shutdown);
  return serving ? input : { type: 'change', at: input.at, batch: input.batch };
}

/**
 * A restart without a build needs an app to restart: the running one, the one a build is making (the
 * build then restarts it in any case), or the one a stop is about to start (it reads its environment
 * then). Anywhere else (nothing runs, or a start under way read it already) its batch builds, forced.
 */
function restartOrChange(state: JobState, input: JobInput): JobInput {
  if (input.type !== 'restart') return input;
  const restartable =
    state.name === 'running' || state.name === 'building' || (state.name === 'stopping' && state.startAfter !== undefined);
  return restartable ? input : { type: 'change', at: input.at, batch: input.batch };
}

function fromIdle(s: Idle, input: JobInput, policy: JobPolicy): Step {
  switch (input.type) {
    case 'change':
      return build(input.batch, input.at, policy, undefined, 0);
    case 'shutdown':
      return { state: { name: 'stopped', since: input.at }, effects: [] };
    default:
      return unchanged(s);
  }
}

function fromStopping(s: Stopping, input: JobInput, policy: JobPolicy): Step {
  switch (input.type) {
    case 'change': {
      if (s.shutdown) return unchanged(s);
      // The stop goes on (it is not cut short); the binary just built is stale: it is not started (unless
      // it was let finish because changes waited too long: then it starts, and the change builds after).
      const said = s.queued !== undefined || s.startAfter === undefined || s.startAnyway;
      const queued = { ...s, queued: mergeBatches(s.queued, input.batch), queuedAt: s.queuedAt ?? input.at };
      return { state: queued, effects: said ? [] : [report({ kind: 'build.stale', during: 'stop' })] };
    }
    case 'stopFinished':
      return afterStop(s, input.result, input.at, policy);
    case 'shutdown': {
      const { queued: _dropped, queuedAt: _then, ...rest } = s;
      return { state: { ...rest, shutdown: true }, effects: [] };
    }
    case 'forceKill':
      return { state: { ...s, forced: true }, effects: forceKillEffects(s.app.pid) };
    default:
      // appExited: the app exited while being stopped; its stop reports how.
      return unchanged(s);
  }
}

function afterStop(s: Stopping, result: StopResult, at: number, policy: JobPolicy): Step {
  const stopped = report({ kind: 'app.stop', pid: s.app.pid, why: s.why, result });
  if (s.shutdown) return { state: { name: 'stopped', since: at }, effects: [stopped] };
  if (s.queued && !(s.startAnyway && s.startAfter !== undefined)) return build(s.queued, at, policy, undefined, 0, [stopped], s.queuedAt);
  if (s.startAfter === undefined) return { state: { name: 'idle', since: at, why: 'stopped' }, effects: [stopped] };
  const reason = s.startAfter;
  const queued = s.queued ? { queued: s.queued, ...(s.queuedAt !== undefined ? { queuedAt: s.queuedAt } : {}) } : {};
  return {
    state: { name: 'starting', since: at, reason, stopMs: result.durationMs, crashes: 0, ...queued, shutdown: false, forced: false },
    effects: [stopped, { type: 'startApp', reason }],
  };
}

function fromStarting(s: Starting, input: JobInput, policy: JobPolicy): Step {
  switch (input.type) {
    case 'change':
      return s.shutdown
        ? unchanged(s)
        : { state: { ...s, queued: mergeBatches(s.queued, input.batch), queuedAt: s.queuedAt ?? input.at }, effects: [] };
    case 'startFinished':
      return afterStart(s, input.outcome, input.at, policy);
    case 'appExited':
      return s.serving?.pid === input.pid ? servingExited(s, input.pid, input.exit) : unchanged(s);
    case 'shutdown': {
      const { queued: _dropped, queuedAt: _then, ...rest } = s;
      return { state: { ...rest, shutdown: true }, effects: [] };
    }
    case 'forceKill':
      return { state: { ...s, forced: true }, effects: s.serving ? forceKillEffects(s.serving.pid) : [] };
    default:
      return unchanged(s);
  }
}

/** Blue-green: the old version exited on its own while the new one proves itself: nothing to go back to. */
function servingExited(s: Starting, pid: number, exit: AppExit): Step {
  const { serving: _gone, ...rest } = s;
  return { state: rest, effects: [{ type: 'forgetApp', pid }, report({ kind: 'app.exit', pid, exit, next: 'build-running' })] };
}

function afterStart(s: Starting, outcome: StartOutcome, at: number, policy: JobPolicy): Step {
  if (!outcome.ok) return afterFailedStart(s, outcome.error, at, policy);
  const app: AppRef = { pid: outcome.pid, startedAt: at, ...(outcome.identity !== undefined ? { identity: outcome.identity } : {}) };
  const started = report({
    kind: 'app.start',
    pid: app.pid,
    reason: s.reason,
    ...(s.stopMs !== undefined ? { stopMs: s.stopMs } : {}),
    startMs: outcome.startMs,
  });
  // Blue-green: the new version is ready; the old one is stopped in the background.
  const retire: Effect[] = s.serving
    ? [{ type: 'retireApp', pid: s.serving.pid, why: s.shutdown ? STOP_FOR_SHUTDOWN : STOP_FOR_REPLACED }]
    : [];
  if (s.shutdown) {
    const step = stop(app, STOP_FOR_SHUTDOWN, at, { forced: s.forced }, [started, ...retire]);
    return s.forced ? { ...step, effects: [...step.effects, ...forceKillEffects(app.pid)] } : step;
  }
  const serving: Effect[] = [started, { type: 'servingBuilt' }, ...retire];
  // The spawn could not be taken back: the app serves while the newer change builds.
  if (s.queued) return build(s.queued, at, policy, app, s.crashes, serving, s.queuedAt);
  return { state: { name: 'running', since: at, app, crashes: s.crashes }, effects: serving };
}

/** The start failed (or, blue-green, the new version never became ready): the old version, if any, serves on. */
function afterFailedStart(s: Starting, error: unknown, at: number, policy: JobPolicy): Step {
  const failed = report({ kind: 'app.start-failed', error, ...(s.serving ? { oldServing: true as const } : {}) });
  if (s.shutdown)
    return s.serving
      ? stop(s.serving, STOP_FOR_SHUTDOWN, at, { forced: s.forced }, [failed])
      : { state: { name: 'stopped', since: at }, effects: [failed] };
  if (s.queued) return build(s.queued, at, policy, s.serving, s.crashes, [failed], s.queuedAt);
  if (s.serving) return { state: { name: 'running', since: at, app: s.serving, crashes: s.crashes }, effects: [failed] };
  return { state: { name: 'idle', since: at, why: 'start-failed' }, effects: [failed] };
}

function fromRunning(s: Running, input: JobInput, policy: JobPolicy): Step {
  switch (input.type) {
    case 'change':
      return build(input.batch, input.at, policy, s.app, s.crashes);
    case 'revert':
      return { state: s, effects: [report({ kind: 'build.reverted', pid: s.app.pid, canceled: false })] };
    case 'restart': {
      const said = [
        report({ kind: 'app.restart', pid: s.app.pid, reason: input.reason, ...(policy.proveFirst ? { beside: true as const } : {}) }),
      ];
      // Blue-green: the same binary starts beside the old one, as after a build; the old one serves until it is ready.
      if (policy.proveFirst) return startBeside(s.app, input.reason, input.at, s.crashes, said);
      return stop(s.app, STOP_FOR_RESTART, input.at, { startAfter: input.reason }, said);
    }
    case 'appExited':
      return input.pid === s.app.pid ? afterExit(s, input.exit, input.at, policy) : unchanged(s);
    case 'shutdown':
      return stop(s.app, STOP_FOR_SHUTDOWN, input.at);
    case 'forceKill':
      return { state: s, effects: forceKillEffects(s.app.pid) };
    default:
      return unchanged(s);
  }
}

/** The running app exited on its own: reported, then it waits for a change or restarts after a delay. */
function afterExit(s: Running, exit: AppExit, at: number, policy: JobPolicy): Step {
  const { pid } = s.app;
  const forget: Effect = { type: 'forgetApp', pid };
  if (policy.onCrash === 'restart') {
    const { crashes, delayMs } = nextCrash(policy.backoff, s.crashes, exit.uptimeMs);
    return {
      state: { name: 'backoff', since: at, delayMs, until: at + delayMs, crashes, lastExit: exit },
      effects: [
        forget,
        report({ kind: 'app.exit', pid, exit, next: 'restart', restartInMs: delayMs, crashes }),
        { type: 'scheduleRestart', delayMs },
      ],
    };
  }
  return {
    state: { name: 'idle', since: at, why: 'app-exited', lastExit: exit },
    effects: [forget, report({ kind: 'app.exit', pid, exit, next: 'wait-for-change' })],
  };
}

function fromBackoff(s: Backoff, input: JobInput, policy: JobPolicy): Step {
  switch (input.type) {
    case 'change':
      return build(input.batch, input.at, policy, undefined, s.crashes, [{ type: 'cancelRestartTimer' }]);
    case 'backoffElapsed':
      return {
        state: { name: 'starting', since: input.at, reason: RESTART_AFTER_EXIT, crashes: s.crashes, shutdown: false, forced: false },
        effects: [{ type: 'startApp', reason: RESTART_AFTER_EXIT }],
      };
    case 'shutdown':
      return { state: { name: 'stopped', since: input.at }, effects: [{ type: 'cancelRestartTimer' }] };
    default:
      return unchanged(s);
  }
}
