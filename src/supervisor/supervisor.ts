/**
 * The supervisor: the effect loop of one app's job (job.ts). It feeds the job its inputs (changes, a
 * restart for an env file, files back to what runs, the end of each build, stop and start, the app's own
 * end, the restart timer, shutdown, a second Ctrl-C) and runs the effects the job returns: builds
 * (supervisor-build.ts), stops and starts (process.ts, supervisor-app.ts), the crash-restart timer, log
 * lines (report.ts). A batch that only repeats what each app start writes is held here (self-trigger.ts).
 * Every decision is the job's; this file holds only the job state and the handles of what is running
 * (the build's AbortController, the app process, the timer). It owns no grace timers (process.ts does)
 * and its only timer is the crash-restart delay.
 */
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import type { Batch } from '../pipeline/events.js';
import { buildForJob } from './supervisor-build.js';
import type { SupervisorOptions, SupervisorStats } from './supervisor-options.js';
import { APP_MARKER_KEY, type AppProcess } from './process.js';
import { processesWithMarkers } from './daemon.js';
import { appEnded, startAppForJob } from './supervisor-app.js';
import type { TreeProcess } from './kill-tree.js';
import { SelfTriggerGuard, type SelfTriggerOptions } from './self-trigger.js';
import { reportJob, reportSelfTrigger, watchListening, type ReportContext } from './report.js';
import {
  initialJobState,
  isBusy,
  servingApp,
  snapshot,
  transition,
  type BuildOutcome,
  type Effect,
  type JobInput,
  type JobPolicy,
  type JobSnapshot,
  type JobState,
} from './job.js';

export type { SupervisorOptions, SupervisorStats } from './supervisor-options.js';

/** A start-up write lands within milliseconds of the start; a person's save in lockstep 5 times is rare. */
const SELF_TRIGGER: SelfTriggerOptions = { afterStartMs: 500, cycles: 5 };

export class Supervisor {
  readonly stats: SupervisorStats = { buildsStarted: 0, buildsSucceeded: 0, buildsFailed: 0, buildsCanceled: 0, appStarts: 0 };
  private job: JobState = initialJobState(Date.now());
  private readonly policy: JobPolicy;
  private readonly reportContext: ReportContext;
  private readonly log: Logger;
  /** Handles of the effects in flight. */
  private build: AbortController | undefined;
  /** The app process: running, serving during a build, or being stopped. */
  private app: AppProcess | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /**
   * App starts that cause their own next change (an app or build step writing a watched file each time)
   * are stopped. Only the app's start counts, in a tight window: a build's own window would catch a person
   * saving while slow builds run (each save cancels the build and starts the next), and the build of the
   * loop's change starts as the app starts anyway.
   */
  private readonly selfTrigger = new SelfTriggerGuard(SELF_TRIGGER);
  private readonly envFiles: ReadonlySet<string>;
  /** The environment markers of every app started: what must be gone at the end. */
  private readonly markers = new Set<string>();
  /** The batch of the last good build: what the binary on disk was built from. */
  private lastBuilt: Batch | undefined;
  /** Inputs wait here while one is being taken (an effect may cause another), and until run() starts. */
  private readonly inbox: JobInput[] = [];
  /** run() was called: inputs are taken from then on. */
  private loopStarted = false;
  private draining = false;
  private ended: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  private failure: { error: unknown } | undefined;

  constructor(private readonly opts: SupervisorOptions) {
    this.log = opts.log.child({ component: 'supervisor' });
    this.envFiles = new Set(opts.run.envFiles);
    this.policy = {
      root: opts.root,
      onFailure: opts.build.onFailure,
      onCrash: opts.run.onCrash,
      backoff: opts.run.backoff,
      maxWaitMs: opts.maxWaitMs ?? 1000,
    };
    this.reportContext = {
      onFailure: opts.build.onFailure,
      stopSignal: opts.run.stopSignal,
      gracePeriodMs: opts.run.gracePeriodMs,
      buildDir: opts.build.root,
      cwd: opts.cwd ?? process.cwd(),
    };
    opts.signal.addEventListener('abort', () => this.feed({ type: 'shutdown', at: Date.now() }), { once: true });
  }

  /**
   * A batch of relevant changes: builds it, or queues it behind the step in progress (see job.ts). A batch
   * that only repeats what each cycle writes (a loop, self-trigger.ts) is said once and held back.
   */
  submit(batch: Batch): void {
    const verdict = this.selfTrigger.judge(batch.paths, batch.firstAt);
    if (verdict.kind !== 'build') return reportSelfTrigger(this.log, verdict, this.opts.root);
    // run.envFiles: a change of only those restarts the app with its new environment, no build; with
    // other files, the build restarts the app even if its binary is the same.
    const env = batch.paths.filter((p) => this.envFiles.has(p));
    if (env.length === 0) return this.feed({ type: 'change', at: Date.now(), batch });
    const forced: Batch = { ...batch, force: true };
    if (env.length < batch.paths.length || batch.rescanReasons.length > 0)
      return this.feed({ type: 'change', at: Date.now(), batch: forced });
    const reason = `run.envFiles changed (${env.map((p) => path.relative(this.opts.root, p)).join(', ')})`;
    this.feed({ type: 'restart', at: Date.now(), reason, batch: forced });
  }

  /** The r key: a build now, changed files or not, and a restart even if the binary is the same. */
  rebuild(): void {
    const now = performance.now();
    this.feed({
      type: 'change',
      at: Date.now(),
      batch: { paths: [], rescanReasons: ['rebuild requested (r)'], firstAt: now, lastAt: now, force: true },
    });
  }

  /** The files are back to what the running app was built from: a build for the change they undo is moot. */
  revert(batch: Batch): void {
    this.feed({ type: 'revert', at: Date.now(), batch });
  }

  /** The pid of the running app, if any (also while it serves during a build). */
  get appPid(): number | undefined {
    return servingApp(this.job)?.pid;
  }

  /** What the job is doing, and since when: a copy. */
  get state(): JobSnapshot {
    return snapshot(this.job, this.opts.root);
  }

  /** A build, stop or start is in progress: its end must not wait behind other work. */
  get busy(): boolean {
    return isBusy(this.job);
  }

  /**
   * Nothing runs and nothing is on its way: the app exited (or never started, or was stopped after a
   * failed build), no build or restart is in progress or due. A save then means "run it again".
   */
  get idleWithoutApp(): boolean {
    return this.job.name === 'idle';
  }

  /** Second Ctrl-C: the app (running, or being stopped) is SIGKILLed at once; the stop still sweeps the rest. */
  forceKill(): void {
    this.feed({ type: 'forceKill', at: Date.now() });
  }

  /**
   * Runs until the root signal aborts and the app is stopped; the first build starts at once. Changes
   * submitted before are covered by this first build (it builds everything).
   */
  run(initial: Batch): Promise<void> {
    const done = new Promise<void>((resolve, reject) => (this.ended = { resolve, reject }));
    if (this.failure) this.ended?.reject(this.failure.error);
    const early = this.inbox.splice(0).filter((i) => i.type !== 'change');
    this.loopStarted = true;
    if (!this.opts.signal.aborted) this.inbox.push({ type: 'change', at: Date.now(), batch: initial });
    // Aborted before this supervisor existed: its listener never fired.
    else if (!early.some((i) => i.type === 'shutdown')) early.push({ type: 'shutdown', at: Date.now() });
    this.feed(...early);
    return done;
  }

  private feed(...inputs: JobInput[]): void {
    this.inbox.push(...inputs);
    if (!this.loopStarted || this.draining || this.failure) return;
    this.draining = true;
    try {
      for (let input = this.inbox.shift(); input; input = this.inbox.shift()) this.take(input);
    } catch (e) {
      this.fail(e);
    } finally {
      this.draining = false;
    }
  }

  private take(input: JobInput): void {
    const before = this.job;
    const { state, effects } = transition(before, input, this.policy);
    this.job = state;
    if (state.name !== before.name) {
      this.log.debug(
        { event: 'job.state', from: before.name, to: state.name, input: input.type },
        `job: ${before.name} → ${state.name} (${input.type})`,
      );
    }
    for (const effect of effects) this.perform(effect);
    if (state !== before) this.opts.onStateChange?.();
    if (state.name === 'stopped') this.ended?.resolve();
    else if (isBusy(before) && !isBusy(state)) this.opts.afterCycle?.();
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case 'startBuild':
        return this.startBuild(effect.batch);
      case 'cancelBuild':
        return this.build?.abort(new Error('canceled'));
      case 'stopApp':
        return this.stopApp(this.appWithPid(effect.pid));
      case 'startApp':
        return this.startApp();
      case 'forceKillApp':
        return this.appWithPid(effect.pid).forceKill();
      case 'forgetApp':
        this.appWithPid(effect.pid);
        this.app = undefined;
        return this.opts.onAppChange?.(undefined);
      case 'scheduleRestart':
        this.restartTimer = setTimeout(() => {
          this.restartTimer = undefined;
          this.feed({ type: 'backoffElapsed', at: Date.now() });
        }, effect.delayMs);
        return;
      case 'cancelRestartTimer':
        clearTimeout(this.restartTimer);
        this.restartTimer = undefined;
        return;
      case 'servingBuilt':
        if (this.lastBuilt) this.opts.onServing?.(this.lastBuilt);
        return;
      case 'report':
        this.opts.onReport?.(effect.report);
        return reportJob(this.log, effect.report, this.reportContext);
    }
  }

  /** The handle of the app the job names: they cannot differ, unless this loop has a bug. */
  private appWithPid(pid: number): AppProcess {
    if (this.app?.pid !== pid)
      throw new Error(`supervisor: the job names app pid ${pid}, but the app handle is ${this.app?.pid ?? 'empty'}`);
    return this.app;
  }

  /** One build; however it ends (result or error), it ends as one buildFinished. */
  private startBuild(batch: Batch): void {
    const ctrl = new AbortController();
    this.build = ctrl;
    this.stats.buildsStarted++;
    const { build: settings, run, onBuildLine, changedSince } = this.opts;
    const building = buildForJob({ settings, binary: run.binary, log: this.log, onLine: onBuildLine, changedSince }, ctrl.signal);
    // The build is running in its own processes: the old app's stop is prepared meanwhile.
    this.app?.prescan();
    building
      .then((outcome) => {
        if (this.build === ctrl) this.build = undefined;
        if (outcome.kind === 'ok') this.lastBuilt = batch;
        this.count(outcome);
        this.feed({ type: 'buildFinished', at: Date.now(), outcome });
      })
      .catch((e: unknown) => this.fail(e));
  }

  private count(outcome: BuildOutcome): void {
    if (outcome.kind === 'ok') this.stats.buildsSucceeded++;
    else if (outcome.kind === 'canceled' || outcome.kind === 'superseded') this.stats.buildsCanceled++;
    else this.stats.buildsFailed++;
  }

  private stopApp(app: AppProcess): void {
    app
      .stop(this.opts.run.stopSignal, this.opts.run.gracePeriodMs)
      .then((result) => {
        if (this.app === app) this.app = undefined;
        this.opts.onAppChange?.(undefined);
        this.feed({ type: 'stopFinished', at: Date.now(), result });
      })
      .catch((e: unknown) => this.fail(e));
  }

  private startApp(): void {
    const t0 = performance.now();
    // Before the spawn: the app may write its file before the spawn is even reported here.
    this.selfTrigger.appStarted(t0);
    const { run, signal, appEnv, appStderr } = this.opts;
    startAppForJob({ run, log: this.log, signal, appEnv, stderr: appStderr })
      .then(
        ({ app, identity }) => this.appStarted(app, Math.round(performance.now() - t0), identity),
        (error: unknown) => this.feed({ type: 'startFinished', at: Date.now(), outcome: { ok: false, error } }),
      )
      .catch((e: unknown) => this.fail(e));
  }

  /** The app runs: its handle is kept, its end and its listening watched, then the job is told. */
  private appStarted(app: AppProcess, startMs: number, identity: string | undefined): void {
    this.app = app;
    this.opts.onAppChange?.(app);
    this.stats.appStarts++;
    this.markers.add(app.marker.value);
    appEnded(app, this.log, this.opts.signal)
      .then((exit) => exit && this.feed({ type: 'appExited', at: Date.now(), pid: app.pid, exit }))
      .catch((e: unknown) => this.fail(e));
    const serving = (): boolean => servingApp(this.job)?.pid === app.pid;
    watchListening(app.pid, this.log, this.opts.signal, serving, (ports) => {
      app.noteListening(ports);
      this.opts.onListening?.(app.pid, ports);
    });
    this.feed({
      type: 'startFinished',
      at: Date.now(),
      outcome: { ok: true, pid: app.pid, startMs, ...(identity !== undefined ? { identity } : {}) },
    });
  }

  /** Processes of any app this supervisor started that are still running (after run(): none, or a survivor). */
  leftovers(): TreeProcess[] {
    return processesWithMarkers(APP_MARKER_KEY, this.markers);
  }

  /**
   * A bug in this loop, or a stop that threw: run() rejects (hotwatch exits 1), after a last attempt to
   * leave nothing running.
   */
  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    clearTimeout(this.restartTimer);
    this.build?.abort(new Error('internal error'));
    const app = this.app;
    this.app = undefined;
    void Promise.resolve(app?.stop(this.opts.run.stopSignal, this.opts.run.gracePeriodMs))
      .catch(() => undefined)
      .finally(() => this.ended?.reject(error));
  }
}
