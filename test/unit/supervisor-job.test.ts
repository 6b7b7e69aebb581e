/**
 * The app's job (src/supervisor/job.ts), row by row of its transition table: pure, no processes, no
 * timers; timestamps are plain numbers carried by the inputs. Each case asserts the exact state and the
 * exact effect list. Every state and input is frozen first: a transition that mutated one would throw.
 */
import { describe, expect, it } from 'vitest';
import {
  initialJobState,
  isBusy,
  servingApp,
  snapshot,
  transition,
  type Effect,
  type JobInput,
  type JobPolicy,
  type JobState,
  type Report,
} from '../../src/supervisor/job.js';
import type { Batch } from '../../src/pipeline/events.js';
import type { BuildResult } from '../../src/supervisor/build.js';
import type { AppExit, StopResult } from '../../src/supervisor/process.js';

const ROOT = '/src/app';
const POLICY: JobPolicy = {
  root: ROOT,
  onFailure: 'keep-running',
  onCrash: 'wait-for-change',
  backoff: { initialMs: 100, maxMs: 400, resetAfterMs: 10_000 },
  maxWaitMs: 1000,
};
const RESTART: JobPolicy = { ...POLICY, onCrash: 'restart' };
const STOP_ON_FAILURE: JobPolicy = { ...POLICY, onFailure: 'stop' };

const batch = (...files: string[]): Batch => ({ paths: files.map((f) => `${ROOT}/${f}`), rescanReasons: [], firstAt: 1, lastAt: 2 });
const MAIN = batch('main.go');
const UTIL = batch('util.go');
const BOTH: Batch = { ...batch('main.go', 'util.go') };

const OLD = { pid: 100, startedAt: 3 };
const exit = (uptimeMs: number, code = 3): AppExit => ({ code, signal: null, uptimeMs });
const stopResult = (durationMs = 40): StopResult => ({
  how: 'graceful',
  durationMs,
  exit: { code: 0, signal: null, uptimeMs: 5000 },
  swept: [],
  portsStillHeld: [],
});
const failedBuild: BuildResult = {
  ok: false,
  canceled: false,
  timedOut: false,
  exitCode: 1,
  durationMs: 300,
  output: 'main.go:3:1: syntax error',
  command: 'go build',
};

// Inputs, each at a given time.
const change = (at: number, b: Batch): JobInput => ({ type: 'change', at, batch: b });
const built = (at: number, durationMs = 500): JobInput => ({ type: 'buildFinished', at, outcome: { kind: 'ok', durationMs } });
const canceled = (at: number, durationMs = 50): JobInput => ({ type: 'buildFinished', at, outcome: { kind: 'canceled', durationMs } });
const failed = (at: number): JobInput => ({ type: 'buildFinished', at, outcome: { kind: 'failed', result: failedBuild } });
const supersededFailure = (at: number): JobInput => ({ type: 'buildFinished', at, outcome: { kind: 'superseded', result: failedBuild } });
const buildError = (at: number, error: unknown): JobInput => ({ type: 'buildFinished', at, outcome: { kind: 'error', error } });
const stopped = (at: number, durationMs = 40): JobInput => ({ type: 'stopFinished', at, result: stopResult(durationMs) });
const startedApp = (at: number, pid: number, startMs = 2): JobInput => ({ type: 'startFinished', at, outcome: { ok: true, pid, startMs } });
/** A start whose binary's identity was read, and a build whose binary's was. */
const startedBinary = (at: number, pid: number, identity: string): JobInput => ({
  type: 'startFinished',
  at,
  outcome: { ok: true, pid, startMs: 2, identity },
});
const builtBinary = (at: number, identity: string, durationMs = 500): JobInput => ({
  type: 'buildFinished',
  at,
  outcome: { kind: 'ok', durationMs, identity },
});
const revert = (at: number, b: Batch): JobInput => ({ type: 'revert', at, batch: b });
const ENV: Batch = { ...batch('.env'), force: true };
const restart = (at: number): JobInput => ({ type: 'restart', at, reason: 'run.envFiles changed (.env)', batch: ENV });
const startFailed = (at: number, error: unknown): JobInput => ({ type: 'startFinished', at, outcome: { ok: false, error } });
const exited = (at: number, pid: number, e: AppExit): JobInput => ({ type: 'appExited', at, pid, exit: e });
const elapsed = (at: number): JobInput => ({ type: 'backoffElapsed', at });
const shutdown = (at: number): JobInput => ({ type: 'shutdown', at });
const forceKill = (at: number): JobInput => ({ type: 'forceKill', at });

// Effects.
const report = (r: Report): Effect => ({ type: 'report', report: r });
const buildStart = (trigger: string, files = 1): Effect => report({ kind: 'build.start', trigger, files, rescan: [] });
const startBuild = (b: Batch): Effect => ({ type: 'startBuild', batch: b });
const stopApp = (pid: number, why: string): Effect => ({ type: 'stopApp', pid, why });
const startApp = (reason: string): Effect => ({ type: 'startApp', reason });
const appStop = (pid: number, why: string, durationMs = 40): Effect =>
  report({ kind: 'app.stop', pid, why, result: stopResult(durationMs) });
const appStart = (pid: number, reason: string, stopMs?: number): Effect =>
  report({ kind: 'app.start', pid, reason, ...(stopMs !== undefined ? { stopMs } : {}), startMs: 2 });
const servingBuilt: Effect = { type: 'servingBuilt' };
const forceKillEffects = (pid: number): Effect[] => [report({ kind: 'app.force-kill', pid }), { type: 'forceKillApp', pid }];

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** One transition, with state and input frozen. */
const step = (s: JobState, input: JobInput, policy = POLICY) => transition(deepFreeze(s), deepFreeze(input), policy);

/** The state reached from idle (at 0) through `inputs`. */
function reach(inputs: JobInput[], policy = POLICY): JobState {
  let s = initialJobState(0);
  for (const input of inputs) s = step(s, input, policy).state;
  return s;
}

// States reached the way the supervisor reaches them.
const running = (): JobState => reach([change(1, MAIN), built(2), startedApp(3, OLD.pid)]);
const buildingWithApp = (): JobState => reach([change(1, MAIN), built(2), startedApp(3, OLD.pid), change(10, MAIN)]);
const buildingWithoutApp = (): JobState => reach([change(1, MAIN)]);
const stoppingForRestart = (): JobState => reach([change(1, MAIN), built(2), startedApp(3, OLD.pid), change(10, MAIN), built(20)]);
const starting = (): JobState => reach([change(1, MAIN), built(2)]);
const backoff = (): JobState => reach([change(1, MAIN), built(2), startedApp(3, OLD.pid), exited(50, OLD.pid, exit(47))], RESTART);

describe('the job: idle', () => {
  it('starts idle, not started', () => {
    expect(initialJobState(7)).toEqual({ name: 'idle', since: 7, why: 'not-started' });
  });

  it('change → building: the build is reported and started', () => {
    expect(step(initialJobState(0), change(5, MAIN))).toEqual({
      state: { name: 'building', since: 5, batch: MAIN, trigger: 'main.go', crashes: 0, shutdown: false },
      effects: [buildStart('main.go'), startBuild(MAIN)],
    });
  });

  it('ignores what concerns no app or build (exit, restart timer, second Ctrl-C)', () => {
    const s = initialJobState(0);
    for (const input of [exited(5, 100, exit(1)), elapsed(5), forceKill(5), stopped(5), startedApp(5, 1)]) {
      expect(step(s, input)).toEqual({ state: s, effects: [] });
    }
  });
});

describe('the job: building', () => {
  it('change during a build: the build is canceled (said once), then the newer change is built', () => {
    const b = buildingWithApp();
    const superseded = step(b, change(12, UTIL));
    expect(superseded).toEqual({
      state: { ...b, queued: UTIL, queuedAt: 12, canceled: 'superseded' },
      effects: [report({ kind: 'build.superseded', trigger: 'util.go' }), { type: 'cancelBuild' }],
    });
    // A third change while the cancel is under way: merged into what is built next, no second cancel.
    const again = step(superseded.state, change(13, MAIN));
    expect(again).toEqual({
      state: { ...b, queued: { ...batch('util.go', 'main.go') }, queuedAt: 12, canceled: 'superseded' },
      effects: [],
    });
    // The canceled build's tree is gone: the newer change builds, the old app still serves; the oldest
    // change not yet served came when the canceled build started.
    expect(step(again.state, canceled(30, 60))).toEqual({
      state: {
        name: 'building',
        since: 30,
        batch: batch('util.go', 'main.go'),
        trigger: '2 files in .',
        app: OLD,
        crashes: 0,
        shutdown: false,
        pendingSince: 10,
      },
      effects: [
        report({ kind: 'build.canceled', buildMs: 60, shuttingDown: false }),
        buildStart('2 files in .', 2),
        startBuild(batch('util.go', 'main.go')),
      ],
    });
  });

  it('a build that ended well just as a newer change came: reported done and stale, and built again (nothing stopped)', () => {
    const b = step(buildingWithApp(), change(12, UTIL)).state;
    expect(step(b, built(14, 700))).toEqual({
      state: { name: 'building', since: 14, batch: UTIL, trigger: 'util.go', app: OLD, crashes: 0, shutdown: false, pendingSince: 10 },
      effects: [
        report({ kind: 'build.done', buildMs: 700 }),
        report({ kind: 'build.stale', during: 'build' }),
        buildStart('util.go'),
        startBuild(UTIL),
      ],
    });
  });

  it('a good build with an app running → stopping it, to start the new binary after', () => {
    expect(step(buildingWithApp(), built(20, 500))).toEqual({
      state: { name: 'stopping', since: 20, app: OLD, why: 'restart', startAfter: 'main.go', shutdown: false, forced: false },
      effects: [report({ kind: 'build.done', buildMs: 500 }), stopApp(OLD.pid, 'restart')],
    });
  });

  it('a good build with no app → starting at once', () => {
    expect(step(buildingWithoutApp(), built(20, 500))).toEqual({
      state: { name: 'starting', since: 20, reason: 'main.go', crashes: 0, shutdown: false, forced: false },
      effects: [report({ kind: 'build.done', buildMs: 500 }), startApp('main.go')],
    });
  });

  it('a failed build with build.onFailure: keep-running → the old app keeps running', () => {
    expect(step(buildingWithApp(), failed(20))).toEqual({
      state: { name: 'running', since: 20, app: OLD, crashes: 0 },
      effects: [report({ kind: 'build.failed', result: failedBuild, appRunning: true })],
    });
  });

  it('a failed build with build.onFailure: stop → the app is stopped, and nothing starts after', () => {
    const stopping = step(buildingWithApp(), failed(20), STOP_ON_FAILURE);
    expect(stopping).toEqual({
      state: { name: 'stopping', since: 20, app: OLD, why: 'build failed (build.onFailure: stop)', shutdown: false, forced: false },
      effects: [
        report({ kind: 'build.failed', result: failedBuild, appRunning: true }),
        stopApp(OLD.pid, 'build failed (build.onFailure: stop)'),
      ],
    });
    expect(step(stopping.state, stopped(25), STOP_ON_FAILURE)).toEqual({
      state: { name: 'idle', since: 25, why: 'stopped' },
      effects: [appStop(OLD.pid, 'build failed (build.onFailure: stop)')],
    });
  });

  it('a failed build with build.onFailure: stop, canceled for a newer change: no verdict, the app is not stopped; the change builds, and its failure stops it', () => {
    const b = step(buildingWithApp(), change(12, UTIL), STOP_ON_FAILURE).state;
    const next = step(b, failed(20), STOP_ON_FAILURE);
    expect(next.state).toMatchObject({ name: 'building', batch: UTIL, app: OLD });
    expect(next.effects.map((e) => e.type)).not.toContain('stopApp');
    const stopping = step(next.state, failed(30), STOP_ON_FAILURE);
    expect(stopping.state).toMatchObject({ name: 'stopping', why: 'build failed (build.onFailure: stop)' });
  });

  it('a failed build with no app, under either policy → idle', () => {
    for (const policy of [POLICY, STOP_ON_FAILURE]) {
      expect(step(buildingWithoutApp(), failed(20), policy)).toEqual({
        state: { name: 'idle', since: 20, why: 'build-failed' },
        effects: [report({ kind: 'build.failed', result: failedBuild, appRunning: false })],
      });
    }
  });

  it('a build canceled for a newer change that had already failed: not reported as a failure; the newer change builds', () => {
    const canceling = step(buildingWithApp(), change(12, UTIL)).state;
    const after = step(canceling, failed(20));
    expect(after.effects).toEqual([
      report({ kind: 'build.failed-superseded', buildMs: 300, next: 'newer-change' }),
      buildStart('util.go'),
      startBuild(UTIL),
    ]);
    expect(after.state).toMatchObject({ name: 'building', batch: UTIL, app: OLD, setAside: 1 });
  });

  it('a failure while a file it read is still open for writing (a generator streaming past the wait): no build before its close, no failure said', () => {
    const writing: JobInput = { type: 'buildFinished', at: 20, outcome: { kind: 'superseded', result: failedBuild, writing: true } };
    expect(step(buildingWithApp(), writing)).toEqual({
      state: { name: 'running', since: 20, app: OLD, crashes: 0 },
      effects: [report({ kind: 'build.failed-superseded', buildMs: 300, next: 'writer' })],
    });
    expect(step(buildingWithoutApp(), writing).state).toEqual({ name: 'idle', since: 20, why: 'build-canceled' });
  });

  it('a failure while files changed (superseded): not reported as a failure; the same batch builds again, the old app serving', () => {
    const notice = report({ kind: 'build.failed-superseded', buildMs: 300, next: 'again' });
    expect(step(buildingWithApp(), supersededFailure(20))).toEqual({
      state: {
        name: 'building',
        since: 20,
        batch: MAIN,
        trigger: 'main.go',
        app: OLD,
        crashes: 0,
        shutdown: false,
        pendingSince: 10,
        setAside: 1,
      },
      effects: [notice, buildStart('main.go'), startBuild(MAIN)],
    });
    // build.onFailure: stop does not stop the app for it: it was no verdict.
    expect(step(buildingWithApp(), supersededFailure(20), STOP_ON_FAILURE).effects).toEqual([
      notice,
      buildStart('main.go'),
      startBuild(MAIN),
    ]);
    // With no app: the same, nothing to stop or keep.
    expect(step(buildingWithoutApp(), supersededFailure(20)).state).toEqual({
      name: 'building',
      since: 20,
      batch: MAIN,
      trigger: 'main.go',
      crashes: 0,
      shutdown: false,
      pendingSince: 1,
      setAside: 1,
    });
  });

  it('a superseded failure with a newer change queued: the newer change builds', () => {
    const b = step(buildingWithApp(), change(12, UTIL)).state;
    expect(step(b, supersededFailure(20))).toEqual({
      state: {
        name: 'building',
        since: 20,
        batch: UTIL,
        trigger: 'util.go',
        app: OLD,
        crashes: 0,
        shutdown: false,
        pendingSince: 10,
        setAside: 1,
      },
      effects: [report({ kind: 'build.failed-superseded', buildMs: 300, next: 'newer-change' }), buildStart('util.go'), startBuild(UTIL)],
    });
  });

  it('failures set aside three times in a row (files change through every build): the third is reported as a failure, the old app serving', () => {
    let s = buildingWithApp();
    for (const at of [20, 30]) s = step(s, supersededFailure(at)).state;
    expect(s).toMatchObject({ name: 'building', setAside: 2 });
    const third = step(s, supersededFailure(40));
    expect(third.effects[0]).toEqual(report({ kind: 'build.failed-superseded', buildMs: 300, next: 'reported', times: 3 }));
    expect(third.effects.some((e) => e.type === 'report' && e.report.kind === 'build.failed')).toBe(true);
    expect(third.state).toMatchObject({ name: 'running', app: OLD });
    expect('setAside' in third.state).toBe(false);
  });

  it("a superseded failure keeps a crashed app's restart due; during shutdown it ends the job like any build", () => {
    const gone = step(buildingWithApp(), exited(15, OLD.pid, exit(12)), RESTART).state;
    expect(step(gone, supersededFailure(20), RESTART).state).toMatchObject({
      name: 'building',
      crashRestart: { due: 115, exit: exit(12) },
    });
    const down = step(buildingWithApp(), shutdown(12)).state;
    expect(step(down, supersededFailure(13))).toEqual({
      state: { name: 'stopping', since: 13, app: OLD, why: 'shutdown', shutdown: true, forced: false },
      effects: [report({ kind: 'build.failed-superseded', buildMs: 300, next: 'shutdown' }), stopApp(OLD.pid, 'shutdown')],
    });
  });

  it('a build that could not run (no go) → said, and the old app keeps running', () => {
    const error = new Error('go not found');
    expect(step(buildingWithApp(), buildError(20, error))).toEqual({
      state: { name: 'running', since: 20, app: OLD, crashes: 0 },
      effects: [report({ kind: 'build.error', error })],
    });
    expect(step(buildingWithoutApp(), buildError(20, error)).state).toEqual({ name: 'idle', since: 20, why: 'build-error' });
  });

  it('the old app exits on its own during a build: forgotten and said; the build then starts the new one without a stop', () => {
    const gone = step(buildingWithApp(), exited(15, OLD.pid, exit(12)));
    const { app: _app, ...withoutApp } = buildingWithApp() as Extract<JobState, { name: 'building' }>;
    expect(gone).toEqual({
      state: withoutApp,
      effects: [{ type: 'forgetApp', pid: OLD.pid }, report({ kind: 'app.exit', pid: OLD.pid, exit: exit(12), next: 'build-running' })],
    });
    expect(step(gone.state, built(20)).effects).toEqual([report({ kind: 'build.done', buildMs: 500 }), startApp('main.go')]);
  });

  it('with run.onCrash: restart, an exit during a build leaves a restart due, taken only if the build fails', () => {
    const policy = RESTART;
    const gone = step(buildingWithApp(), exited(15, OLD.pid, exit(12)), policy);
    expect(gone.effects).toEqual([
      { type: 'forgetApp', pid: OLD.pid },
      report({ kind: 'app.exit', pid: OLD.pid, exit: exit(12), next: 'build-running', restartInMs: 100, crashes: 1 }),
    ]);
    expect(gone.state).toMatchObject({ name: 'building', crashes: 1, crashRestart: { due: 115, exit: exit(12) } });
    expect(gone.state).not.toHaveProperty('app');
    // The build fails 30 ms before the restart is due: the old binary restarts then.
    expect(step(gone.state, failed(85), policy)).toEqual({
      state: { name: 'backoff', since: 85, delayMs: 30, until: 115, crashes: 1, lastExit: exit(12) },
      effects: [
        report({ kind: 'build.failed', result: failedBuild, appRunning: false, restartInMs: 30 }),
        { type: 'scheduleRestart', delayMs: 30 },
      ],
    });
    // A build that fails after the restart was due: at once.
    expect(step(gone.state, failed(400), policy).effects.at(-1)).toEqual({ type: 'scheduleRestart', delayMs: 0 });
    // A good build starts the new binary instead, and the count starts over.
    expect(step(gone.state, built(85), policy).state).toEqual({
      name: 'starting',
      since: 85,
      reason: 'main.go',
      crashes: 0,
      shutdown: false,
      forced: false,
    });
    // A newer change calls the restart off: it is what runs next, and if it fails nothing runs.
    const superseded = step(gone.state, change(20, UTIL), policy).state;
    expect(superseded).not.toHaveProperty('crashRestart');
    const rebuilt = step(superseded, canceled(30), policy).state;
    expect(step(rebuilt, failed(40), policy).state).toEqual({ name: 'idle', since: 40, why: 'build-failed' });
    // build.onFailure: stop: a failed build leaves no app, crashed or not.
    const strict = { ...RESTART, onFailure: 'stop' as const };
    const goneStrict = step(buildingWithApp(), exited(15, OLD.pid, exit(12)), strict).state;
    expect(step(goneStrict, failed(85), strict)).toEqual({
      state: { name: 'idle', since: 85, why: 'build-failed' },
      effects: [report({ kind: 'build.failed', result: failedBuild, appRunning: false })],
    });
  });

  it('an exit of another pid is not this app: ignored', () => {
    const b = buildingWithApp();
    expect(step(b, exited(15, 999, exit(1)))).toEqual({ state: b, effects: [] });
  });

  it('second Ctrl-C during a build kills the serving app now; with no app there is nothing to kill', () => {
    const b = buildingWithApp();
    expect(step(b, forceKill(15))).toEqual({ state: b, effects: forceKillEffects(OLD.pid) });
    const n = buildingWithoutApp();
    expect(step(n, forceKill(15))).toEqual({ state: n, effects: [] });
  });

  it('shutdown after a supersede: the cancel is not sent twice and the first reason stays recorded', () => {
    const b = step(buildingWithApp(), change(12, UTIL)).state;
    expect(step(b, shutdown(13))).toEqual({ state: { ...b, shutdown: true }, effects: [] });
  });

  it('while shutting down, changes are fenced off and an exit of the app is not reported', () => {
    const b = step(buildingWithApp(), shutdown(12)).state;
    expect(step(b, change(13, UTIL))).toEqual({ state: b, effects: [] });
    const { app: _app, ...withoutApp } = b as Extract<JobState, { name: 'building' }>;
    expect(step(b, exited(14, OLD.pid, exit(1)))).toEqual({ state: withoutApp, effects: [{ type: 'forgetApp', pid: OLD.pid }] });
  });
});

describe('the job: sources the app already runs', () => {
  const APP = { pid: 100, startedAt: 3, identity: 'go:A' };
  const runningA = (): JobState => reach([change(1, MAIN), builtBinary(2, 'go:A'), startedBinary(3, APP.pid, 'go:A')]);
  const buildingOverA = (): JobState => step(runningA(), change(10, UTIL)).state;

  it('a start records the identity of the binary it runs', () => {
    expect(runningA()).toEqual({ name: 'running', since: 3, app: APP, crashes: 0 });
  });

  it('a good build whose binary the app already runs: no restart, the same app keeps running', () => {
    expect(step(buildingOverA(), builtBinary(20, 'go:A', 700))).toEqual({
      state: { name: 'running', since: 20, app: APP, crashes: 0 },
      effects: [
        report({ kind: 'build.done', buildMs: 700 }),
        report({ kind: 'build.same-binary', pid: APP.pid, buildMs: 700 }),
        servingBuilt,
      ],
    });
  });

  it('the same binary, but a file go does not compile changed with it (a template the app reads at start): the app restarts', () => {
    const withTemplate = step(runningA(), change(10, batch('util.go', 'templates/index.tmpl', 'go.sum'))).state;
    const after = step(withTemplate, builtBinary(20, 'go:A', 700));
    expect(after.state).toMatchObject({ name: 'stopping', app: APP, startAfter: '3 files in 2 packages: . (2), ./templates (1)' });
    expect(after.effects.slice(0, 2)).toEqual([
      report({ kind: 'build.done', buildMs: 700 }),
      report({ kind: 'build.same-binary', pid: APP.pid, buildMs: 700, restarting: ['templates/index.tmpl'] }),
    ]);
    // go's own inputs only (Go, cgo, assembly, go.mod, vendor/modules.txt): the same binary is their new code.
    const goOnly = step(runningA(), change(10, batch('a.go', 'x.c', 'y.h', 'z.s', 'go.mod', 'vendor/modules.txt', 'r.syso'))).state;
    expect(step(goOnly, builtBinary(20, 'go:A')).state).toMatchObject({ name: 'running', app: APP });
  });

  it('another binary, or one whose identity is unknown: the app restarts as before', () => {
    expect(step(buildingOverA(), builtBinary(20, 'go:B')).state).toMatchObject({ name: 'stopping', app: APP, startAfter: 'util.go' });
    expect(step(buildingOverA(), built(20)).state).toMatchObject({ name: 'stopping', app: APP, startAfter: 'util.go' });
  });

  it('no app running: the binary starts, identical or not', () => {
    const b = step(step(runningA(), exited(5, APP.pid, exit(2))).state, change(6, UTIL)).state;
    expect(step(b, builtBinary(20, 'go:A')).state).toMatchObject({ name: 'starting', reason: 'util.go' });
  });

  it('revert while running: said, nothing else', () => {
    const s = runningA();
    expect(step(s, revert(10, MAIN))).toEqual({ state: s, effects: [report({ kind: 'build.reverted', pid: APP.pid, canceled: false })] });
  });

  it('revert during a build for the change it undoes: the build is canceled, then the same app keeps running', () => {
    const b = buildingOverA();
    const back = step(b, revert(12, UTIL));
    expect(back).toEqual({
      state: { ...b, canceled: 'reverted' },
      effects: [report({ kind: 'build.reverted', pid: APP.pid, canceled: true }), { type: 'cancelBuild' }],
    });
    // However the build ends (canceled, or it finished first, well or not), nothing restarts.
    expect(step(back.state, canceled(14, 30))).toEqual({
      state: { name: 'running', since: 14, app: APP, crashes: 0 },
      effects: [report({ kind: 'build.canceled', buildMs: 30, shuttingDown: false, reverted: true })],
    });
    for (const end of [builtBinary(14, 'go:B'), failed(14), supersededFailure(14)]) {
      expect(step(back.state, end)).toEqual({ state: { name: 'running', since: 14, app: APP, crashes: 0 }, effects: [] });
    }
  });

  it('revert after a newer change was queued: both are undone, the cancel is not sent twice', () => {
    const superseded = step(buildingOverA(), change(11, MAIN)).state;
    const back = step(superseded, revert(12, BOTH));
    expect(back.effects).toEqual([report({ kind: 'build.reverted', pid: APP.pid, canceled: true })]);
    expect(back.state).not.toHaveProperty('queued');
    expect(step(back.state, canceled(14)).state).toEqual({ name: 'running', since: 14, app: APP, crashes: 0 });
    // A change after the revert is built once the canceled build is gone.
    const again = step(back.state, change(13, UTIL)).state;
    expect(step(again, canceled(14)).state).toMatchObject({ name: 'building', batch: UTIL, app: APP });
  });

  it('revert with no app serving (idle, backoff, a build after a crash) is an ordinary change', () => {
    expect(step(initialJobState(0), revert(5, MAIN))).toEqual(step(initialJobState(0), change(5, MAIN)));
    expect(step(buildingWithoutApp(), revert(5, UTIL))).toEqual(step(buildingWithoutApp(), change(5, UTIL)));
    expect(step(backoff(), revert(60, UTIL), RESTART)).toEqual(step(backoff(), change(60, UTIL), RESTART));
    expect(step(stoppingForRestart(), revert(22, UTIL))).toEqual(step(stoppingForRestart(), change(22, UTIL)));
  });
});

describe('the job: edits that never stop (bounded staleness)', () => {
  // The oldest change not yet served came at 10 (buildingWithApp); a rebuild started 1 s (maxWait) later.
  const lateRebuild = (): JobState => step(step(buildingWithApp(), change(12, UTIL)).state, canceled(1010)).state;

  it('a rebuild that started maxWait or more after the oldest change not served is let finish: the change waits', () => {
    const b = lateRebuild();
    expect(b).toMatchObject({ name: 'building', since: 1010, pendingSince: 10 });
    const kept = step(b, change(1500, MAIN));
    expect(kept).toEqual({
      state: { ...b, queued: MAIN, queuedAt: 1500, finishing: true },
      effects: [report({ kind: 'build.kept', trigger: 'main.go', waitingMs: 1490 })],
    });
    // More changes join the queue in silence.
    expect(step(kept.state, change(1600, UTIL))).toEqual({
      state: { ...b, queued: batch('main.go', 'util.go'), queuedAt: 1500, finishing: true },
      effects: [],
    });
  });

  it('a build started less than maxWait after the oldest change is canceled as ever (a burst in two batches)', () => {
    const b = step(step(buildingWithApp(), change(12, UTIL)).state, canceled(1009)).state;
    expect(step(b, change(1500, MAIN)).effects).toEqual([
      report({ kind: 'build.superseded', trigger: 'main.go' }),
      { type: 'cancelBuild' },
    ]);
  });

  it('the build let finish ends well: the old app stops, its binary starts all the same, then the queued change builds', () => {
    const kept = step(lateRebuild(), change(1500, MAIN)).state;
    const stopping = step(kept, built(2500, 1490));
    expect(stopping).toEqual({
      state: {
        name: 'stopping',
        since: 2500,
        app: OLD,
        why: 'restart',
        startAfter: 'util.go',
        queued: MAIN,
        queuedAt: 1500,
        startAnyway: true,
        shutdown: false,
        forced: false,
      },
      effects: [report({ kind: 'build.done', buildMs: 1490 }), stopApp(OLD.pid, 'restart')],
    });
    // A change during that stop does not make its binary stale: no build.stale, it still starts.
    const more = step(stopping.state, change(2505, UTIL));
    expect(more.effects).toEqual([]);
    const starting = step(more.state, stopped(2510, 10));
    expect(starting).toEqual({
      state: {
        name: 'starting',
        since: 2510,
        reason: 'util.go',
        stopMs: 10,
        crashes: 0,
        queued: batch('main.go', 'util.go'),
        queuedAt: 1500,
        shutdown: false,
        forced: false,
      },
      effects: [appStop(OLD.pid, 'restart', 10), startApp('util.go')],
    });
    expect(step(starting.state, startedApp(2515, 300))).toEqual({
      state: {
        name: 'building',
        since: 2515,
        batch: batch('main.go', 'util.go'),
        trigger: '2 files in .',
        app: { pid: 300, startedAt: 2515 },
        crashes: 0,
        shutdown: false,
        pendingSince: 1500,
      },
      effects: [appStart(300, 'util.go', 10), servingBuilt, buildStart('2 files in .', 2), startBuild(batch('main.go', 'util.go'))],
    });
  });

  it('let finish with no app: its binary starts, then the queued change builds; the same binary as the app: the change builds at once', () => {
    const noApp = step(step(step(buildingWithoutApp(), change(12, UTIL)).state, canceled(1010)).state, change(1500, MAIN)).state;
    expect(noApp).toMatchObject({ finishing: true });
    expect(step(noApp, built(2500))).toEqual({
      state: { name: 'starting', since: 2500, reason: 'util.go', crashes: 0, queued: MAIN, queuedAt: 1500, shutdown: false, forced: false },
      effects: [report({ kind: 'build.done', buildMs: 500 }), startApp('util.go')],
    });
    const app = { pid: 100, startedAt: 3, identity: 'go:A' };
    const withA = reach([
      change(1, MAIN),
      builtBinary(2, 'go:A'),
      startedBinary(3, 100, 'go:A'),
      change(10, MAIN),
      change(12, UTIL),
      canceled(1010),
      change(1500, MAIN),
    ]);
    expect(step(withA, builtBinary(2500, 'go:A', 900))).toEqual({
      state: { name: 'building', since: 2500, batch: MAIN, trigger: 'main.go', app, crashes: 0, shutdown: false, pendingSince: 1500 },
      effects: [
        report({ kind: 'build.done', buildMs: 900 }),
        report({ kind: 'build.same-binary', pid: 100, buildMs: 900 }),
        servingBuilt,
        buildStart('main.go'),
        startBuild(MAIN),
      ],
    });
  });

  it('a build let finish that fails (for real, or superseded) gives way to the queued change as any build does', () => {
    const kept = step(lateRebuild(), change(1500, MAIN)).state;
    expect(step(kept, failed(2500)).effects).toEqual([
      report({ kind: 'build.failed', result: failedBuild, appRunning: true }),
      buildStart('main.go'),
      startBuild(MAIN),
    ]);
    expect(step(kept, supersededFailure(2500)).state).toMatchObject({ name: 'building', batch: MAIN, pendingSince: 10 });
  });

  /**
   * Drives the job as the effect loop would: a change every `editEveryMs`, builds that take `buildMs`
   * unless canceled (gone 50 ms after the cancel), stops of 10 ms, starts of 5 ms. Returns how long each
   * change waited until a binary that includes it started (a build includes every change before its start).
   */
  function simulate(
    editEveryMs: number,
    buildMs: number,
    editsUntil: number,
    policy = POLICY,
  ): { waits: number[]; canceled: number; kept: number; servedLast: boolean } {
    type Pending = { at: number; input: JobInput; build?: number };
    let s = running();
    const queue: Pending[] = [];
    const arrivals = new Map<string, number>();
    let buildId = 0;
    // A build compiles the tree as of its start: every change that came before it.
    let building: { id: number; startedAt: number } | undefined;
    let lastBuilt: number | undefined;
    let pid = 500;
    let canceledBuilds = 0;
    let kept = 0;
    const waits = new Map<string, number>();
    for (let t = editEveryMs, i = 0; t <= editsUntil; t += editEveryMs, i++) {
      const file = `f${i}.go`;
      arrivals.set(`${ROOT}/${file}`, t);
      queue.push({ at: t, input: change(t, batch(file)) });
    }
    for (let guard = 0; queue.length > 0 && guard < 100_000; guard++) {
      queue.sort((a, b) => a.at - b.at);
      const { at, input, build } = queue.shift()!;
      if (build !== undefined && build !== building?.id) continue; // a finish of a canceled build
      const r = step(s, input, policy);
      s = r.state;
      for (const e of r.effects) {
        if (e.type === 'report' && e.report.kind === 'build.kept') kept++;
        if (e.type === 'startBuild') {
          building = { id: ++buildId, startedAt: at };
          queue.push({ at: at + buildMs, input: built(at + buildMs, buildMs), build: buildId });
        } else if (e.type === 'cancelBuild') {
          canceledBuilds++;
          const id = ++buildId; // the pending finish no longer counts
          building = { id, startedAt: building!.startedAt };
          queue.push({ at: at + 50, input: canceled(at + 50), build: id });
        } else if (e.type === 'stopApp') queue.push({ at: at + 10, input: stopped(at + 10, 10) });
        else if (e.type === 'startApp') queue.push({ at: at + 5, input: startedApp(at + 5, ++pid) });
        else if (e.type === 'servingBuilt')
          for (const [p, came] of arrivals) if (came <= lastBuilt! && !waits.has(p)) waits.set(p, at - came);
      }
      if (input.type === 'buildFinished' && input.outcome.kind === 'ok') lastBuilt = building!.startedAt;
    }
    const last = [...arrivals.keys()].at(-1)!;
    return { waits: [...waits.values()], canceled: canceledBuilds, kept, servedLast: waits.has(last) };
  }

  it('an edit every 0.5 s with 1.5 s builds: every edit serves within maxWait + 2 builds + stop and start, the last one too', () => {
    const { waits, canceled: n, kept, servedLast } = simulate(500, 1500, 60_000);
    expect(n).toBeGreaterThan(0); // bursts still cancel
    expect(kept).toBeGreaterThan(0);
    expect(servedLast).toBe(true);
    expect(Math.max(...waits)).toBeLessThanOrEqual(1000 + 2 * 1500 + 50 + 10 + 5);
    // Without the bound (cancel on every change), the first edit would wait for the edits to stop.
    const unbounded = simulate(500, 1500, 60_000, { ...POLICY, maxWaitMs: Number.POSITIVE_INFINITY });
    expect(Math.max(...unbounded.waits)).toBeGreaterThan(55_000);
  });

  it('builds faster than the edits: nothing is ever let finish or canceled, each edit serves after one build', () => {
    const { waits, canceled: n } = simulate(2000, 300, 20_000);
    expect(n).toBe(0);
    expect(Math.max(...waits)).toBe(300 + 10 + 5);
  });
});

describe('the job: restart without a build', () => {
  const APP = { pid: 100, startedAt: 3, identity: 'go:A' };
  const runningA = (): JobState => reach([change(1, MAIN), builtBinary(2, 'go:A'), startedBinary(3, APP.pid, 'go:A')]);
  const reason = 'run.envFiles changed (.env)';

  it('running: the app is stopped and the same binary started, no build', () => {
    const stopping = step(runningA(), restart(10));
    expect(stopping).toEqual({
      state: { name: 'stopping', since: 10, app: APP, why: 'restart', startAfter: reason, shutdown: false, forced: false },
      effects: [report({ kind: 'app.restart', pid: APP.pid, reason }), stopApp(APP.pid, 'restart')],
    });
    const starting = step(stopping.state, stopped(12, 2));
    expect(starting.effects).toEqual([appStop(APP.pid, 'restart', 2), startApp(reason)]);
    expect(step(starting.state, startedBinary(13, 101, 'go:A')).state).toEqual({
      name: 'running',
      since: 13,
      app: { pid: 101, startedAt: 13, identity: 'go:A' },
      crashes: 0,
    });
  });

  it('during a build: the build goes on, forced: a good build restarts the app even with the same binary', () => {
    const b = step(runningA(), change(10, UTIL)).state;
    const forced = step(b, restart(11));
    expect(forced).toEqual({ state: { ...b, batch: { ...UTIL, force: true } }, effects: [] });
    expect(step(forced.state, builtBinary(20, 'go:A')).state).toMatchObject({ name: 'stopping', app: APP, startAfter: 'util.go' });
    // Without it, the same binary restarts nothing.
    expect(step(b, builtBinary(20, 'go:A')).state).toMatchObject({ name: 'running', app: APP });
  });

  it('a forced batch (the r key: rebuild and restart) restarts the app even when the binary is the same', () => {
    const b = step(runningA(), change(10, { ...UTIL, force: true })).state;
    expect(step(b, builtBinary(20, 'go:A')).state).toMatchObject({ name: 'stopping', app: APP, startAfter: 'util.go' });
    // A newer change cancels it: the build that replaces it is forced too.
    const next = step(step(b, change(12, MAIN)).state, canceled(14)).state;
    expect(next).toMatchObject({ name: 'building', batch: { ...MAIN, force: true } });
  });

  it('after a revert canceled the build: queued, so the app still restarts once the build is gone', () => {
    const back = step(step(runningA(), change(10, UTIL)).state, revert(11, UTIL)).state;
    const queued = step(back, restart(12)).state;
    expect(queued).toMatchObject({ canceled: 'reverted', queued: ENV, queuedAt: 12 });
    expect(step(queued, canceled(14)).state).toMatchObject({ name: 'building', batch: ENV, app: APP });
  });

  it('nothing to restart (idle, backoff, a start under way): its batch builds, forced', () => {
    expect(step(initialJobState(0), restart(5))).toEqual(step(initialJobState(0), change(5, ENV)));
    expect(step(backoff(), restart(60), RESTART)).toEqual(step(backoff(), change(60, ENV), RESTART));
    expect(step(starting(), restart(3)).state).toMatchObject({ name: 'starting', queued: ENV });
  });

  it('a stop that starts the new binary after: nothing to do (the start reads the environment then)', () => {
    const s = stoppingForRestart();
    expect(step(s, restart(22))).toEqual({ state: s, effects: [] });
  });
});

describe('the job: stopping', () => {
  it('change while the old app stops: the stop goes on; then the change builds, the stale binary is never started', () => {
    const s = stoppingForRestart();
    const queued = step(s, change(22, UTIL));
    expect(queued).toEqual({ state: { ...s, queued: UTIL, queuedAt: 22 }, effects: [report({ kind: 'build.stale', during: 'stop' })] });
    const more = step(queued.state, change(23, MAIN));
    expect(more).toEqual({ state: { ...s, queued: batch('util.go', 'main.go'), queuedAt: 22 }, effects: [] });
    expect(step(more.state, stopped(30, 3000))).toEqual({
      state: {
        name: 'building',
        since: 30,
        batch: batch('util.go', 'main.go'),
        trigger: '2 files in .',
        crashes: 0,
        shutdown: false,
        pendingSince: 22,
      },
      effects: [appStop(OLD.pid, 'restart', 3000), buildStart('2 files in .', 2), startBuild(batch('util.go', 'main.go'))],
    });
  });

  it('stop over, nothing newer → starting the new binary, with the stop time', () => {
    expect(step(stoppingForRestart(), stopped(30, 40))).toEqual({
      state: { name: 'starting', since: 30, reason: 'main.go', stopMs: 40, crashes: 0, shutdown: false, forced: false },
      effects: [appStop(OLD.pid, 'restart'), startApp('main.go')],
    });
  });

  it("the app's own exit during its stop is part of the stop: ignored", () => {
    const s = stoppingForRestart();
    expect(step(s, exited(22, OLD.pid, exit(18, 0)))).toEqual({ state: s, effects: [] });
  });

  it('second Ctrl-C during a stop ends its grace now (each time it is pressed)', () => {
    const s = step(stoppingForRestart(), shutdown(21)).state;
    const forced = step(s, forceKill(22));
    expect(forced).toEqual({ state: { ...s, forced: true }, effects: forceKillEffects(OLD.pid) });
    expect(step(forced.state, forceKill(23)).effects).toEqual(forceKillEffects(OLD.pid));
    expect(step(forced.state, stopped(24, 3))).toEqual({
      state: { name: 'stopped', since: 24 },
      effects: [appStop(OLD.pid, 'restart', 3)],
    });
  });

  it('shutdown during a stop drops the queued change and fences off new ones; the stop keeps its first reason', () => {
    const s = step(stoppingForRestart(), change(21, UTIL)).state;
    const down = step(s, shutdown(22));
    expect(down.effects).toEqual([]);
    expect(down.state).toEqual({
      name: 'stopping',
      since: 20,
      app: OLD,
      why: 'restart',
      startAfter: 'main.go',
      shutdown: true,
      forced: false,
    });
    expect(step(down.state, change(23, MAIN))).toEqual({ state: down.state, effects: [] });
  });
});

describe('the job: starting', () => {
  it('start over → running', () => {
    expect(step(starting(), startedApp(3, 200))).toEqual({
      state: { name: 'running', since: 3, app: { pid: 200, startedAt: 3 }, crashes: 0 },
      effects: [appStart(200, 'main.go'), servingBuilt],
    });
  });

  it('change while the app starts (no build running): queued; once it runs, the change builds while it serves', () => {
    const s = starting();
    const queued = step(s, change(3, UTIL));
    expect(queued).toEqual({ state: { ...s, queued: UTIL, queuedAt: 3 }, effects: [] });
    expect(step(queued.state, startedApp(4, 200))).toEqual({
      state: {
        name: 'building',
        since: 4,
        batch: UTIL,
        trigger: 'util.go',
        app: { pid: 200, startedAt: 4 },
        crashes: 0,
        shutdown: false,
        pendingSince: 3,
      },
      effects: [appStart(200, 'main.go'), servingBuilt, buildStart('util.go'), startBuild(UTIL)],
    });
  });

  it('a start that fails → idle (or the queued change builds)', () => {
    const error = new Error('EACCES');
    expect(step(starting(), startFailed(4, error))).toEqual({
      state: { name: 'idle', since: 4, why: 'start-failed' },
      effects: [report({ kind: 'app.start-failed', error })],
    });
    expect(step(step(starting(), change(3, UTIL)).state, startFailed(4, error)).effects).toEqual([
      report({ kind: 'app.start-failed', error }),
      buildStart('util.go'),
      startBuild(UTIL),
    ]);
  });

  it('shutdown while starting: the app that started is stopped at once (SIGKILL too after a second Ctrl-C)', () => {
    const down = step(starting(), shutdown(3));
    expect(down).toEqual({ state: { ...starting(), shutdown: true }, effects: [] });
    const app = { pid: 200, startedAt: 4 };
    expect(step(down.state, startedApp(4, 200))).toEqual({
      state: { name: 'stopping', since: 4, app, why: 'shutdown', shutdown: true, forced: false },
      effects: [appStart(200, 'main.go'), stopApp(200, 'shutdown')],
    });
    const forced = step(down.state, forceKill(3.5));
    expect(forced).toEqual({ state: { ...down.state, forced: true }, effects: [] });
    expect(step(forced.state, startedApp(4, 200))).toEqual({
      state: { name: 'stopping', since: 4, app, why: 'shutdown', shutdown: true, forced: true },
      effects: [appStart(200, 'main.go'), stopApp(200, 'shutdown'), ...forceKillEffects(200)],
    });
    expect(step(down.state, startFailed(4, 'x')).state).toEqual({ name: 'stopped', since: 4 });
  });
});

describe('the job: running', () => {
  it('change → building while the app keeps serving', () => {
    expect(step(running(), change(10, UTIL))).toEqual({
      state: { name: 'building', since: 10, batch: UTIL, trigger: 'util.go', app: OLD, crashes: 0, shutdown: false },
      effects: [buildStart('util.go'), startBuild(UTIL)],
    });
  });

  it('the app exits with run.onCrash: wait-for-change → idle until the next change', () => {
    expect(step(running(), exited(50, OLD.pid, exit(47)))).toEqual({
      state: { name: 'idle', since: 50, why: 'app-exited', lastExit: exit(47) },
      effects: [{ type: 'forgetApp', pid: OLD.pid }, report({ kind: 'app.exit', pid: OLD.pid, exit: exit(47), next: 'wait-for-change' })],
    });
  });

  it('the app exits with run.onCrash: restart → backoff, doubling up to the cap, and starting over after a stable uptime', () => {
    expect(step(running(), exited(50, OLD.pid, exit(47)), RESTART)).toEqual({
      state: { name: 'backoff', since: 50, delayMs: 100, until: 150, crashes: 1, lastExit: exit(47) },
      effects: [
        { type: 'forgetApp', pid: OLD.pid },
        report({ kind: 'app.exit', pid: OLD.pid, exit: exit(47), next: 'restart', restartInMs: 100, crashes: 1 }),
        { type: 'scheduleRestart', delayMs: 100 },
      ],
    });
    // Each restart runs and crashes again: 100, 200, 400, 400 ms.
    let s = backoff();
    const delays = [100];
    for (let i = 0, t = 200, pid = 300; i < 3; i++, t += 1000, pid++) {
      s = step(s, elapsed(t), RESTART).state;
      s = step(s, startedApp(t + 1, pid), RESTART).state;
      expect(s).toMatchObject({ name: 'running', crashes: i + 1 });
      s = step(s, exited(t + 50, pid, exit(49)), RESTART).state;
      delays.push((s as Extract<JobState, { name: 'backoff' }>).delayMs);
    }
    expect(delays).toEqual([100, 200, 400, 400]);
    expect(s).toMatchObject({ name: 'backoff', crashes: 4 });
    // Up for 10 s or more: the count starts over.
    s = step(step(s, elapsed(9000), RESTART).state, startedApp(9001, 400), RESTART).state;
    expect(step(s, exited(30_000, 400, exit(20_999)), RESTART).state).toMatchObject({ name: 'backoff', delayMs: 100, crashes: 1 });
  });

  it('an exit of a pid that is not the app is ignored', () => {
    const s = running();
    expect(step(s, exited(50, 999, exit(47)))).toEqual({ state: s, effects: [] });
  });

  it('second Ctrl-C while running kills it now', () => {
    const s = running();
    expect(step(s, forceKill(50))).toEqual({ state: s, effects: forceKillEffects(OLD.pid) });
  });

  it('a good build after crashes starts the count over', () => {
    let s = step(backoff(), elapsed(150), RESTART).state;
    s = step(s, startedApp(151, 300), RESTART).state;
    s = step(s, change(160, MAIN), RESTART).state;
    expect(s).toMatchObject({ name: 'building', crashes: 1 });
    s = step(step(s, built(170), RESTART).state, stopped(171), RESTART).state;
    s = step(s, startedApp(172, 301), RESTART).state;
    expect(s).toMatchObject({ name: 'running', crashes: 0 });
    expect(step(s, exited(200, 301, exit(28)), RESTART).state).toMatchObject({ name: 'backoff', delayMs: 100, crashes: 1 });
  });
});

describe('the job: backoff', () => {
  it('the delay elapsed → the same binary starts again, the crash count carried', () => {
    expect(step(backoff(), elapsed(150), RESTART)).toEqual({
      state: { name: 'starting', since: 150, reason: 'restart after exit', crashes: 1, shutdown: false, forced: false },
      effects: [startApp('restart after exit')],
    });
  });

  it('change during backoff: the restart is called off and the change builds', () => {
    expect(step(backoff(), change(60, UTIL), RESTART)).toEqual({
      state: { name: 'building', since: 60, batch: UTIL, trigger: 'util.go', crashes: 1, shutdown: false },
      effects: [{ type: 'cancelRestartTimer' }, buildStart('util.go'), startBuild(UTIL)],
    });
  });
});

describe('the job: shutdown from every state', () => {
  const cases: [string, () => JobState, JobState['name'], Effect[]][] = [
    ['idle', () => initialJobState(0), 'stopped', []],
    ['building with the app serving', buildingWithApp, 'building', [{ type: 'cancelBuild' }]],
    ['building with no app', buildingWithoutApp, 'building', [{ type: 'cancelBuild' }]],
    ['stopping', stoppingForRestart, 'stopping', []],
    ['starting', starting, 'starting', []],
    ['running', running, 'stopping', [stopApp(OLD.pid, 'shutdown')]],
    ['backoff', backoff, 'stopped', [{ type: 'cancelRestartTimer' }]],
    ['stopped', () => ({ name: 'stopped', since: 1 }), 'stopped', []],
  ];
  for (const [name, from, to, effects] of cases) {
    it(`${name} → ${to}`, () => {
      const r = step(from(), shutdown(99), RESTART);
      expect(r.state.name).toBe(to);
      expect(r.effects).toEqual(effects);
      if (to !== 'stopped') expect(r.state).toMatchObject({ shutdown: true });
      // A second shutdown changes nothing.
      expect(step(r.state, shutdown(100), RESTART)).toEqual({ state: r.state, effects: [] });
    });
  }

  it('a build canceled by shutdown: the app is stopped, then the job is stopped', () => {
    const down = step(buildingWithApp(), shutdown(12)).state;
    expect(down).toMatchObject({ canceled: 'shutdown', shutdown: true });
    const stopping = step(down, canceled(13, 40));
    expect(stopping).toEqual({
      state: { name: 'stopping', since: 13, app: OLD, why: 'shutdown', shutdown: true, forced: false },
      effects: [report({ kind: 'build.canceled', buildMs: 40, shuttingDown: true }), stopApp(OLD.pid, 'shutdown')],
    });
    expect(step(stopping.state, stopped(14))).toEqual({ state: { name: 'stopped', since: 14 }, effects: [appStop(OLD.pid, 'shutdown')] });
    // With no app: stopped as soon as the build is gone.
    expect(step(step(buildingWithoutApp(), shutdown(12)).state, canceled(13))).toEqual({
      state: { name: 'stopped', since: 13 },
      effects: [report({ kind: 'build.canceled', buildMs: 50, shuttingDown: true })],
    });
  });

  it('a build that finished well as shutdown came: the old app is stopped for shutdown, nothing starts', () => {
    const down = step(buildingWithApp(), shutdown(12)).state;
    expect(step(down, built(13)).effects).toEqual([report({ kind: 'build.done', buildMs: 500 }), stopApp(OLD.pid, 'shutdown')]);
  });

  it('once stopped, nothing moves it', () => {
    const s: JobState = { name: 'stopped', since: 1 };
    for (const input of [change(2, MAIN), built(2), stopped(2), startedApp(2, 1), exited(2, 1, exit(1)), elapsed(2), forceKill(2)]) {
      expect(step(s, input)).toEqual({ state: s, effects: [] });
    }
  });
});

describe('the job: blue-green (proxy.proveNewVersion)', () => {
  const BLUE_GREEN: JobPolicy = { ...POLICY, proveFirst: true };
  const NEW = 200;
  const build = (): JobState => reach([change(1, MAIN), built(2), startedApp(3, OLD.pid), change(10, MAIN)], BLUE_GREEN);
  const proving = (): JobState => reach([change(1, MAIN), built(2), startedApp(3, OLD.pid), change(10, MAIN), built(20)], BLUE_GREEN);
  const retire = (pid: number, why: string): Effect => ({ type: 'retireApp', pid, why });

  it('the first start has nothing beside it: as ever', () => {
    expect(step(reach([change(1, MAIN)], BLUE_GREEN), built(2), BLUE_GREEN).effects).toEqual([
      report({ kind: 'build.done', buildMs: 500 }),
      startApp('main.go'),
    ]);
  });

  it('buildFinished ok with an app serving → starting beside it (no stop: the old app serves on)', () => {
    expect(step(build(), built(20), BLUE_GREEN)).toEqual({
      state: { name: 'starting', since: 20, reason: 'main.go', serving: OLD, crashes: 0, shutdown: false, forced: false },
      effects: [report({ kind: 'build.done', buildMs: 500 }), startApp('main.go')],
    });
    expect(servingApp(proving())?.pid).toBe(OLD.pid);
  });

  it('startFinished ok (the new version is ready) → running it; the old one retired', () => {
    expect(step(proving(), startedApp(30, NEW), BLUE_GREEN)).toEqual({
      state: { name: 'running', since: 30, app: { pid: NEW, startedAt: 30 }, crashes: 0 },
      effects: [appStart(NEW, 'main.go'), servingBuilt, retire(OLD.pid, 'replaced by the new version')],
    });
  });

  it('startFinished failed (exited, or not ready in time) → the old app runs on; the next change builds again', () => {
    const err = new Error('not ready');
    const after = step(proving(), startFailed(30, err), BLUE_GREEN);
    expect(after).toEqual({
      state: { name: 'running', since: 30, app: OLD, crashes: 0 },
      effects: [report({ kind: 'app.start-failed', error: err, oldServing: true })],
    });
    expect(step(after.state, change(40, MAIN), BLUE_GREEN).effects).toEqual([buildStart('main.go'), startBuild(MAIN)]);
  });

  it('a change while the new version proves itself waits; built next, the old app (if it stays) serving', () => {
    const s = step(proving(), change(25, UTIL), BLUE_GREEN).state;
    const err = new Error('not ready');
    const next = step(s, startFailed(30, err), BLUE_GREEN);
    expect(next.state).toMatchObject({ name: 'building', app: OLD, batch: UTIL });
  });

  it('the old app exits while the new one proves itself: forgotten; a failed start then leaves nothing running', () => {
    const s = step(proving(), exited(25, OLD.pid, exit(22)), BLUE_GREEN);
    expect(s.effects).toEqual([
      { type: 'forgetApp', pid: OLD.pid },
      report({ kind: 'app.exit', pid: OLD.pid, exit: exit(22), next: 'build-running' }),
    ]);
    expect(step(s.state, startFailed(30, 'x'), BLUE_GREEN).state).toMatchObject({ name: 'idle', why: 'start-failed' });
  });

  it('shutdown while proving: both apps are stopped', () => {
    const s = step(proving(), shutdown(25), BLUE_GREEN).state;
    const ok = step(s, startedApp(30, NEW), BLUE_GREEN);
    expect(ok.state).toMatchObject({ name: 'stopping', app: { pid: NEW }, shutdown: true });
    expect(ok.effects).toEqual([appStart(NEW, 'main.go'), retire(OLD.pid, 'shutdown'), stopApp(NEW, 'shutdown')]);
    const failedStart = step(s, startFailed(30, 'x'), BLUE_GREEN);
    expect(failedStart.state).toMatchObject({ name: 'stopping', app: OLD, shutdown: true });
    expect(failedStart.effects.at(-1)).toEqual(stopApp(OLD.pid, 'shutdown'));
  });

  it('second Ctrl-C while proving: the old app is SIGKILLed', () => {
    expect(step(proving(), forceKill(25), BLUE_GREEN).effects).toEqual(forceKillEffects(OLD.pid));
  });

  it('a restart without a build (env file, restartOnly file) → the same binary starts beside the old app', () => {
    const running = reach([change(1, MAIN), built(2), startedApp(3, OLD.pid)], BLUE_GREEN);
    const reason = 'run.envFiles changed (.env)';
    const beside = step(running, restart(10), BLUE_GREEN);
    expect(beside).toEqual({
      state: { name: 'starting', since: 10, reason, serving: OLD, crashes: 0, shutdown: false, forced: false },
      effects: [report({ kind: 'app.restart', pid: OLD.pid, reason, beside: true }), startApp(reason)],
    });
    // Ready: the old one is retired. Not ready: the old one serves on, and the failure is said.
    expect(step(beside.state, startedApp(12, NEW), BLUE_GREEN).effects).toEqual([
      appStart(NEW, reason),
      servingBuilt,
      retire(OLD.pid, 'replaced by the new version'),
    ]);
    const err = new Error('exited');
    expect(step(beside.state, startFailed(12, err), BLUE_GREEN)).toEqual({
      state: { name: 'running', since: 12, app: OLD, crashes: 0 },
      effects: [report({ kind: 'app.start-failed', error: err, oldServing: true })],
    });
  });
});

describe('the job from outside', () => {
  it('busy while a build, stop or start is in progress', () => {
    expect([initialJobState(0), buildingWithApp(), stoppingForRestart(), starting(), running(), backoff()].map(isBusy)).toEqual([
      false,
      true,
      true,
      true,
      false,
      false,
    ]);
  });

  it('the serving app: running, or still serving during a build', () => {
    expect(
      [initialJobState(0), buildingWithApp(), buildingWithoutApp(), stoppingForRestart(), running()].map((s) => servingApp(s)?.pid),
    ).toEqual([undefined, OLD.pid, undefined, undefined, OLD.pid]);
  });

  it('a snapshot names the state, since when, and what it concerns', () => {
    expect(snapshot(running(), ROOT)).toEqual({ name: 'running', since: 3, pid: OLD.pid, crashes: 0 });
    expect(snapshot(step(stoppingForRestart(), change(22, UTIL)).state, ROOT)).toEqual({
      name: 'stopping',
      since: 20,
      pid: OLD.pid,
      why: 'restart',
      trigger: 'main.go',
      queued: 'util.go',
      shuttingDown: false,
    });
    expect(snapshot(backoff(), ROOT)).toEqual({ name: 'backoff', since: 50, crashes: 1, restartAt: 150 });
    expect(snapshot(initialJobState(0), ROOT)).toEqual({ name: 'idle', since: 0, why: 'not-started' });
  });

  it('BOTH is two files in one package (fixture check)', () => {
    expect(step(initialJobState(0), change(1, BOTH)).effects[0]).toEqual(buildStart('2 files in .', 2));
  });
});
