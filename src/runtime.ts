/**
 * The composition root: builds each stage, wires them, owns nothing global.
 *
 *   watcher ─▶ batcher (ring ─▶ debounce ─▶ aggregate ─▶ content dedupe) ─▶ supervisor ─▶ build ─▶ app
 *
 * Read this file first; everything else is reachable from here.
 */
import { EmbeddedSet } from './os/embedded-set.js';
import { sayUnwatchedDotenv } from './startup/unwatched-dotenv.js';
import { findMainPackages } from './preflight.js';
import { CgoHeaderDirs } from './os/cgo-headers.js';
import type { Settings, WatchSettings } from './config/settings.js';
import type { Logger } from './log/logger.js';
import type { Watcher, WatcherReady } from './watch/types.js';
import type { Batch, WatchEvent } from './pipeline/events.js';
import { Batcher } from './pipeline/batcher.js';
import { relevantFiles } from './pipeline/relevant-files.js';
import { Supervisor, type SupervisorOptions } from './supervisor/supervisor.js';
import { appEnvironment } from './supervisor/env.js';
import type { WatchSet } from './watch/roots/watch-set.js';
import { IdleCollector } from './heap.js';
import { describeListChanges } from './config/lists.js';
import { describePlan } from './startup-plan.js';
import { ServiceWiring, startService, wiringOptions } from './service-wiring.js';
import { startProxy } from './proxy-driver.js';
import type { BatchTarget } from './proxy-changes.js';
import type { ServiceMode } from './service/service-mode.js';
import { watchConfigFile } from './config-file-watch.js';
import { startConfigReload, type ReloadOutcome } from './reload.js';
import { StepWrites } from './supervisor/step-writes.js';
import { AppSet, type AppSetOptions, type Supervising } from './apps/app-set.js';
import { allEnvFiles, watchedSettings } from './apps/watching.js';
import { describeApps } from './apps/plan.js';
import path from 'node:path';
import { FirstBuild, firstBuildOrder } from './startup/first-build.js';
import type { StartupTimings } from './startup/timings.js';
import { armingGate } from './test-hooks.js';
import type { EarlyBuild } from './startup/early-build.js';
import { runBuild, type BuildRunner } from './supervisor/build.js';

/** Files hashed at start for content dedupe (a file beyond them is indexed at its first change). */
const CONTENT_SEED_FILES = 5_000;

export interface RuntimeOptions {
  log: Logger;
  /** Aborting it shuts hotwatch down: build aborted, app stopped, watches released. */
  signal: AbortSignal;
  /** Called once the supervisor exists (the CLI wires the second Ctrl-C to forceKill). */
  onSupervisor?: (s: Supervising) => void;
  /** Told whenever the running app changes (the CLI records it in .hotwatch/state.json). */
  onAppChange?: SupervisorOptions['onAppChange'];
  /** With apps:, told whenever an app's process changes, with every app's that runs (the state file). */
  onAppsChange?: AppSetOptions['onAppsChange'];
  /** Told of an app process besides the serving ones (a version proving itself, one draining): the state file. */
  onAppAlso?: SupervisorOptions['onAppAlso'];
  /** .hotwatch/ was removed (git clean -fdx) and hotwatch's socket placed again: the state file is written again too. */
  onStateDirGone?: () => void;
  /** Where the app's stderr goes once read (the log's own output: logOutput). */
  appStderr?: NodeJS.WritableStream;
  /** The directory hotwatch was started in: compiler errors name files relative to it. */
  cwd?: string;
  /** hotwatch's version (service mode's /status and metrics). */
  version?: string;
  /** Reads the config again with this run's flags (config reload; without it, no reload). */
  reloadSettings?: () => Promise<Settings>;
  /** Given the config reload once it can run (the CLI routes SIGHUP to it with `service.sighup: reload`). */
  onReload?: (reload: (trigger: string) => Promise<ReloadOutcome>) => void;
  /** Called before each build (--clear on a terminal: clears the screen). */
  beforeBuild?: () => void;
  /** The start-up's marks (said at debug level once watching is ready). */
  timings?: StartupTimings;
  /** The first build, spawned before the runtime existed (startup/early-build.ts): the first cycle adopts it. */
  early?: EarlyBuild;
  /** The root was armed again as another directory (replaced, or deleted and made again): the CLI takes its lock again. */
  onRootRearmed?: () => void;
}

/** How a run ended: processes of the app still running after everything was stopped (none, normally). */
export interface RuntimeEnd {
  /** `port`: not the app's by its marker, but holding the app's port after its stop (supervisor/port-holders.ts). */
  appProcessesLeft: { pid: number; cmd: string; port?: number }[];
}

export async function runtime(s: Settings, o: RuntimeOptions): Promise<RuntimeEnd> {
  // Service mode (sd_notify, the status socket) before the first build: it takes NOTIFY_SOCKET out of the environment.
  const wiring = new ServiceWiring(wiringOptions(s, o.cwd));
  const { root, service: { statusPort } = {} } = s;
  const log = o.log.child({ component: 'service' });
  const onControlPlacedAgain = o.onStateDirGone;
  const service = await startService(wiring, {
    root,
    version: o.version ?? 'unknown',
    signal: o.signal,
    log,
    statusPort,
    ...(onControlPlacedAgain ? { onControlPlacedAgain } : {}),
    ...(s.proxy.enabled && s.proxy.port !== 0 ? { proxy: proxyUrl(s.proxy.address, s.proxy.port) } : {}),
  });
  try {
    return await runStages(s, o, wiring, service);
  } finally {
    await service.close();
  }
}

/** How long a failed build waits for a save still under way (an editor's rename-in) before it is said. */
const FAILURE_GRACE_MS = 250;

async function runStages(s: Settings, o: RuntimeOptions, wiring: ServiceWiring, service: ServiceMode): Promise<RuntimeEnd> {
  const { log, signal, onSupervisor, cwd } = o;
  // Each edit's cycle (and the start-up) leaves garbage that V8 would hand back only ~10 s later.
  const collector = new IdleCollector(1000, () => batcher.pending || supervisor.busy);
  const proxy = await startProxy(s, log, signal); // proxy.enabled, --proxy-port: listening before the first build
  const stepWrites = stepWritesFor(s, () => batcher.changedSince(performance.now()));
  // The first build may start while arming (startup/first-build.ts): if watching cannot start, it is stopped, its tree with it.
  const first = new FirstBuild(firstBuildOrder(s));
  const abandon = new AbortController();
  const facts: BuildFacts = { cgoHeaders: new CgoHeaderDirs(), embedded: new EmbeddedSet() };
  const shared = sharedOptions(s, o, { wiring, proxy, stepWrites, first, abandon, batcher: () => batcher, collector, facts });
  // apps: one Supervisor per app behind one router (src/apps/); else the one app of build: and run:.
  const supervisor: Supervising = s.apps
    ? new AppSet({ root: s.root, apps: s.apps, log, shared, env: { ...process.env, ...s.build.env }, top: s, onAppsChange: o.onAppsChange })
    : new Supervisor({ ...shared, root: s.root, build: s.build, run: s.run, log, appEnv: () => appEnvironment(s.run) });
  onSupervisor?.(supervisor);
  // The config file's edits reload the config (reload.ts), never build.
  const configWatch = watchConfigFile(s, { log, signal, onChange: () => void service.reload('config file changed') });
  const watch = configWatch.including(watchSettings(s, log, cwd ?? process.cwd(), o.early));
  // Behind the proxy, batches pass its gate (a run-time-only file the binary embeds builds: proxy-changes.ts).
  const batcher = batcherFor(s, supervisor, proxy?.changes.inOrder(supervisor) ?? supervisor, wiring, log);
  let running = first.order.whileArming ? startFirstBuild(first, supervisor, o.timings, o.early) : undefined;

  const wlog = log.child({ component: 'watch' });
  // The config file's edits go to the reload; a build step's own writes are left out (step-writes.ts).
  const toBatcher = stepWrites ? (ev: WatchEvent) => stepWrites.pass(ev, batcher) : (ev: WatchEvent) => batcher.push(ev);
  let watcher: WatchSet | undefined;
  wiring.bind(supervisor); // the job's state from the first build on; READY=1 waits for the watches too
  try {
    await armingGate(signal); // test-only: a window where the build runs and nothing watches yet
    // The watch stack is loaded once the first build runs (its modules are not on that build's path).
    const toWatch = (ev: WatchEvent) => configWatch.takes(ev) || toBatcher(ev);
    watcher = await watchSetFor(s, watch, toWatch, wlog, signal, wiring, cwd, rootRearmed(service, o), facts);
    o.timings?.mark('watchLoaded');
    batcher.useBarrier(watcher);
    wiring.bindWatcher(watcher);
    startConfigReload({ settings: s, load: o.reloadSettings, onReload: o.onReload, watcher, supervisor, configWatch, service, log });
    const ready = await abandoningOnFailure(watcher.ready, running, abandon, first);
    sayReady(ready, wlog, o.timings, first);
    wiring.watchReady();
    // The first build first: what follows is background work, and it used to run before the build started
    // (measured: 45 ms from watch.ready to build.start on 200 directories).
    running ??= startFirstBuild(first, supervisor, o.timings);
    if (first.order.whileArming) catchUpArming(s, watcher, watch, first, batcher, wlog, signal);
    collector.soon(); // the start-up scan's garbage
    afterFirstCycle(s, { ready, watch, watcher, batcher, first, log, signal, collector });
    await running;
    // "Nothing left running" must be true: checked, not assumed (a daemon, a process that survived SIGKILL).
    return { appProcessesLeft: supervisor.leftovers() };
  } catch (e) {
    return await stoppedWhileStarting(e, { signal, abandon, running, supervisor, log });
  } finally {
    first.done();
    collector.cancel();
    await proxy?.handle.close();
    await batcher.close();
    await watcher?.close();
    configWatch.close();
  }
}

/**
 * Told to stop while starting (Ctrl-C just after launch): whatever start-up step noticed it first and
 * threw (the scan, the watcher's ready), this is a shutdown, not a failure; the first build is stopped and
 * waited for like any other, and what is left is checked. Any other error goes on up.
 */
async function stoppedWhileStarting(
  e: unknown,
  o: { signal: AbortSignal; abandon: AbortController; running: Promise<void> | undefined; supervisor: Supervising; log: Logger },
): Promise<RuntimeEnd> {
  if (!o.signal.aborted) throw e;
  if (e !== o.signal.reason) o.log.debug({ event: 'startup.interrupted', err: e }, `start-up interrupted: ${String(e)}`);
  o.abandon.abort(o.signal.reason);
  await o.running?.catch(() => undefined);
  return { appProcessesLeft: o.supervisor.leftovers() };
}

/** What the watches learn from go about the build: cgo's headers from elsewhere (the builds key on them), the embedded files (restarts). */
type BuildFacts = { cgoHeaders: CgoHeaderDirs; embedded: EmbeddedSet };

/** What every supervisor (one, or one per app) is given. */
function sharedOptions(
  s: Settings,
  o: RuntimeOptions,
  stages: {
    wiring: ServiceWiring;
    proxy: Awaited<ReturnType<typeof startProxy>>;
    stepWrites: StepWrites | undefined;
    first: FirstBuild;
    abandon: AbortController;
    batcher: () => Batcher;
    collector: IdleCollector;
    facts: BuildFacts;
  },
) {
  const { wiring, proxy, stepWrites, first, abandon, batcher, collector, facts } = stages;
  return {
    signal: AbortSignal.any([o.signal, abandon.signal]),
    ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
    maxWaitMs: s.debounce.maxWaitMs,
    // A build that fails while arming is judged once what changed during arming is known.
    // With polled files, after a poll round that began now (a checkout still being written is then seen).
    // And after a moment (FAILURE_GRACE_MS) for an editor's save still under way.
    changedSince: (since: number): Promise<boolean | 'writing'> =>
      first.settled.then(() => batcher().changedOrWriting(since, { pollRound: true, graceMs: FAILURE_GRACE_MS })),
    // With apps:, the state file records every app's process (onAppsChange), not one.
    ...wiring.supervisorHooks(s.apps ? undefined : o.onAppChange, (batch: Batch): void => batcher().serving(batch)),
    ...(o.onAppAlso ? { onAppAlso: o.onAppAlso } : {}),
    ...(o.appStderr ? { appStderr: o.appStderr } : {}),
    afterCycle: () => {
      collector.soon();
      first.endCycle();
    },
    ...proxy?.supervisor,
    ...(s.exec ? { exec: true } : {}),
    ...(stepWrites ? { stepWrites } : {}),
    ...(o.beforeBuild ? { beforeBuild: o.beforeBuild } : {}),
    buildEnv: facts.cgoHeaders.envFor.bind(facts.cgoHeaders),
    embedded: (file: string) => facts.embedded.has(file),
    mainPackages: () => findMainPackages(s).found,
    ...(o.early && !s.apps ? { buildRunner: earlyFirst(o.early) } : {}),
    ...(s.proxy.enabled && s.proxy.port !== 0 ? { servedAt: proxyUrl(s.proxy.address, s.proxy.port) } : {}),
  };
}

/**
 * Once the first cycle has ended (not competing with its build for the cores): the quick part of `hotwatch
 * doctor`, with the watcher's own directory count (no second scan), and the content index's baseline.
 */
function afterFirstCycle(
  s: Settings,
  o: {
    ready: WatcherReady;
    watch: WatchSettings;
    watcher: Watcher;
    batcher: Batcher;
    first: FirstBuild;
    log: Logger;
    signal: AbortSignal;
    collector: IdleCollector;
  },
): void {
  const { ready, watch, watcher, batcher, first, log, signal, collector } = o;
  void first.cycleEnded.then(() => {
    if (signal.aborted) return;
    void import('./diagnostics/startup.js').then(({ startupChecks }) => startupChecks(s, ready.dirs, log, signal));
    seedContentIndex(watch, watcher, batcher, { log, signal, since: first.startedAt ?? Date.now(), done: () => collector.soon() });
  });
}

/** The first build (all of it: a rescan of nothing in particular), and when it started. */
function startFirstBuild(
  first: FirstBuild,
  supervisor: Supervising,
  timings: StartupTimings | undefined,
  early?: EarlyBuild,
): Promise<void> {
  const now = performance.now();
  // Started early: what changed since its spawn is what the catch-up looks for (an edit before adoption).
  const at = early?.pending ? early.startedWall : undefined;
  const running = first.start(() => supervisor.run({ paths: [], rescanReasons: ['initial build'], firstAt: now, lastAt: now }), at);
  timings?.mark('build');
  running.catch(() => undefined); // awaited after the arming: a failure meanwhile is not an unhandled rejection
  return running;
}

/** Builds as always, the first build adopting the one spawned early when it is that very build. */
const earlyFirst =
  (early: EarlyBuild): BuildRunner =>
  (settings, opts) =>
    runBuild(settings, { ...opts, early });

/** The line that says watching is ready (true when printed: every watch is armed), and, at debug, the start-up's timings. */
function sayReady(ready: WatcherReady, log: Logger, timings: StartupTimings | undefined, first: FirstBuild): void {
  timings?.mark('ready');
  log.info({ event: 'watch.ready', ...ready }, describeReady(ready));
  if (timings)
    log.debug({ event: 'startup.timings', ms: timings.fields(), cpuMs: timings.cpuFields(), order: first.order }, timings.line());
}

/**
 * Watching could not start (a kernel limit, an unreadable root): a first build started while arming is
 * stopped with its whole process tree (and an app it started) before the error goes up.
 */
async function abandoningOnFailure<T>(
  ready: Promise<T>,
  running: Promise<void> | undefined,
  abandon: AbortController,
  first: FirstBuild,
): Promise<T> {
  try {
    return await ready;
  } catch (e) {
    first.done();
    abandon.abort(e);
    await running?.catch(() => undefined);
    throw e;
  }
}

/** After ready: what changed during arming (where no watch could see it yet) is built by the first cycle. */
function catchUpArming(
  s: Settings,
  watcher: WatchSet,
  watch: WatchSettings,
  first: FirstBuild,
  batcher: Batcher,
  log: Logger,
  signal: AbortSignal,
): void {
  const since = first.startedAt ?? Date.now();
  import('./watch/tree/changed-since.js')
    .then(async ({ changedWhileArming, catchUpEvents }) => {
      const trees = watcher.armedTrees?.() ?? [watch];
      // Each tree's own .hotwatch/ too: an extra root's watchdog creates it while arming (own-dir.ts).
      const own = [...ownDirs(s), ...trees.map((t) => path.join(('settings' in t ? t.settings : t).root, '.hotwatch'))];
      const changes = await changedWhileArming(trees, since, signal, [...new Set(own)]);
      const events = catchUpEvents(changes, performance.now());
      const what = [...changes.files, ...changes.dirs].map((p) => path.relative(watch.root, p) || '.');
      if (events.length > 0)
        log.info(
          { event: 'watch.arming-changes', files: changes.files.length, dirs: changes.dirs.length },
          `changed while watching was being armed, after the first build started: ${what.slice(0, 5).join(', ')}${what.length > 5 ? ', ...' : ''}: building again`,
        );
      log.debug(
        { event: 'watch.arming-checked', looked: changes.looked, walked: changes.walked },
        `looked at ${changes.looked} paths for changes made while arming (${changes.walked} trees walked again)`,
      );
      for (const ev of events) batcher.push(ev);
    })
    .catch((e: unknown) => {
      if (signal.aborted) return;
      log.warn({ err: e }, `could not tell what changed while watching was armed (${String(e)}): building again to be sure`);
      batcher.push({ kind: 'rescan', reason: 'changes made while watching was armed are unknown', at: performance.now() });
    })
    .finally(() => first.done());
}

/**
 * The watcher behind the watchdog (budget, sentinels, mount checks, re-arming, fallback to polling), one per
 * root of the watch set: the root and every local module the build compiles from outside it.
 */
async function watchSetFor(
  s: Settings,
  watch: WatchSettings,
  onEvent: (ev: WatchEvent) => void,
  log: Logger,
  signal: AbortSignal,
  wiring: ServiceWiring,
  cwd: string | undefined,
  rootRearmed: () => void,
  facts: BuildFacts,
): Promise<WatchSet> {
  const [{ createWatchSet }, { buildInputs }] = await Promise.all([
    import('./watch/roots/watch-set.js'),
    import('./watch/roots/ignored-excludes.js'),
  ]);
  const goEnv = { ...process.env, ...s.build.env };
  const where = cwd ?? process.cwd();
  // Ad-hoc mode builds nothing: no module outside the root, no git-ignored directory kept for the build.
  // With apps:, every package of the module may be some app's: each is kept (as for a build.cmd).
  const build = s.exec ? undefined : { ...buildInputs(s.root, s.apps ? { ...s.build, cmd: 'apps:' } : s.build), ...facts };
  return createWatchSet({
    settings: watch,
    rules: s.watch,
    watchdog: s.watchdog,
    onEvent,
    log,
    signal,
    onHealth: (line) => {
      wiring.health(line);
      if (line.event === 'watch.rearmed' && line.scope === 'root' && line.path === s.root) rootRearmed();
    },
    goEnv,
    cwd: where,
    build,
  });
}

/** The root armed again as another directory: the status socket and the CLI's lock follow it at once. */
function rootRearmed(service: ServiceMode, o: RuntimeOptions): () => void {
  return () => {
    service.control?.keepNow(); // its .hotwatch/ may be another directory now: `hotwatch status` finds it at once
    o.onRootRearmed?.();
  };
}

/** The directories hotwatch creates in the tree: `.hotwatch`, and each build output's directory up to the root. */
function ownDirs(s: Settings): string[] {
  const dirs = new Set([path.join(s.root, '.hotwatch')]);
  for (const b of s.apps?.length ? s.apps.map((a) => a.build) : [s.build]) {
    for (let d = path.dirname(b.output); d !== s.root && !path.relative(s.root, d).startsWith('..'); d = path.dirname(d)) dirs.add(d);
  }
  return [...dirs];
}

/** The proxy's address as a browser takes it. */
const proxyUrl = (address: string, port: number): string => `http://${address.includes(':') ? `[${address}]` : address}:${port}`;

/** What a before or instead build step writes is not a new change (the watcher's events tell it): none without such steps. */
function stepWritesFor(s: Settings, sync: () => Promise<unknown>): StepWrites | undefined {
  if (!s.build.steps.some((st) => st.when !== 'after')) return undefined;
  // Polling has no delivery barrier: a step's write is seen at the next poll at the latest.
  const poll = s.watch.backend === 'poll' ? s.watch.pollIntervalMs + 200 : 0;
  return new StepWrites(poll > 0 ? () => sync().then(() => new Promise((r) => setTimeout(r, poll))) : sync);
}

/** The watch settings with run.envFiles added; what this run will do, and what the config's lists and env files mean, said once. */
function watchSettings(s: Settings, log: Logger, cwd: string, early: EarlyBuild | undefined): WatchSettings {
  const plan = describePlan(s, cwd);
  // When the first build was spawned early (epoch ms): it started before this line could be written.
  const started = early?.pending ? { buildStartedAt: early.startedWall } : {};
  if (s.apps) describeApps(s, s.apps, log, cwd);
  else log.info({ event: 'startup.plan', config: plan.config, build: plan.build, run: plan.run, root: s.root, ...started }, plan.line);
  // An edit of a run.envFiles file restarts the app (no build): the watcher must report it.
  const { watch, outside, ownOutput } = watchedSettings(s);
  for (const file of outside) {
    const text = `run.envFiles ${file} is outside the root: its edits are not watched (press r, or edit a source, to restart with it)`;
    log.warn({ event: 'config.envfile-unwatched', file }, text);
  }
  sayUnwatchedDotenv(s, watch, log);
  for (const file of ownOutput) {
    const shownFile = path.relative(cwd, file) || file;
    log.info({ event: 'watch.own-output', file }, `${shownFile} is where hotwatch's own output goes: its writes are not changes`);
  }
  // A list set in the config extends its defaults: say what it is now (it used to replace them).
  // Ad-hoc mode sets its own lists (config/exec.ts): the plan line says what is watched.
  if (!s.exec) for (const line of describeListChanges(s.watch)) log.info({ event: 'config.lists' }, line);
  return watch;
}

/**
 * The content dedupe's baseline, in the background: the files as they are at start (a file edited after
 * `since`, the first build's start, is never indexed here: that build may not have compiled it). The
 * watchdog's snapshot already lists them: a second walk of the tree for it cost ~8 MB of RSS.
 */
function seedContentIndex(
  watch: WatchSettings,
  watcher: Watcher,
  batcher: Batcher,
  { log, signal, since, done }: { log: Logger; signal: AbortSignal; since: number; done: () => void },
): void {
  const known = watcher.knownFiles?.(CONTENT_SEED_FILES);
  void (known ? Promise.resolve(known) : relevantFiles(watch, signal, CONTENT_SEED_FILES))
    .then((files) => batcher.content.seed(files, since, signal))
    .then((n) => {
      log.debug({ event: 'content.seeded', files: n }, `indexed ${n} files for content dedupe`);
      done();
    })
    .catch((e) => log.warn({ err: e }, `content index not seeded (every save will rebuild): ${String(e)}`));
}

/** The line that says watching is ready: how many directories, which backend and why, how fast. */
function describeReady(ready: Awaited<Watcher['ready']>): string {
  const watches = ready.watches !== undefined ? `, ${ready.watches} inotify watch${ready.watches === 1 ? '' : 'es'}` : '';
  return `watching ${ready.dirs} director${ready.dirs === 1 ? 'y' : 'ies'} (${ready.backend}: ${ready.reason}${watches}), ready in ${ready.readyMs}ms`;
}

/** The pipeline between the watcher and the supervisor (ring, debounce, barrier, content dedupe). */
function batcherFor(s: Settings, supervisor: Supervising, to: BatchTarget, wiring: ServiceWiring, log: Logger): Batcher {
  return new Batcher({
    root: s.root,
    bufferCapacity: s.watch.bufferCapacity,
    debounce: s.debounce,
    log,
    deliver: (batch) => to.submit(batch),
    revert: (batch) => to.revert(batch),
    // Ad-hoc mode: a command that ran to its end is the normal state, not a crash: a save that changes
    // no bytes (a generator rewriting its output as it was) must not run it again, in a loop.
    appIdle: s.exec ? () => false : () => supervisor.idleWithoutApp,
    restartOnly: allEnvFiles(s),
    onTaken: wiring.taken,
  });
}
