/**
 * Service mode's side of the runtime (issue 17): the StatusSource it reads (the supervisor's job, the
 * watchdog's health) and the MetricsRecorder calls, fed from the job's reports (the facts its log lines
 * are made of) and the watchdog's health lines. runtime.ts creates one, hands its hooks to the supervisor
 * and the watchdog, and attaches the service once it has started. src/service imports no stage: this file
 * is where the two meet.
 */
import { aggregateState } from './apps/app-state.js';
import type { MetricsRecorder } from './service/recorder.js';
import { startServiceMode, type ServiceLog, type ServiceMode } from './service/service-mode.js';
import type { AppStateView, AppView, JobState as ServiceJobState, JobView, ScopeView, StatusSource, WatchView } from './service/status.js';
import { descendantsOf, readListeningSockets } from './os/procfs.js';
import { listeningPortsOf } from './os/ports.js';
import { compilerErrors } from './supervisor/compiler-output.js';
import { RESTART_AFTER_EXIT, STOP_FOR_FAILED_BUILD, type JobSnapshot, type Report } from './supervisor/job-state.js';
import type { Batch, WatchEvent } from './pipeline/events.js';
import type { SupervisorOptions } from './supervisor/supervisor-options.js';
import type { HealthListener } from './watch/watchdog/health-log.js';
import type { WatcherStats } from './watch/types.js';

export interface ServiceWiringOptions {
  root: string;
  /** run.port: an app is serving once it listens. */
  port: number | undefined;
  /** For the failed build's error lines, named as BUILD FAILED names them. */
  buildDir: string;
  cwd: string;
}

/** What the service layer is told (its recorder, and `changed()` for state changes). */
export interface ServiceSink {
  recorder: MetricsRecorder;
  changed(): void;
}

type AppHandle = Parameters<NonNullable<SupervisorOptions['onAppChange']>>[0] & {};

interface AppInfo {
  pid: number;
  startedAt: number;
  listening: string[];
  /** Listened on these; a status request's look found none of them listened on any more (verify). */
  stoppedListening?: string[] | undefined;
}

const appView = (a: AppInfo): AppView => ({
  pid: a.pid,
  startedAt: a.startedAt,
  listening: [...a.listening],
  ...(a.stoppedListening ? { stoppedListening: [...a.stoppedListening] } : {}),
});

export class ServiceWiring implements StatusSource {
  private sink: ServiceSink | undefined;
  private app: AppInfo | undefined;
  private listenedBefore = false;
  private appStarts = 0;
  /** performance.now() of the first write of the edit whose app is starting (edit-to-serving). */
  private editAt: number | undefined;
  private readonly scopes = new Map<string, ScopeView>();
  /** With apps:, each running app's process (by pid), which app each pid is, and the apps that listened. */
  private readonly byPid = new Map<number, AppInfo>();
  private readonly names = new Map<number, string>();
  private readonly listenedNames = new Set<string>();
  private readonly startedAt = Date.now();
  /** Every watch armed (watchReady). */
  private watching = false;
  /** Epoch ms of watchReady. */
  private watchingSince: number | undefined;
  private watcher: { stats?(): WatcherStats | undefined } | undefined;
  /** The supervisor's job snapshot and the watcher's counters, once they exist. */
  private sources:
    | { job: () => JobSnapshot; watchStats: () => WatcherStats | undefined; apps?: () => Array<{ name: string; state: JobSnapshot }> }
    | undefined;

  /**
   * The supervisor's job (its `state`; with apps:, each app's `states()`), read on each status request;
   * bound before the watches are armed (the first build runs meanwhile). The watcher's counters follow.
   */
  bind(supervisor: { readonly state: JobSnapshot; states?(): Array<{ name: string; state: JobSnapshot }> }): void {
    const apps = supervisor.states ? () => supervisor.states!() : undefined;
    this.sources = { job: () => supervisor.state, watchStats: () => this.watcher?.stats?.(), ...(apps ? { apps } : {}) };
    this.sink?.changed();
  }

  /** The watcher, once its stack is loaded: its counters in /status and the metrics. */
  bindWatcher(watcher: { stats?(): WatcherStats | undefined }): void {
    this.watcher = watcher;
  }

  /** Every watch is armed (the runtime's watch.ready): READY=1 waits for it (StatusSource.armed). */
  armed(): boolean {
    return this.watching;
  }

  /** The runtime's watch.ready: said to the service layer (READY=1 may be due now). */
  watchReady(): void {
    this.watching = true;
    this.watchingSince = Date.now();
    this.sink?.changed();
  }

  /** With apps:, each app's state; undefined with one app. */
  apps(): AppStateView[] | undefined {
    return this.sources
      ?.apps?.()
      .map(({ name, state }) => ({ name, state: jobStateOf(state), since: state.since, pid: state.pid ?? null }));
  }

  constructor(private readonly o: ServiceWiringOptions) {}

  /** What the supervisor is given (SupervisorOptions' hooks); `onAppChange` is told too. */
  supervisorHooks(onAppChange?: (app: AppHandle | undefined) => void, onServing?: (batch: Batch) => void) {
    return {
      onReport: this.report,
      onStateChange: this.stateChanged,
      onListening: this.listening,
      onServing: (batch: Batch) => {
        // An edit's batch (not the start-up's): timed from its first write to the new app listening.
        if (batch.paths.length > 0) this.editAt = batch.firstAt;
        onServing?.(batch);
      },
      onAppChange: (app: AppHandle | undefined) => {
        this.appChanged(app);
        onAppChange?.(app);
      },
    };
  }

  attach(sink: ServiceSink): void {
    this.sink = sink;
    sink.changed();
  }

  job(): JobView {
    const apps = this.sources?.apps?.();
    if (apps !== undefined && apps.length > 0) return this.leastSettled(apps);
    const snap: JobSnapshot = this.sources?.job() ?? { name: 'idle', since: this.startedAt, why: 'not-started' };
    const state = jobStateOf(snap);
    const serving = state === 'running' || state === 'building' || state === 'restarting' ? snap.pid : undefined;
    const app = serving !== undefined && this.app?.pid === serving ? this.app : undefined;
    return {
      state,
      since: snap.since,
      app: app ? appView(app) : undefined,
      expectsListening: this.o.port !== undefined || this.listenedBefore,
      ...(snap.restartAt !== undefined && state === 'backoff' ? { nextTryAt: snap.restartAt } : {}),
      ...(state === 'exited' ? { down: downOf(snap) } : {}),
    };
  }

  /**
   * With apps:, the summary is the least settled app's (the aggregate's rule, apps/app-state.ts), named:
   * its state, its process, whether it listens. The other apps' states are in apps().
   */
  private leastSettled(apps: Array<{ name: string; state: JobSnapshot }>): JobView {
    this.learnNames(apps);
    const worst = aggregateState(apps.map((a) => a.state));
    const name = apps.find((a) => a.state === worst)?.name;
    const state = jobStateOf(worst);
    const pid = state === 'running' || state === 'building' || state === 'restarting' ? worst.pid : undefined;
    const app = pid === undefined ? undefined : this.byPid.get(pid);
    return {
      state,
      since: worst.since,
      app: app ? appView(app) : undefined,
      expectsListening: name !== undefined && this.listenedNames.has(name),
      ...(worst.restartAt !== undefined && state === 'backoff' ? { nextTryAt: worst.restartAt } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(state === 'exited' ? { down: downOf(worst) } : {}),
    };
  }

  /** Which app each running pid is (its exit is then named), and the apps that listened (an exit forgets the pid). */
  private learnNames(apps = this.sources?.apps?.()): void {
    if (apps === undefined) return;
    for (const { name, state } of apps) {
      if (state.pid === undefined) continue;
      this.names.set(state.pid, name);
      if ((this.byPid.get(state.pid)?.listening.length ?? 0) > 0) this.listenedNames.add(name);
    }
  }

  watch(): WatchView {
    const stats = this.sources?.watchStats();
    const scopes = [...this.scopes.values()];
    const polled = scopes.some((s) => s.state === 'polling');
    const backend = stats?.backend ?? 'native';
    return {
      backend: polled && backend !== 'poll' ? `${backend}+poll` : backend,
      watches: stats?.watches,
      dirs: stats?.dirs,
      scopes: scopes.length > 0 ? scopes : [this.rootScope()],
    };
  }

  /** The root before the watchdog said anything of it: arming until every watch is armed, ok after. */
  private rootScope(): ScopeView {
    if (!this.watching) return { path: this.o.root, kind: 'root', state: 'arming', since: this.startedAt };
    return { path: this.o.root, kind: 'root', state: 'ok', since: this.watchingSince ?? this.startedAt };
  }

  /**
   * At a status request: each app that listened is looked for again in the kernel's table of listening
   * sockets (a few ms, on request only). A port no process listens on any more is not serving, whoever
   * held it; a port still listened on counts (the app's, or a worker it left there).
   */
  readonly verify = (): void => {
    this.lookForLateListener();
    const apps = [...new Set([this.app, ...this.byPid.values()])].filter(
      (a): a is AppInfo => a !== undefined && (a.listening.length > 0 || a.stoppedListening !== undefined),
    );
    if (apps.length === 0) return;
    const open = new Set(readListeningSockets().map((t) => `:${t.localPort}`));
    for (const a of apps) {
      const was = a.stoppedListening ?? a.listening;
      const still = was.filter((addr) => open.has(addr));
      a.listening = still;
      a.stoppedListening = still.length > 0 ? undefined : was;
    }
  };

  /**
   * The current app that has not listened yet is looked for once more (its process tree's sockets): one
   * that binds late is serving from the first status request after, not only from the supervisor's next
   * probe (up to 30 s apart for an app up for minutes).
   */
  private lookForLateListener(): void {
    const app = this.app;
    if (!app || app.listening.length > 0 || app.stoppedListening !== undefined) return;
    try {
      const ports = listeningPortsOf([app.pid, ...descendantsOf(app.pid)]);
      if (ports.length > 0) this.listening(app.pid, ports);
    } catch {
      // /proc unreadable: the supervisor's own probe says so at debug; status says what it knew
    }
  }

  /** The supervisor's onStateChange. */
  readonly stateChanged = (): void => this.sink?.changed();

  /** The supervisor's onAppChange (a new app, or none). */
  readonly appChanged = (app: { pid: number } | undefined): void => {
    if (app && this.app?.pid !== app.pid) this.app = { pid: app.pid, startedAt: Date.now(), listening: [] };
    if (app && !this.byPid.has(app.pid)) this.byPid.set(app.pid, this.app!);
    this.sink?.changed();
  };

  /** The supervisor's onListening. */
  readonly listening = (pid: number, ports: number[]): void => {
    if (this.app?.pid === pid) {
      this.app.listening = ports.map((p) => `:${p}`);
      this.app.stoppedListening = undefined;
    }
    this.learnNames();
    const info = this.byPid.get(pid);
    if (info) {
      info.listening = ports.map((p) => `:${p}`);
      info.stoppedListening = undefined;
    }
    const name = this.names.get(pid);
    if (name !== undefined) this.listenedNames.add(name);
    this.listenedBefore = true;
    if (this.editAt !== undefined) this.sink?.recorder.editToServing(performance.now() - this.editAt);
    this.editAt = undefined;
    for (const p of ports) this.sink?.recorder.appListening({ pid, address: `:${p}` });
  };

  /** The supervisor's onReport: the recorder calls its log lines stand for. */
  readonly report = (r: Report, ofApp?: string): void => {
    const rec = this.sink?.recorder;
    if (!rec) return;
    this.learnNames();
    const app = r.kind === 'app.exit' || r.kind === 'app.stop' ? (this.names.get(r.pid) ?? ofApp) : ofApp;
    recordReport(rec, r, this.o, () => this.appStarts++, app);
    if (r.kind === 'app.exit' || r.kind === 'app.stop') {
      this.names.delete(r.pid);
      this.byPid.delete(r.pid);
    }
  };

  /** The batcher's onTaken: events merged into the batch, and events the ring dropped. */
  readonly taken = (batch: Batch, events: readonly WatchEvent[]): void => {
    const rec = this.sink?.recorder;
    if (!rec) return;
    let changes = 0;
    for (const e of events) {
      if (e.kind === 'change') changes++;
      else if (e.dropped) rec.eventsDropped({ count: e.dropped, reason: 'ring-overflow' });
    }
    rec.eventsCoalesced(changes - batch.paths.length);
  };

  /** The watchdog's onHealth: the watch view and the recorder's losses and recoveries. */
  readonly health: HealthListener = (line) => {
    const kind = line.scope === 'mount' ? 'mount' : 'root';
    // One entry per watched place: a loss of the watcher itself (a kernel limit, a hung helper) is the root's,
    // and the root's fallback, re-arm or restore line that follows it replaces it (else "deaf" stays forever).
    const key = `${kind}:${line.path}`;
    const at = Date.now();
    const cause = typeof line.cause === 'string' ? line.cause : typeof line.reason === 'string' ? line.reason : 'unknown';
    const rec = this.sink?.recorder;
    switch (line.event) {
      case 'watch.deaf':
        // A directory's own loss is said as the watcher re-arms it (loss-intake.ts: self-healing only): no deaf scope.
        if (line.scope !== 'dir') this.scopes.set(key, { path: line.path, kind, state: 'deaf', since: at, cause });
        return rec?.watchLost({ scope: line.scope, cause, path: line.path });
      case 'watch.rearmed':
        this.scopes.set(key, { path: line.path, kind, state: 'ok', since: at });
        return rec?.watchRecovered({ scope: line.scope, cause, how: 'rearmed', recoveryMs: Number(line.recoveryMs), path: line.path });
      case 'watch.fallback':
        this.scopes.set(key, { path: line.path, kind, state: 'polling', since: at, cause });
        if (line.loss) rec?.watchRecovered({ scope: line.scope, cause, how: 'polling', path: line.path });
        return this.sink?.changed();
      case 'watch.stopped':
        // No recovery works: the systemd pings stop at once (watchdogVerdict), not after the deaf grace.
        this.scopes.set(key, { path: line.path, kind, state: 'failed', since: this.scopes.get(key)?.since ?? at, cause });
        return this.sink?.changed();
      case 'watch.overflow':
        // The kernel's queue overflowed (IN_Q_OVERFLOW): at least one event lost, it does not say how many.
        return rec?.eventsDropped({ count: 1, reason: 'kernel-overflow' });
      case 'watch.restored':
        this.scopes.set(key, { path: line.path, kind, state: 'ok', since: at });
        return this.sink?.changed();
    }
  };
}

/** The supervisor's job states as the status names them. */
export function jobStateOf(s: JobSnapshot): ServiceJobState {
  if (s.shuttingDown || s.name === 'stopped') return 'stopping';
  switch (s.name) {
    case 'idle':
      if (s.why === 'not-started') return 'starting';
      return s.why === 'build-failed' || s.why === 'build-error' ? 'build-failed' : 'exited';
    case 'building':
      return 'building';
    case 'stopping':
      // build.onFailure: stop: the app stops for a failed build, nothing starts after it.
      return s.why === STOP_FOR_FAILED_BUILD ? 'build-failed' : 'restarting';
    case 'starting':
      return 'starting';
    case 'running':
      return 'running';
    case 'backoff':
      return 'backoff';
  }
}

/** Why an idle job has no app (status says "exited" for all of these, with this as the reason). */
function downOf(s: JobSnapshot): JobView['down'] {
  return s.why === 'stopped' || s.why === 'start-failed' ? s.why : 'app-exited';
}

function recordReport(rec: MetricsRecorder, r: Report, o: ServiceWiringOptions, nextStart: () => number, app?: string): void {
  const named = app !== undefined ? { app } : {};
  switch (r.kind) {
    case 'build.start':
      return rec.buildStarted();
    case 'build.done':
      return rec.buildFinished({ outcome: 'ok', durationMs: r.buildMs, ...named });
    case 'build.reverted':
      // Marked after BUILD FAILED (failure-cleared.ts): the fact the proxy's overlay clears on.
      return r.afterFailure ? rec.buildFailureCleared({ pid: r.pid, ...named }) : undefined;
    case 'build.failed': {
      const out = r.result.output.trim();
      const { errors } = compilerErrors(out ? out.split('\n') : [], o.buildDir, o.cwd);
      return rec.buildFinished({
        outcome: 'failed',
        durationMs: r.result.durationMs,
        errors,
        ...(r.result.timedOut ? { timedOut: true } : {}),
        ...named,
      });
    }
    case 'build.error':
      return rec.buildFinished({ outcome: 'failed', durationMs: 0, errors: [String(r.error)], ...named });
    case 'build.canceled':
      return rec.buildFinished({ outcome: 'canceled', durationMs: r.buildMs });
    case 'build.failed-superseded':
      return rec.buildFinished({ outcome: 'canceled', durationMs: r.buildMs });
    case 'app.start': {
      const first = nextStart() === 0;
      return rec.appStarted({ pid: r.pid, reason: first ? 'initial' : r.reason === RESTART_AFTER_EXIT ? 'crash' : 'build', ...named });
    }
    case 'app.start-failed':
      return r.oldServing ? rec.newVersionFailed({ why: oneLineError(r.error), ...named }) : undefined;
    case 'app.stop':
      return rec.appExited({
        pid: r.pid,
        code: r.result.exit.code,
        signal: r.result.exit.signal,
        uptimeMs: r.result.exit.uptimeMs,
        expected: true,
        ...named,
      });
    case 'app.exit':
      return rec.appExited({ pid: r.pid, code: r.exit.code, signal: r.exit.signal, uptimeMs: r.exit.uptimeMs, expected: false, ...named });
  }
}

/** Starts service mode over this wiring (before the first build: the notifier takes NOTIFY_SOCKET out of the environment the build and app copy). */
export interface StartServiceOptions {
  root: string;
  onControlPlacedAgain?: () => void;
  version: string;
  signal: AbortSignal;
  log: ServiceLog;
  statusPort: number | undefined;
  /** The proxy's address, when pages are served through it: what status names (the app's port behind it changes). */
  proxy?: string;
}

export async function startService(wiring: ServiceWiring, o: StartServiceOptions): Promise<ServiceMode> {
  const service = await startServiceMode({
    root: o.root,
    version: o.version,
    source: wiring,
    signal: o.signal,
    log: o.log,
    ...(o.onControlPlacedAgain ? { onControlPlacedAgain: o.onControlPlacedAgain } : {}),
    ...(o.statusPort !== undefined ? { tcp: { port: o.statusPort } } : {}),
    ...(o.proxy ? { proxy: o.proxy } : {}),
  });
  wiring.attach(service);
  return service;
}

/** The runtime's settings, as the wiring needs them. */
export function wiringOptions(
  s: { root: string; run: { port: number | undefined }; build: { root: string } },
  cwd: string | undefined,
): ServiceWiringOptions {
  return { root: s.root, port: s.run.port, buildDir: s.build.root, cwd: cwd ?? process.cwd() };
}

/** An error as one short line (a start failure's message can carry the app's whole stderr). */
function oneLineError(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (text.split('\n')[0] ?? '').slice(0, 200);
}
