/**
 * The supervisor: one loop that turns batches of changes into builds and restarts.
 *   - a newer batch aborts the running build and awaits its teardown before the next build starts;
 *   - a failed build leaves the last good app serving (policy keep-running) or stops it (policy stop);
 *   - an app that exits on its own is reported, then waits for a change or restarts with backoff;
 *   - on shutdown (the root signal) the build is aborted and the app stopped gracefully.
 * It owns no grace timers (process.ts does) and its only timer is the crash-restart delay.
 */
import type { Logger } from '../log/logger.js';
import type { BuildSettings, RunSettings } from '../config/settings.js';
import type { Batch } from '../pipeline/events.js';
import { describeBatch, mergeBatches } from '../pipeline/aggregate.js';
import { runBuild, type BuildResult } from './build.js';
import { AppProcess, type AppExit, type StopResult } from './process.js';
import { Backoff } from './backoff.js';
import { isHotwatchError } from '../errors.js';
import { formatExit, reportBuildFailure, watchListening } from './report.js';

export interface SupervisorOptions {
  root: string;
  build: BuildSettings;
  run: RunSettings;
  log: Logger;
  /** The root signal: aborting it shuts the supervisor down. */
  signal: AbortSignal;
  /** The app's environment, computed at each start (env files are re-read). */
  appEnv: () => NodeJS.ProcessEnv;
  /** Build output lines (default: logged at debug). */
  onBuildLine?: (line: string) => void;
  /** Told whenever the running app changes (started, stopped, exited): the state file records it. */
  onAppChange?: (app: { pid: number; marker: { key: string; value: string } } | undefined) => void;
  /** Told after each cycle (build, and restart when it succeeded): the work of an edit is done. */
  afterCycle?: () => void;
}

export interface SupervisorStats {
  buildsStarted: number;
  buildsSucceeded: number;
  buildsFailed: number;
  buildsCanceled: number;
  appStarts: number;
}

export class Supervisor {
  readonly stats: SupervisorStats = { buildsStarted: 0, buildsSucceeded: 0, buildsFailed: 0, buildsCanceled: 0, appStarts: 0 };
  private pending: Batch | undefined;
  private buildCtrl: AbortController | undefined;
  private app: AppProcess | undefined;
  /** The app being stopped (no longer `app`): a second Ctrl-C still reaches it. */
  private stoppingApp: AppProcess | undefined;
  /** A build, stop or start is in progress (the run loop is inside a cycle). */
  private inCycle = false;
  private restartDue = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private readonly backoff: Backoff;
  private readonly log: Logger;

  constructor(private readonly opts: SupervisorOptions) {
    this.backoff = new Backoff(opts.run.backoff);
    this.log = opts.log.child({ component: 'supervisor' });
    opts.signal.addEventListener('abort', () => this.poke(), { once: true });
  }

  /** A batch of relevant changes: aborts a running build (its teardown is awaited by the loop). */
  submit(batch: Batch): void {
    this.pending = mergeBatches(this.pending, batch);
    this.cancelRestartTimer();
    if (this.buildCtrl && !this.buildCtrl.signal.aborted) {
      this.log.info({ event: 'build.superseded', trigger: describeBatch(batch, this.opts.root) }, 'newer change: canceling the running build');
      this.buildCtrl.abort(new Error('superseded by a newer change'));
    }
    this.poke();
  }

  /** The pid of the running app, if any. */
  get appPid(): number | undefined {
    return this.app?.pid;
  }

  /** A cycle is running or due: its end (build exit, stop, start) must not wait behind other work. */
  get busy(): boolean {
    return this.inCycle || this.pending !== undefined || this.restartDue;
  }

  /**
   * Nothing runs and nothing is on its way: the app exited (or never started, or was stopped after a
   * failed build), no build or restart is in progress or due. A save then means "run it again".
   */
  get idleWithoutApp(): boolean {
    return !this.app && !this.stoppingApp && !this.inCycle && !this.pending && !this.restartDue && !this.restartTimer;
  }

  /** Second Ctrl-C: the app (running, or being stopped) is SIGKILLed at once; the stop still sweeps the rest. */
  forceKill(): void {
    const app = this.app ?? this.stoppingApp;
    if (!app) return;
    this.log.warn({ event: 'app.force-kill', pid: app.pid }, `forced: SIGKILL to the app's process group (pid ${app.pid}), no more grace`);
    app.forceKill();
  }

  /** Runs until the root signal aborts; the first build starts at once. */
  async run(initial: Batch): Promise<void> {
    this.pending = initial;
    const { signal } = this.opts;
    try {
      while (!signal.aborted) {
        if (!this.pending && !this.restartDue) await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        if (signal.aborted) break;
        const batch = this.pending;
        this.pending = undefined;
        this.inCycle = true;
        try {
          if (batch) await this.cycle(batch);
          else if (this.restartDue) {
            this.restartDue = false;
            await this.startApp('restart after exit');
          }
        } finally {
          this.inCycle = false;
        }
        this.opts.afterCycle?.();
      }
    } finally {
      this.cancelRestartTimer();
      await this.stopApp('shutdown');
    }
  }

  private poke(): void {
    this.wake?.();
  }

  private async cycle(batch: Batch): Promise<void> {
    const trigger = describeBatch(batch, this.opts.root);
    const ctrl = new AbortController();
    this.buildCtrl = ctrl;
    this.stats.buildsStarted++;
    this.log.info({ event: 'build.start', trigger, files: batch.paths.length, rescan: batch.rescanReasons }, `${trigger} → building`);
    let res: BuildResult;
    const building = runBuild(this.opts.build, {
      signal: AbortSignal.any([this.opts.signal, ctrl.signal]),
      log: this.log,
      // Streamed as it comes, with a prefix; a failure then names the first errors again, prominently.
      onLine: this.opts.onBuildLine ?? ((line) => this.log.info({ event: 'build.output', line }, `build │ ${line}`)),
    });
    // The build is running in its own processes: the old app's stop is prepared meanwhile.
    this.app?.prescan();
    try {
      res = await building;
    } catch (e) {
      this.buildCtrl = undefined;
      this.stats.buildsFailed++;
      // A missing toolchain mid-session (PATH changed, go uninstalled): loud, and wait for the next change.
      const msg = isHotwatchError(e) ? e.format() : String((e as Error)?.stack ?? e);
      this.log.error({ event: 'build.error', err: e }, `build could not run: ${msg}`);
      return;
    }
    this.buildCtrl = undefined;
    if (res.canceled) {
      this.stats.buildsCanceled++;
      this.log.info({ event: 'build.canceled', buildMs: res.durationMs }, `build canceled after ${res.durationMs}ms${this.opts.signal.aborted ? ' (shutting down)' : ': a newer change is next'}`);
      return;
    }
    if (!res.ok) {
      this.stats.buildsFailed++;
      reportBuildFailure(this.log, res, Boolean(this.app), this.opts.build.onFailure);
      if (this.opts.build.onFailure === 'stop') await this.stopApp('build failed (build.onFailure: stop)');
      return;
    }
    this.stats.buildsSucceeded++;
    this.log.info({ event: 'build.done', buildMs: res.durationMs }, `build ok in ${res.durationMs}ms`);
    if (this.pending) {
      // A change arrived after the build finished: this binary is already stale, build again first.
      this.log.info({ event: 'build.stale' }, 'a newer change arrived during the build: building again before restarting');
      return;
    }
    this.backoff.reset();
    await this.startApp(trigger);
  }

  private async startApp(reason: string): Promise<void> {
    const stop = await this.stopApp('restart');
    if (this.opts.signal.aborted) return;
    const t0 = performance.now();
    let app: AppProcess;
    try {
      app = await AppProcess.start({
        binary: this.opts.run.binary,
        args: this.opts.run.args,
        env: this.opts.appEnv(),
        cwd: this.opts.run.cwd,
        log: this.log,
      });
    } catch (e) {
      const msg = isHotwatchError(e) ? e.format() : String(e);
      this.log.error({ event: 'app.start-failed', err: e }, `could not start the app: ${msg}`);
      return;
    }
    const startMs = Math.round(performance.now() - t0);
    this.app = app;
    this.opts.onAppChange?.(app);
    this.stats.appStarts++;
    this.log.info(
      { event: 'app.start', pid: app.pid, reason, stopMs: stop?.durationMs, startMs },
      `app started (pid ${app.pid}, ${stop ? `stop ${stop.durationMs}ms, ` : ''}start ${startMs}ms)`,
    );
    void app.exited.then((exit) => this.onAppExit(app, exit));
    watchListening(app.pid, this.log, this.opts.signal, () => this.app === app, (ports) => app.noteListening(ports));
  }

  private onAppExit(app: AppProcess, exit: AppExit): void {
    if (this.app !== app) return; // stopped by us: reported by stopApp
    this.app = undefined;
    this.opts.onAppChange?.(undefined);
    const how = formatExit(exit);
    if (this.opts.signal.aborted) return;
    if (this.opts.run.onCrash === 'restart') {
      const delay = this.backoff.next(exit.uptimeMs);
      this.log.warn(
        { event: 'app.exit', ...exit, restartInMs: delay, crashes: this.backoff.crashes },
        `app ${how}; restarting in ${delay}ms (exit ${this.backoff.crashes} in a row; run.onCrash: restart)`,
      );
      this.cancelRestartTimer();
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.restartDue = true;
        this.poke();
      }, delay);
    } else {
      this.log.warn({ event: 'app.exit', ...exit }, `app ${how}; waiting for a change to rebuild (run.onCrash: wait-for-change)`);
    }
  }

  private cancelRestartTimer(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.restartDue = false;
  }

  private async stopApp(why: string): Promise<StopResult | undefined> {
    const app = this.app;
    if (!app) return undefined;
    this.app = undefined;
    this.stoppingApp = app;
    const res = await app.stop(this.opts.run.stopSignal, this.opts.run.gracePeriodMs).finally(() => (this.stoppingApp = undefined));
    this.opts.onAppChange?.(undefined);
    const how =
      res.how === 'graceful'
        ? `stopped by ${this.opts.run.stopSignal}`
        : res.how === 'killed' && res.durationMs < this.opts.run.gracePeriodMs
          ? 'killed at once (forced)'
          : res.how === 'killed'
          ? `did not stop within ${this.opts.run.gracePeriodMs}ms of ${this.opts.run.stopSignal}: killed`
          : `had already ${formatExit(res.exit)}`;
    this.log.info({ event: 'app.stop', pid: app.pid, why, how: res.how, stopMs: res.durationMs, exit: res.exit }, `app (pid ${app.pid}) ${how} in ${res.durationMs}ms (${why})`);
    for (const s of res.swept) {
      this.log.warn({ event: 'app.swept', pid: s.pid, cmd: s.cmd }, `killed leftover process ${s.pid} (${s.cmd}) that escaped the app's process group`);
    }
    for (const p of res.portsStillHeld) {
      const who = p.holders.map((h) => `pid ${h.pid} (${h.cmd})`).join(', ') || 'an unknown process';
      this.log.error(
        { event: 'port.held', port: p.port, holders: p.holders, hint: 'stop that process, or change the port' },
        `port ${p.port} is still held after the app stopped, by ${who}: the new app may fail to listen`,
      );
    }
    return res;
  }
}
