/**
 * The supervisor: the effect loop of one app's job (job.ts). It feeds the job its inputs (changes, a
 * restart for an env file, files back to what runs, the end of each build, stop and start, the app's own
 * end, the restart timer, shutdown, a second Ctrl-C) and runs the effects the job returns: builds
 * (supervisor-build.ts), stops and starts (process.ts, supervisor-app.ts), the crash-restart timer, log
 * lines (report.ts). A batch that only repeats what each build or app start writes is held here
 * (self-trigger.ts). Every decision is the job's; this file holds only the job state and the handles of
 * what is running (the build's AbortController, the app process, the timer). It owns no grace timers
 * (process.ts does) and its only timer is the crash-restart delay.
 */
import { OwedSteps } from './owed-steps.js';
import { AppWrittenFiles } from './app-written-files.js';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import type { Batch } from '../pipeline/events.js';
import { buildForJob } from './supervisor-build.js';
import type { ChangeKind, SupervisorOptions, SupervisorStats } from './supervisor-options.js';
import { APP_MARKER_KEY, type AppProcess, type StopResult } from './process.js';
import { processesWithMarkers } from './daemon.js';
import { appEnded, proveReady, startAppForJob, type JobAppOptions, type OutputTail } from './supervisor-app.js';
import { envFilesWithTargets } from './env.js';
import { HotwatchError } from '../errors.js';
import { compilerErrors } from './compiler-output.js';
import { PortHolders, type LeftProcess } from './port-holders.js';
import { portHolders } from '../os/ports.js';
import { carriesEnv, envValue, hasProcfs } from '../os/procfs.js';
import { LoopPause } from './loop-pause.js';
import { SelfTriggerGuard } from './self-trigger.js';
import { CycleSteps, changedOf } from './supervisor-steps.js';
import { CycleSummary } from './cycle-summary.js';
import { FailureCleared } from './failure-cleared.js';
import { changedEnv, expandChanged } from './exec-args.js';
import { quote } from './build.js';
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
  type Report,
  STOP_FOR_RESTART,
} from './job.js';

export type { SupervisorOptions, SupervisorStats } from './supervisor-options.js';

export class Supervisor {
  readonly stats: SupervisorStats = { buildsStarted: 0, buildsSucceeded: 0, buildsFailed: 0, buildsCanceled: 0, appStarts: 0 };
  private job: JobState = initialJobState(Date.now());
  private readonly policy: JobPolicy;
  private readonly reportContext: ReportContext;
  private readonly log: Logger;
  /** Handles of the effects in flight. */
  private build: AbortController | undefined;
  /** The app processes by pid: running, serving during a build, being stopped, or (blue-green) starting beside the old one. */
  private readonly apps = new Map<number, AppProcess>();
  /** Per app: the last lines of its stderr, and (behind the proxy) its port. */
  private readonly tails = new Map<number, OutputTail>();
  private readonly ports = new Map<number, number>();
  /** Blue-green: old versions being stopped in the background, and their stops (awaited at the end). */
  /** Who held an app's port after its stop: named at exit while still running. */
  private readonly portHolders = new PortHolders();
  private readonly retiring = new Set<AppProcess>();
  private readonly retiringStops = new Set<Promise<void>>();
  /** The proxy shows a failure (cleared by the next version ready). */
  private failureShown = false;
  /** A start found the binary gone and asked for a build: once, so a build that never writes it cannot loop. */
  private rebuildingGone = false;
  /** The last build's failure while no build has succeeded since: a restart of the old binary does not end it. */
  private buildFailure: { title: string; lines: readonly string[] } | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /**
   * Builds and app starts that cause their own next change (an app or a build command writing a watched
   * file each time, at whatever time after its start) are stopped: told each build's and app's start.
   */
  private readonly selfTrigger = new SelfTriggerGuard();
  /** A loop after the app's starts: its changes built after a pause, never dropped (loop-pause.ts). */
  private readonly loopPause = new LoopPause((batch) => this.feed({ type: 'change', at: Date.now(), batch }));
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
  /** build.steps around the job: own writes left out, instead and after steps. */
  private readonly steps: CycleSteps;
  /** Batches wait here while the files build steps wrote are left out (in order). */
  private submitting: Promise<void> = Promise.resolve();
  /** Ad-hoc mode: the files changed since the command last started (absolute). */
  private readonly execChanged = new Set<string>();
  /** What the current cycle changed and how long it took: the serving line says it. */
  private readonly summary = new CycleSummary();
  private readonly failureCleared = new FailureCleared();
  private readonly owedSteps = new OwedSteps();
  private readonly appWrites: AppWrittenFiles;

  constructor(private readonly opts: SupervisorOptions) {
    this.log = opts.log.child({ component: 'supervisor' });
    this.envFiles = new Set(envFilesWithTargets(opts.run.envFiles, opts.root));
    this.policy = {
      root: opts.root,
      onFailure: opts.build.onFailure,
      onCrash: opts.run.onCrash,
      backoff: opts.run.backoff,
      maxWaitMs: opts.maxWaitMs ?? 1000,
      ...(opts.proxy?.proveFirst ? { proveFirst: true } : {}),
      ...(opts.embedded ? { embedded: opts.embedded } : {}),
    };
    this.appWrites = new AppWrittenFiles(opts.root, this.log);
    this.reportContext = {
      onFailure: opts.build.onFailure,
      stopSignal: opts.run.stopSignal,
      gracePeriodMs: opts.run.gracePeriodMs,
      buildDir: opts.build.root,
      cwd: opts.cwd ?? process.cwd(),
      buildPackage: () => opts.build.package,
      buildEnv: () => ({ ...process.env, ...opts.build.env }),
      ...(opts.mainPackages ? { mainPackages: opts.mainPackages } : {}),
      ...(opts.exec ? { exec: [opts.run.binary, ...opts.run.args].map(quote).join(' ') } : {}),
    };
    const { build, signal, stepWrites } = opts;
    const onAfterSteps = (name: string): void => this.selfTrigger.stepStarted(performance.now(), name);
    this.steps = new CycleSteps({ build, log: this.log, signal, cwd: this.reportContext.cwd, stepWrites, onAfterSteps });
    opts.signal.addEventListener(
      'abort',
      () => {
        this.loopPause.close();
        this.feed({ type: 'shutdown', at: Date.now() });
      },
      { once: true },
    );
  }

  /**
   * A batch of relevant changes: builds it, or queues it behind the step in progress (see job.ts). A batch
   * that only repeats what each cycle writes (a loop, self-trigger.ts) is said once and held back.
   */
  submit(batch: Batch): void {
    if (!this.steps.filters) return this.submitNow(batch);
    this.submitting = this.submitting
      .then(() => this.steps.filter(batch))
      .then((kept) => kept && this.submitNow(kept))
      .catch((e: unknown) => this.fail(e));
  }

  private submitNow(batch: Batch): void {
    // When its first change was written (polling sees it up to an interval later): one written before our step started was not caused by it.
    const verdict = this.selfTrigger.judge(batch.paths, batch.firstWrittenAt ?? batch.firstAt);
    // A suspected loop's change waits one pause (whatever the step): it moves our next step, which a real loop's writer follows.
    if (verdict.kind === 'suspect') return reportSelfTrigger(this.log, verdict, this.opts.root, this.loopPause.defer(batch));
    if (verdict.kind === 'cleared') {
      reportSelfTrigger(this.log, verdict, this.opts.root, undefined);
      batch = this.loopPause.takePending(batch); // the suspected change waiting out its pause builds with this one, now
    } else if (verdict.kind !== 'build') {
      if (verdict.kind === 'loop') this.loopPause.reset(); // the suspicion's pause was no loop's: the loop's own pauses start at 1 s
      const pauseMs = verdict.after === 'app' ? this.loopPause.defer(batch) : undefined;
      return reportSelfTrigger(this.log, verdict, this.opts.root, pauseMs);
    }
    this.loopPause.reset();
    // run.envFiles: a change of only those restarts the app with its new environment, no build; with
    // other files, the build restarts the app even if its binary is the same.
    // Behind the proxy, proxy.restartOnly files restart too, and proxy.reloadOnly files only reload the
    // browser; the strongest need in the batch wins (any file that builds builds).
    const env = batch.paths.filter((p) => this.envFiles.has(p));
    // An env file gone for now is an editor's save under way (vim and JetBrains rename it away, then put the
    // new one in place): the restart waits for it to come back (its event brings it), else it failed then.
    const away = env.filter((p) => !fs.existsSync(p));
    if (away.length > 0 && batch.paths.every((p) => this.envFiles.has(p))) {
      const shown = away.map((p) => path.relative(this.opts.root, p)).join(', ');
      this.log.info(
        { event: 'app.env-file-away', files: away },
        `${shown} (run.envFiles) is not there now: the app keeps running as it is until it is back`,
      );
      return;
    }
    const kindOf = this.opts.changeKind ?? ((): ChangeKind => 'build');
    const needs = batch.paths.filter((p) => !this.envFiles.has(p)).map((p) => ({ p, kind: kindOf(p) }));
    const restartOnly = needs.filter((n) => n.kind === 'restart').map((n) => n.p);
    const rel = (files: string[]): string => files.map((p) => path.relative(this.opts.root, p)).join(', ');
    const builds = needs.some((n) => n.kind === 'build') || batch.rescanReasons.length > 0 || batch.paths.length === 0;
    if (!builds && env.length === 0 && restartOnly.length === 0) return this.reloadOnly(rel(batch.paths));
    if (env.length === 0 && restartOnly.length === 0 && this.steps.instead(batch)) return;
    if (env.length === 0 && restartOnly.length === 0) return this.feed({ type: 'change', at: Date.now(), batch });
    const forced: Batch = { ...batch, force: true };
    if (builds) return this.feed({ type: 'change', at: Date.now(), batch: forced });
    const reason = [
      ...(env.length > 0 ? [`run.envFiles changed (${rel(env)})`] : []),
      ...(restartOnly.length > 0 ? [`proxy.restartOnly: ${rel(restartOnly)} changed, no build needed`] : []),
    ].join('; ');
    this.restartOrBuild(reason, forced);
  }

  /**
   * A restart without a build, unless the binary it would run is gone (`git clean -fdx` removes
   * .hotwatch/): then a build first, and the restart after it. It used to stop the app, then fail to start
   * it with a fix about build.output, and nothing served.
   */
  private restartOrBuild(reason: string, batch: Batch): void {
    const { binary } = this.opts.run;
    if (fs.existsSync(binary)) return this.feed({ type: 'restart', at: Date.now(), reason, batch });
    const shown = path.relative(this.opts.root, binary);
    this.log.info({ event: 'app.binary-gone', binary }, `${reason}; the binary ${shown} is gone (git clean?): building it again first`);
    this.feed({ type: 'change', at: Date.now(), batch: { ...batch, rescanReasons: [...batch.rescanReasons, `${shown} is gone`] } });
  }

  /** proxy.reloadOnly files (served as they are): no build, no restart, the open pages reload. */
  private reloadOnly(files: string): void {
    this.log.info({ event: 'proxy.reload-only', files }, `${files} changed (proxy.reloadOnly): no build, no restart; pages reload`);
    this.opts.proxy?.reload();
  }

  /** The r key (or a config reload's build settings): a build now, changed files or not, and a restart even if the binary is the same. */
  rebuild(why = 'rebuild requested (r)'): void {
    const now = performance.now();
    this.feed({
      type: 'change',
      at: Date.now(),
      batch: { paths: [], rescanReasons: [why], firstAt: now, lastAt: now, force: true },
    });
  }

  /** A restart of the app without a build (a config reload changed run.args, run.env...); a build when none runs. */
  restart(reason: string): void {
    const now = performance.now();
    const batch: Batch = { paths: [], rescanReasons: [reason], firstAt: now, lastAt: now, force: true };
    this.restartOrBuild(reason, batch);
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
    for (const app of this.retiring) app.forceKill();
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
    if (state.name === 'stopped') void Promise.all(this.retiringStops).then(() => this.ended?.resolve());
    else if (isBusy(before) && !isBusy(state)) this.opts.afterCycle?.();
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case 'startBuild':
        return this.startBuild(effect.batch);
      case 'cancelBuild':
        return this.build?.abort(new Error('canceled'));
      case 'stopApp':
        if (effect.why === STOP_FOR_RESTART) this.opts.proxy?.restarting(`the app restarts (${this.stateTrigger()})`);
        return this.stopApp(this.appWithPid(effect.pid));
      case 'retireApp':
        return this.retire(this.appWithPid(effect.pid), effect.why);
      case 'startApp':
        return this.startApp();
      case 'forceKillApp':
        return this.appWithPid(effect.pid).forceKill();
      case 'forgetApp':
        this.appWithPid(effect.pid);
        this.apps.delete(effect.pid);
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
      case 'report': {
        const r = this.failureCleared.mark(effect.report);
        this.summary.note(r);
        this.opts.onReport?.(r);
        reportJob(this.log, r, this.reportContext);
        if (r.kind === 'build.same-binary' && r.restarting) this.appWrites.restarted(r.restarting);
        return this.showInBrowser(r);
      }
    }
  }

  /** Behind the proxy: pages show `report` (the overlay, or a 503 carrying it) until a version is ready. */
  private showFailure(report: { title: string; lines: readonly string[] }): void {
    this.failureShown = true;
    this.opts.proxy?.failed(report);
  }

  /** What the job is about: the reason of a start under way, for the proxy's hold log. */
  private stateTrigger(): string {
    const s = this.job;
    return s.name === 'stopping' && s.startAfter ? s.startAfter : s.name;
  }

  /** Behind the proxy, a failed build and a crash are shown in the page (overlay, or a 503 with the report). */
  private showInBrowser(r: Report): void {
    const proxy = this.opts.proxy;
    if (!proxy) return;
    if (r.kind === 'build.failed') {
      const { buildDir, cwd } = this.reportContext;
      const out = r.result.output.trim();
      const { lines, count } = compilerErrors(out ? out.split('\n') : [], buildDir, cwd);
      // build.onFailure: stop stops the app that ran: nothing serves then, whatever ran before.
      const serves = r.appRunning && this.opts.build.onFailure !== 'stop';
      const stopped = r.appRunning && !serves ? 'the app is stopped (build.onFailure: stop)' : 'nothing serves';
      const title = `Build failed${count > 0 ? ` (${count} error${count === 1 ? '' : 's'})` : ''}: ${serves ? 'the previous version keeps serving' : stopped}`;
      this.buildFailure = { title, lines: lines.slice(0, 100) };
      this.showFailure(this.buildFailure);
    } else if (r.kind === 'build.error') {
      this.buildFailure = { title: 'The build could not run', lines: [String(r.error)] };
      this.showFailure(this.buildFailure);
    } else if (r.kind === 'build.done') {
      this.buildFailure = undefined;
    } else if ((r.kind === 'build.same-binary' || r.kind === 'build.reverted') && this.failureShown && this.ports.has(r.pid)) {
      // The app that runs is fine after all (a fix back to what it was built from): the overlay goes.
      this.buildFailure = undefined;
      this.failureShown = false;
      proxy.ready({ host: '127.0.0.1', port: this.ports.get(r.pid)! });
    } else if (r.kind === 'app.exit') {
      const how = r.exit.signal ? `killed by ${r.exit.signal}` : `exit code ${r.exit.code}`;
      // Nothing answers there any more: pages get a 503 carrying the report instead of a refused connection.
      proxy.restarting(`the app exited (${how})`);
      this.showFailure({ title: `The app exited (${how})`, lines: this.tails.get(r.pid)?.lines ?? [] });
    }
  }

  /** The handle of the app the job names: they cannot differ, unless this loop has a bug. */
  private appWithPid(pid: number): AppProcess {
    const app = this.apps.get(pid);
    if (!app)
      throw new Error(`supervisor: the job names app pid ${pid}, but the app handles are ${[...this.apps.keys()].join(', ') || 'empty'}`);
    return app;
  }

  /** One build; however it ends (result or error), it ends as one buildFinished. */
  private startBuild(batch: Batch): void {
    const ctrl = new AbortController();
    this.build = ctrl;
    this.stats.buildsStarted++;
    this.selfTrigger.buildStarted(performance.now());
    const { build: settings, run, onBuildLine, changedSince, exec, buildRunner: runner, buildEnv } = this.opts;
    for (const p of batch.paths) this.execChanged.add(p);
    this.opts.beforeBuild?.();
    const building = buildForJob(
      {
        settings,
        binary: run.binary,
        log: this.log,
        onLine: onBuildLine,
        changedSince,
        changed: changedOf(batch),
        stepWindow: this.steps.window,
        noBuild: exec,
        runner,
        buildEnv,
        owedSteps: this.owedSteps,
      },
      ctrl.signal,
    );
    // The build is running in its own processes: the old app's stop is prepared meanwhile.
    const serving = servingApp(this.job);
    if (serving) this.apps.get(serving.pid)?.prescan();
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
    this.drainThenStop(app, 'unsafe')
      .then((result) => {
        this.portHolders.note(result);
        this.apps.delete(app.pid);
        // The job first (a restart spawns the new app now), then the listeners (the state file's write):
        // they are told before the new app is, which is reported only once its spawn has completed.
        this.feed({ type: 'stopFinished', at: Date.now(), result });
        this.opts.onAppChange?.(undefined);
      })
      .catch((e: unknown) => this.fail(e));
  }

  /**
   * The app's stop, once the requests it was answering that it must finish have ended, within its grace
   * period (behind the proxy, which sends it no new ones by then). 'unsafe' (a stop before the next
   * version starts: the developer waits): those that must not be sent twice (a POST), which a stop would
   * fail; a GET cut before its answer began is sent to the new version, one cut mid-answer is said by the
   * proxy. 'all' (blue-green: the new version already serves, nobody waits): every request, so a
   * download or a stream of the old version ends whole.
   */
  private async drainThenStop(app: AppProcess, scope: 'unsafe' | 'all'): Promise<StopResult> {
    const { proxy, run, signal } = this.opts;
    const port = this.ports.get(app.pid);
    const forced = AbortSignal.any([signal, app.forced]);
    const left = proxy && port !== undefined ? await proxy.drained(port, run.gracePeriodMs, scope, forced) : 0;
    if (left > 0)
      this.log.debug(
        { event: 'app.drain-timeout', pid: app.pid, left },
        `${left} request(s) still in flight to pid ${app.pid}: stopping it`,
      );
    return app.stop(run.stopSignal, run.gracePeriodMs);
  }

  /**
   * Blue-green: the old version, replaced by a new one that is ready, is stopped in the background (once
   * its requests in flight have ended: drainThenStop).
   */
  private retire(app: AppProcess, why: string): void {
    this.apps.delete(app.pid);
    this.retiring.add(app);
    this.opts.onAppAlso?.(app, true); // no longer the recorded one: still running until drained
    const stopped = this.drainThenStop(app, 'all')
      .then((result) => {
        this.portHolders.note(result);
        reportJob(this.log, { kind: 'app.stop', pid: app.pid, why, result }, this.reportContext);
      })
      .catch((e: unknown) => this.fail(e))
      .finally(() => {
        this.retiring.delete(app);
        this.retiringStops.delete(stopped);
        this.opts.onAppAlso?.(app, false);
      });
    this.retiringStops.add(stopped);
  }

  private startApp(): void {
    const t0 = performance.now();
    // Before the spawn: the app may write its file before the spawn is even reported here.
    this.selfTrigger.appStarted(t0);
    this.appWrites.appStarted(Date.now());
    this.launch(t0).catch((e: unknown) => this.fail(e));
  }

  /** Starts the app; behind the proxy, on its own port, proven ready before the proxy switches to it. */
  private async launch(t0: number): Promise<void> {
    const { run, signal, appEnv, appStderr, proxy } = this.opts;
    let started: Awaited<ReturnType<typeof startAppForJob>>;
    let port: number | undefined;
    try {
      port = proxy ? await proxy.nextPort() : undefined;
      const extraEnv = proxy && port !== undefined ? { [proxy.portEnv]: String(port) } : undefined;
      const ownApp = this.ownApp;
      started = await startAppForJob({ ...this.execRun(run, extraEnv), log: this.log, signal, appEnv, stderr: appStderr, ownApp });
    } catch (error) {
      // The binary built before is gone (git clean -fdx, a crash restart after it): built again, once.
      if (!this.rebuildingGone && !fs.existsSync(run.binary)) {
        this.rebuildingGone = true;
        this.feed({ type: 'startFinished', at: Date.now(), outcome: { ok: false, error } });
        const shown = path.relative(this.opts.root, run.binary);
        this.log.info({ event: 'app.binary-gone', binary: run.binary }, `the binary ${shown} is gone (git clean?): building it again`);
        return this.rebuild(`${shown} is gone`);
      }
      this.showFailure({ title: 'The app could not start', lines: [error instanceof HotwatchError ? error.format() : String(error)] });
      return this.feed({ type: 'startFinished', at: Date.now(), outcome: { ok: false, error } });
    }
    this.rebuildingGone = false;
    const { app, identity, tail } = started;
    if (identity !== undefined) this.selfTrigger.appVersion(t0, identity);
    if (proxy && port !== undefined) {
      this.noteMarker(app.marker.value);
      this.opts.onAppAlso?.(app, true);
      const why = await proveReady(app, port, proxy, {
        signal,
        stopSignal: run.stopSignal,
        gracePeriodMs: run.gracePeriodMs,
        log: this.log,
      }).finally(() => this.opts.onAppAlso?.(app, false)); // ready: the serving one now (appStarted); else stopped
      if (why !== undefined) {
        const lines = tail.lines;
        this.showFailure({ title: `The new version did not start: ${why}`, lines });
        const last = lines.length > 0 ? `its last output:\n${lines.map((l) => `    ${l}`).join('\n')}` : 'it printed nothing on stderr';
        // Not ready in time may be a slow start, not a broken one: raising the deadline is a fix too.
        const slow = why.startsWith('it was not ready after') ? ', or give it longer (proxy.readyTimeout)' : '';
        const beside = proxy.proveFirst && servingApp(this.job) !== undefined ? besideHint(lines) : '';
        const error = new HotwatchError('APP_START_FAILED', why, { hint: `${beside}fix it and save${slow}: ${last}` });
        return this.feed({ type: 'startFinished', at: Date.now(), outcome: { ok: false, error } });
      }
      this.ports.set(app.pid, port);
      this.failureShown = false;
      proxy.ready({ host: '127.0.0.1', port });
      // A restart without a build (a template edit) runs the old binary: a broken build is still broken.
      if (this.buildFailure) this.showFailure(this.buildFailure);
      proxy.reload();
    }
    this.tails.set(app.pid, tail);
    this.appStarted(app, Math.round(performance.now() - t0), identity);
  }

  /** Ad-hoc mode: the command gets the files changed since it last started ({changed}, $HOTWATCH_CHANGED). */
  private execRun(run: SupervisorOptions['run'], extraEnv: Record<string, string> | undefined): Pick<JobAppOptions, 'run' | 'extraEnv'> {
    if (!this.opts.exec) return { run, extraEnv };
    const files = [...this.execChanged].map((p) => path.relative(this.opts.root, p));
    this.execChanged.clear();
    return { run: { ...run, args: expandChanged(run.args, files) }, extraEnv: { ...extraEnv, ...changedEnv(files) } };
  }

  /** The app runs: its handle is kept, its end and its listening watched, then the job is told. */
  private appStarted(app: AppProcess, startMs: number, identity: string | undefined): void {
    this.apps.set(app.pid, app);
    this.opts.onAppChange?.(app);
    this.stats.appStarts++;
    this.noteMarker(app.marker.value);
    appEnded(app, this.log, this.opts.signal)
      .then((exit) => {
        if (!exit) return;
        if (exit.escaped) this.portHolders.noteEscaped(exit.escaped);
        // A clean end (a crash on a port in use is said by the app's own output: app.port-in-use).
        if ((exit.code === 0 && !exit.signal) || exit.daemons) this.portAfterExit(app.pid);
        this.feed({ type: 'appExited', at: Date.now(), pid: app.pid, exit });
      })
      .catch((e: unknown) => this.fail(e));
    const serving = (): boolean => servingApp(this.job)?.pid === app.pid;
    const { servedAt } = this.opts;
    const summary = (where: string, readyMs: number): string | undefined =>
      this.summary.line(app.pid, servedAt ? `${servedAt} (through the proxy)` : where, readyMs);
    watchListening(
      app.pid,
      this.log,
      this.opts.signal,
      serving,
      (ports) => {
        app.noteListening(ports);
        this.opts.onListening?.(app.pid, ports);
      },
      summary,
    );
    this.feed({
      type: 'startFinished',
      at: Date.now(),
      outcome: { ok: true, pid: app.pid, startMs, ...(identity !== undefined ? { identity } : {}) },
    });
    this.steps.after(this.lastBuilt);
  }

  /**
   * The app ended on its own, and nothing with its marker runs: a process still holding its port (run.port,
   * its $PORT, or the proxy's port for it) left its tree unseen (its own session, a cleared environment) or
   * is someone else's. Said now, and named at exit while it runs (port-holders.ts).
   */
  private noteMarker(value: string): void {
    this.markers.add(value);
    this.opts.runMarkers?.add(value);
  }

  /** Whether `pid` is one of this run's apps: it carries a marker this supervisor, or a sibling app's, gave out. */
  private readonly ownApp = (pid: number): boolean =>
    [...this.markers, ...(this.opts.runMarkers ?? [])].some((v) => carriesEnv(pid, APP_MARKER_KEY, v) === true);

  private portAfterExit(pid: number, delays = [300, 700]): void {
    const port = this.ports.get(pid) ?? this.opts.run.port ?? (Number(this.opts.appEnv().PORT) || undefined);
    // Ad-hoc mode runs commands that end (tests, linters): their $PORT is not theirs to hold.
    if (port === undefined || this.opts.exec || !hasProcfs() || this.opts.signal.aborted) return;
    // A version of ours started since (a restart on the same port) carries a marker: it is not such a holder.
    // A sibling app of the same run (apps:) holding it is not a stray either: the port came from an env file every app inherits.
    const holders = portHolders(port).filter((h) => !this.ownApp(h.pid));
    // A holder with some app marker may be a sibling app that started a moment ago (apps:), its marker not
    // noted yet: looked at again before it is called a stray.
    const sibling = holders.some((h) => envValue(h.pid, APP_MARKER_KEY) !== undefined);
    if (holders.length === 0 || (sibling && delays.length > 0)) {
      // A worker it left may still be starting: looked at again, a few times within a second.
      const [next, ...rest] = delays;
      if (next !== undefined) setTimeout(() => this.portAfterExit(pid, rest), next).unref();
      return;
    }
    this.portHolders.noteHolders(port, holders);
    const who = holders.map((h) => `pid ${h.pid} (${h.cmd})`).join(', ');
    this.log.warn(
      { event: 'app.port-held', port, holders },
      `the app (pid ${pid}) ended, but its port :${port} is held by ${who}, which hotwatch does not know as the app's (no marker: its environment was cleared, or it is another program): it is not stopped or restarted by hotwatch; if it is the app's, stop it (kill ${holders[0]!.pid})`,
    );
  }

  /** Processes of any app this supervisor started that are still running (after run(): none, or a survivor). */
  leftovers(): LeftProcess[] {
    const marked = processesWithMarkers(APP_MARKER_KEY, this.markers);
    return [...marked, ...this.portHolders.stillRunning(new Set(marked.map((p) => p.pid)))];
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
    const apps = [...this.apps.values()];
    this.apps.clear();
    void Promise.all(apps.map((app) => app.stop(this.opts.run.stopSignal, this.opts.run.gracePeriodMs)))
      .catch(() => undefined)
      .finally(() => this.ended?.reject(error));
  }
}

/**
 * A new version started beside the serving one (blue-green) may fail only because the old one holds what
 * it needs: a file lock (bbolt, sqlite), a second fixed port (metrics, pprof), a unix socket. Saving again
 * repeats that failure; the fix is to stop the old version first. Said first when its output reads so,
 * as a maybe when it says nothing of the kind, not at all after a panic.
 */
function besideHint(lines: readonly string[]): string {
  const held = /lock|in use|resource temporarily unavailable|EADDRINUSE|EAGAIN|EWOULDBLOCK/i.test(lines.join('\n'));
  const fix =
    'it started beside the version that serves (proxy.proveNewVersion: true): an app that holds a file lock, a second fixed port or a unix socket cannot run twice at once; set proxy.proveNewVersion: false in the config and start hotwatch again (proxy settings apply at its start; the old version then stops before the new one starts)';
  if (held) return `${fix}; otherwise `;
  // A panic is the code's own: no word of the old version then.
  return /panic:|goroutine \d+ \[/.test(lines.join('\n')) ? '' : `if it runs alone but not beside the old one, ${fix}; otherwise `;
}
