/** The steps every state of the job takes the same way: into building, into stopping, starting beside, a report, nothing. */
import { describeBatch } from '../pipeline/aggregate.js';
import type { Batch } from '../pipeline/events.js';
import {
  STOP_FOR_SHUTDOWN,
  type AppRef,
  type Effect,
  type JobPolicy,
  type JobState,
  type Report,
  type Step,
  type Stopping,
} from './job-state.js';

export const unchanged = (state: JobState): Step => ({ state, effects: [] });
export const report = (r: Report): Effect => ({ type: 'report', report: r });

/**
 * Into building `batch`, `app` (if any) serving meanwhile; `pendingSince`: when the oldest change in it
 * came, when that was before now (it waited through a canceled or unstarted build, or a stop).
 */
export function build(
  batch: Batch,
  at: number,
  policy: JobPolicy,
  app: AppRef | undefined,
  crashes: number,
  effects: Effect[] = [],
  pendingSince?: number,
): Step {
  const trigger = describeBatch(batch, policy.root);
  const waited = pendingSince !== undefined && pendingSince < at ? { pendingSince } : {};
  return {
    state: { name: 'building', since: at, batch, trigger, ...(app ? { app } : {}), crashes, shutdown: false, ...waited },
    effects: [
      ...effects,
      report({ kind: 'build.start', trigger, files: batch.paths.length, rescan: batch.rescanReasons }),
      { type: 'startBuild', batch },
    ],
  };
}

/** Into stopping `app`; a stop for shutdown is the shutdown: the job ends with it. */
export function stop(app: AppRef, why: string, at: number, extra: Partial<Stopping> = {}, effects: Effect[] = []): Step {
  return {
    state: { name: 'stopping', since: at, app, why, shutdown: why === STOP_FOR_SHUTDOWN, forced: false, ...extra },
    effects: [...effects, { type: 'stopApp', pid: app.pid, why }],
  };
}

export const forceKillEffects = (pid: number): Effect[] => [report({ kind: 'app.force-kill', pid }), { type: 'forceKillApp', pid }];

/**
 * Blue-green: the new version (a new binary, or the same one restarted) starts while `app` keeps serving;
 * `app` is stopped once the new one is ready, and serves on if it is not.
 */
export function startBeside(app: AppRef, reason: string, at: number, crashes: number, effects: Effect[]): Step {
  return {
    state: { name: 'starting', since: at, reason, serving: app, crashes, shutdown: false, forced: false },
    effects: [...effects, { type: 'startApp', reason }],
  };
}
