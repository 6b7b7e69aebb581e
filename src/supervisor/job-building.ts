/**
 * The job while a build runs (job.ts has the whole table): a newer change cancels it, its end decides
 * what runs next, the serving app may exit meanwhile, and files may go back to what that app runs.
 */
import { describeBatch, mergeBatches } from '../pipeline/aggregate.js';
import { runTimeFiles } from './run-time-files.js';
import type { Batch } from '../pipeline/events.js';
import { nextCrash } from './backoff.js';
import type { AppExit } from './process.js';
import type { BuildResult } from './build.js';
import {
  STOP_FOR_FAILED_BUILD,
  STOP_FOR_RESTART,
  STOP_FOR_SHUTDOWN,
  type BuildOutcome,
  type Building,
  type Effect,
  type IdleReason,
  type JobInput,
  type JobPolicy,
  type Step,
} from './job-state.js';
import { build, forceKillEffects, report, startBeside, stop, unchanged } from './job-steps.js';

export function fromBuilding(s: Building, input: JobInput, policy: JobPolicy): Step {
  switch (input.type) {
    case 'change':
      return changeDuringBuild(s, input.batch, input.at, policy);
    case 'restart': {
      if (s.shutdown) return unchanged(s);
      // The build ends in a restart in any case (forced); after a revert, the app restarts once it is over.
      if (s.canceled === 'reverted')
        return { state: { ...s, queued: forced(mergeBatches(s.queued, input.batch)), queuedAt: s.queuedAt ?? input.at }, effects: [] };
      return { state: { ...s, batch: forced(s.batch), ...(s.queued ? { queued: forced(s.queued) } : {}) }, effects: [] };
    }
    case 'revert': {
      // Every change since the serving app's build is undone: what is queued too, and the build is moot.
      const { queued: _undone, queuedAt: _then, crashRestart: _none, ...rest } = s;
      const said = report({ kind: 'build.reverted', pid: s.app!.pid, canceled: true });
      return { state: { ...rest, canceled: 'reverted' }, effects: s.canceled ? [said] : [said, { type: 'cancelBuild' }] };
    }
    case 'buildFinished':
      return afterBuild(s, input.outcome, input.at, policy);
    case 'appExited':
      return s.app?.pid === input.pid ? exitDuringBuild(s, input.pid, input.exit, input.at, policy) : unchanged(s);
    case 'shutdown':
      if (s.shutdown) return unchanged(s);
      return { state: { ...s, shutdown: true, canceled: s.canceled ?? 'shutdown' }, effects: s.canceled ? [] : [{ type: 'cancelBuild' }] };
    case 'forceKill':
      return s.app ? { state: s, effects: forceKillEffects(s.app.pid) } : unchanged(s);
    default:
      return unchanged(s);
  }
}

/**
 * A newer change cancels the build, unless changes have waited too long: a build that started
 * debounce.maxWait or more after the oldest change not yet served is let finish (its binary starts, then
 * the newer change builds). A burst (a checkout in one or two batches) cancels as ever; under edits that
 * never stop, the served version still moves on. Either way the change waits in `queued`.
 */
function changeDuringBuild(s: Building, batch: Batch, at: number, policy: JobPolicy): Step {
  if (s.shutdown) return unchanged(s);
  // A change calls off a crash restart: the change is what runs next.
  const { crashRestart: _calledOff, ...rest } = s;
  const queued = { ...rest, queued: mergeBatches(s.queued, batch), queuedAt: s.queuedAt ?? at };
  if (s.canceled || s.finishing) return { state: queued, effects: [] };
  const trigger = describeBatch(batch, policy.root);
  const oldest = s.pendingSince ?? s.since;
  if (s.since - oldest >= policy.maxWaitMs) {
    return { state: { ...queued, finishing: true }, effects: [report({ kind: 'build.kept', trigger, waitingMs: at - oldest })] };
  }
  return {
    state: { ...queued, canceled: 'superseded' },
    effects: [report({ kind: 'build.superseded', trigger }), { type: 'cancelBuild' }],
  };
}

/**
 * The serving app exited on its own during a build: the build decides what runs next. With run.onCrash:
 * restart, a build that gives nothing to start (it failed) leaves the restart due at the exit's backoff.
 */
function exitDuringBuild(s: Building, pid: number, exit: AppExit, at: number, policy: JobPolicy): Step {
  const { app: _gone, ...rest } = s;
  const forget: Effect = { type: 'forgetApp', pid };
  if (s.shutdown) return { state: rest, effects: [forget] };
  if (policy.onCrash !== 'restart')
    return { state: rest, effects: [forget, report({ kind: 'app.exit', pid, exit, next: 'build-running' })] };
  const { crashes, delayMs } = nextCrash(policy.backoff, s.crashes, exit.uptimeMs);
  return {
    state: { ...rest, crashes, crashRestart: { due: at + delayMs, exit } },
    effects: [forget, report({ kind: 'app.exit', pid, exit, next: 'build-running', restartInMs: delayMs, crashes })],
  };
}

/** The build ended: what it says (reports), then what runs next. */
function afterBuild(s: Building, outcome: BuildOutcome, at: number, policy: JobPolicy): Step {
  // Called off because the files went back to what the app runs: however it ended, the app keeps running.
  if (s.canceled === 'reverted' && !s.queued && !s.shutdown && s.app) {
    const said =
      outcome.kind === 'canceled'
        ? [report({ kind: 'build.canceled', buildMs: outcome.durationMs, shuttingDown: false, reverted: true })]
        : [];
    return { state: { name: 'running', since: at, app: s.app, crashes: s.crashes }, effects: said };
  }
  if (outcome.kind === 'superseded') return afterSupersededFailure(s, outcome.result, at, policy, outcome.writing);
  // Canceled for a newer change after go had already failed (its process ended before the cancel): the
  // newer tree builds next, so this failure is set aside as one on a changing tree is, not printed twice.
  if (outcome.kind === 'failed' && s.canceled === 'superseded' && s.queued) return afterSupersededFailure(s, outcome.result, at, policy);
  const { app } = s;
  // A restart asked for (r, an env file) is not lost to a newer change: the build that replaces it restarts too.
  const queued = s.queued && s.batch.force ? forced(s.queued) : s.queued;
  // The app crashed during the build and nothing newer replaces it: its restart stays due.
  const crashRestart = !s.shutdown && !queued && outcome.kind !== 'ok' && policy.onFailure === 'keep-running' ? s.crashRestart : undefined;
  const reports = [buildReport(outcome, s, crashRestart ? Math.max(0, crashRestart.due - at) : undefined)];
  if (s.shutdown) return app ? stop(app, STOP_FOR_SHUTDOWN, at, {}, reports) : { state: { name: 'stopped', since: at }, effects: reports };
  const stopForFailure = outcome.kind === 'failed' && policy.onFailure === 'stop' && app !== undefined;
  if (queued && outcome.kind === 'ok' && s.finishing) return startFinished(s, queued, outcome, at, policy, reports);
  if (queued) {
    if (outcome.kind === 'ok') reports.push(report({ kind: 'build.stale', during: 'build' }));
    if (stopForFailure) return stop(app, STOP_FOR_FAILED_BUILD, at, { queued, ...queuedAt(s) }, reports);
    return build(queued, at, policy, app, s.crashes, reports, s.pendingSince ?? s.since);
  }
  if (outcome.kind === 'ok') {
    // The binary the app already runs (reverted sources, reproducible builds): nothing to restart, unless
    // files go does not compile changed with it (run-time-files.ts): the app may read those at start.
    if (app && !s.batch.force && outcome.identity !== undefined && outcome.identity === app.identity) {
      const readAtRunTime = runTimeFiles(notEmbedded(s.batch.paths, policy), policy.root);
      const same = report({ kind: 'build.same-binary', pid: app.pid, buildMs: outcome.durationMs, ...restarting(readAtRunTime) });
      if (readAtRunTime.length > 0) reports.push(same);
      else return { state: { name: 'running', since: at, app, crashes: s.crashes }, effects: [...reports, same, { type: 'servingBuilt' }] };
    }
    // A good build: the crash count starts over. Blue-green: the new version starts beside the old one.
    if (app && policy.proveFirst) return startBeside(app, s.trigger, at, 0, reports);
    if (app) return stop(app, STOP_FOR_RESTART, at, { startAfter: s.trigger }, reports);
    return {
      state: { name: 'starting', since: at, reason: s.trigger, crashes: 0, shutdown: false, forced: false },
      effects: [...reports, { type: 'startApp', reason: s.trigger }],
    };
  }
  if (stopForFailure) return stop(app, STOP_FOR_FAILED_BUILD, at, {}, reports);
  if (app) return { state: { name: 'running', since: at, app, crashes: s.crashes }, effects: reports };
  if (crashRestart) {
    const delayMs = Math.max(0, crashRestart.due - at);
    return {
      state: { name: 'backoff', since: at, delayMs, until: at + delayMs, crashes: s.crashes, lastExit: crashRestart.exit },
      effects: [...reports, { type: 'scheduleRestart', delayMs }],
    };
  }
  const why: IdleReason = outcome.kind === 'error' ? 'build-error' : outcome.kind === 'failed' ? 'build-failed' : 'build-canceled';
  return { state: { name: 'idle', since: at, why }, effects: reports };
}

const forced = (b: Batch): Batch => (b.force ? b : { ...b, force: true });

/** The same binary restarted all the same: the files that make it (run-time-files.ts), for its report. */
const restarting = (files: string[]): { restarting?: string[] } => (files.length > 0 ? { restarting: files } : {});

const queuedAt = (s: Building): { queuedAt?: number } => (s.queuedAt !== undefined ? { queuedAt: s.queuedAt } : {});

/**
 * A build let finish (changes waited too long) ended well with a newer change queued: its binary starts
 * all the same (the old app stopped first), and the queued change builds once it runs. Its binary may be
 * the one the app already runs: then the queued change builds at once.
 */
function startFinished(
  s: Building,
  queued: Batch,
  built: Extract<BuildOutcome, { kind: 'ok' }>,
  at: number,
  policy: JobPolicy,
  reports: Effect[],
): Step {
  const { app } = s;
  if (app && !s.batch.force && built.identity !== undefined && built.identity === app.identity) {
    const readAtRunTime = runTimeFiles(notEmbedded(s.batch.paths, policy), policy.root);
    const same = report({ kind: 'build.same-binary', pid: app.pid, buildMs: built.durationMs, ...restarting(readAtRunTime) });
    if (readAtRunTime.length === 0)
      return build(queued, at, policy, app, s.crashes, [...reports, same, { type: 'servingBuilt' }], s.queuedAt);
    reports.push(same);
  }
  if (app) return stop(app, STOP_FOR_RESTART, at, { startAfter: s.trigger, queued, ...queuedAt(s), startAnyway: true }, reports);
  return {
    state: { name: 'starting', since: at, reason: s.trigger, crashes: 0, queued, ...queuedAt(s), shutdown: false, forced: false },
    effects: [...reports, { type: 'startApp', reason: s.trigger }],
  };
}

/**
 * The build failed, but files changed while it ran (the effect loop asked the watcher): it compiled a
 * tree caught half-written, so its failure says nothing. Not reported as one: the files as they are now
 * build next (the queued change, or the same batch again when its events are still on their way).
 */
function afterSupersededFailure(s: Building, result: BuildResult, at: number, policy: JobPolicy, writing?: true): Step {
  const buildMs = result.durationMs;
  const setAside = (s.setAside ?? 0) + 1;
  if (setAside >= MAX_FAILURES_SET_ASIDE && !s.shutdown) {
    // Files change through every build (a tool rewriting a watched file each second): the failure is said
    // now, or it would never be; the change that came builds next, as after any failure.
    const { setAside: _reset, ...rest } = s;
    const said = report({ kind: 'build.failed-superseded', buildMs, next: 'reported', times: setAside });
    const step = afterBuild(rest, { kind: 'failed', result }, at, policy);
    return { ...step, effects: [said, ...step.effects] };
  }
  // A file still open for writing (a generator streaming past the wait's cap): its close builds it; a build
  // before would fail the same way, again and again.
  if (writing && !s.shutdown && !s.queued) {
    const said = [report({ kind: 'build.failed-superseded', buildMs, next: 'writer' })];
    if (s.app) return { state: { name: 'running', since: at, app: s.app, crashes: s.crashes }, effects: said };
    return { state: { name: 'idle', since: at, why: 'build-canceled' }, effects: said };
  }
  const next = s.shutdown ? 'shutdown' : s.queued ? 'newer-change' : 'again';
  const said = [report({ kind: 'build.failed-superseded', buildMs, next })];
  if (s.shutdown) return s.app ? stop(s.app, STOP_FOR_SHUTDOWN, at, {}, said) : { state: { name: 'stopped', since: at }, effects: said };
  const batch = s.queued ? (s.batch.force ? forced(s.queued) : s.queued) : s.batch;
  const step = build(batch, at, policy, s.app, s.crashes, said, s.pendingSince ?? s.since);
  if (step.state.name !== 'building') return step;
  // A crashed app's restart stays due if the next build fails for real; the failures set aside are counted.
  return { ...step, state: { ...step.state, setAside, ...(s.crashRestart ? { crashRestart: s.crashRestart } : {}) } };
}

/** Failures set aside in a row (files changed while each build ran) before the next one is reported all the same. */
const MAX_FAILURES_SET_ASIDE = 3;

/** How the build ended, said; `restartInMs`: the crashed app restarts after a failed build. */
function buildReport(outcome: BuildOutcome, s: Building, restartInMs: number | undefined): Effect {
  switch (outcome.kind) {
    case 'ok':
      return report({ kind: 'build.done', buildMs: outcome.durationMs });
    case 'canceled':
      return report({ kind: 'build.canceled', buildMs: outcome.durationMs, shuttingDown: s.shutdown });
    case 'failed':
      return report({
        kind: 'build.failed',
        result: outcome.result,
        appRunning: s.app !== undefined,
        ...(restartInMs !== undefined ? { restartInMs } : {}),
      });
    case 'superseded':
      return report({ kind: 'build.failed-superseded', buildMs: outcome.result.durationMs, next: 'newer-change' });
    case 'error':
      return report({ kind: 'build.error', error: outcome.error });
  }
}

/** The paths the binary does not embed: for those it embeds, a same binary means the bytes the app runs. */
function notEmbedded(paths: readonly string[], policy: JobPolicy): readonly string[] {
  const embedded = policy.embedded;
  return embedded ? paths.filter((p) => !embedded(p)) : paths;
}
