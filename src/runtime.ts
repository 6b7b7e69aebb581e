/**
 * The composition root: builds each stage, wires them, owns nothing global.
 *
 *   watcher ─▶ batcher (ring ─▶ debounce ─▶ aggregate ─▶ content dedupe) ─▶ supervisor ─▶ build ─▶ app
 *
 * Read this file first; everything else is reachable from here.
 */
import type { Settings, WatchSettings } from './config/settings.js';
import type { Logger } from './log/logger.js';
import type { Watcher } from './watch/types.js';
import type { Batch } from './pipeline/events.js';
import { Batcher } from './pipeline/batcher.js';
import { relevantFiles } from './pipeline/relevant-files.js';
import { Supervisor, type SupervisorOptions } from './supervisor/supervisor.js';
import { appEnvironment, watchingEnvFiles } from './supervisor/env.js';
import { createWatchdog } from './watch/watchdog/watchdog.js';
import { startupChecks } from './diagnostics/startup.js';
import { IdleCollector } from './heap.js';
import { describeListChanges } from './config/lists.js';
import { startProxy, watchingProxyFiles } from './proxy-driver.js';

/** Files hashed at start for content dedupe (a file beyond them is indexed at its first change). */
const CONTENT_SEED_FILES = 5_000;

export interface RuntimeOptions {
  log: Logger;
  /** Aborting it shuts hotwatch down: build aborted, app stopped, watches released. */
  signal: AbortSignal;
  /** Called once the supervisor exists (the CLI wires the second Ctrl-C to forceKill). */
  onSupervisor?: (s: Supervisor) => void;
  /** Told whenever the running app changes (the CLI records it in .hotwatch/state.json). */
  onAppChange?: SupervisorOptions['onAppChange'];
  /** The directory hotwatch was started in: compiler errors name files relative to it. */
  cwd?: string;
}

/** How a run ended: processes of the app still running after everything was stopped (none, normally). */
export interface RuntimeEnd {
  appProcessesLeft: { pid: number; cmd: string }[];
}

export async function runtime(s: Settings, { log, signal, onSupervisor, onAppChange, cwd }: RuntimeOptions): Promise<RuntimeEnd> {
  // Each edit's cycle (and the start-up) leaves garbage that V8 would hand back only ~10 s later.
  const collector = new IdleCollector(1000, () => batcher.pending || supervisor.busy);
  const proxy = await startProxy(s, log, signal); // proxy.enabled, --proxy-port: listening before the first build
  const supervisor = new Supervisor({
    root: s.root,
    build: s.build,
    run: s.run,
    log,
    signal,
    ...(cwd !== undefined ? { cwd } : {}),
    maxWaitMs: s.debounce.maxWaitMs,
    appEnv: () => appEnvironment(s.run),
    onAppChange,
    changedSince: (since: number): Promise<boolean> => batcher.changedSince(since),
    onServing: (batch: Batch): void => batcher.serving(batch),
    afterCycle: () => collector.soon(),
    ...proxy?.supervisor,
  });
  onSupervisor?.(supervisor);
  // An edit of a run.envFiles file restarts the app (no build): the watcher must report it.
  const { watch, outside } = watchingEnvFiles(watchingProxyFiles(s.watch, s.proxy), s.run);
  for (const file of outside) {
    const text = `run.envFiles ${file} is outside the root: its edits are not watched (press r, or edit a source, to restart with it)`;
    log.info({ event: 'config.envfile-unwatched', file }, text);
  }
  const batcher = new Batcher({
    root: s.root,
    bufferCapacity: s.watch.bufferCapacity,
    debounce: s.debounce,
    log,
    deliver: (batch) => supervisor.submit(batch),
    revert: (batch) => supervisor.revert(batch),
    appIdle: () => supervisor.idleWithoutApp,
    restartOnly: s.run.envFiles,
  });

  // A list set in the config extends its defaults: say what it is now (it used to replace them).
  for (const line of describeListChanges(s.watch)) log.info({ event: 'config.lists' }, line);
  const wlog = log.child({ component: 'watch' });
  // The watcher behind the watchdog: budget, sentinels, mount checks, re-arming, fallback to polling.
  const watcher = createWatchdog({ settings: watch, watchdog: s.watchdog, onEvent: (ev) => batcher.push(ev), log: wlog, signal });
  batcher.useBarrier(watcher);
  try {
    const ready = await watcher.ready;
    wlog.info({ event: 'watch.ready', ...ready }, describeReady(ready));
    collector.soon(); // the start-up scan's garbage
    // The quick part of `hotwatch doctor`, with the watcher's own directory count (no second scan).
    void startupChecks(s, ready.dirs, log, signal);
    seedContentIndex(watch, watcher, batcher, log, signal, () => collector.soon());
    await supervisor.run({ paths: [], rescanReasons: ['initial build'], firstAt: performance.now(), lastAt: performance.now() });
    // "Nothing left running" must be true: checked, not assumed (a daemon, a process that survived SIGKILL).
    return { appProcessesLeft: supervisor.leftovers() };
  } finally {
    collector.cancel();
    await proxy?.handle.close();
    await batcher.close();
    await watcher.close();
  }
}

/**
 * The content dedupe's baseline, in the background: the files as they are at start (a file edited after
 * start is never indexed here). The watchdog's snapshot already lists them: a second walk of the tree for
 * it cost ~8 MB of RSS.
 */
function seedContentIndex(
  watch: WatchSettings,
  watcher: Watcher,
  batcher: Batcher,
  log: Logger,
  signal: AbortSignal,
  done: () => void,
): void {
  const since = Date.now();
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
  return `watching ${ready.dirs} director${ready.dirs === 1 ? 'y' : 'ies'} with the ${ready.backend} backend (${ready.reason})${watches}, ready in ${ready.readyMs}ms`;
}
