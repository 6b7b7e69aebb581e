/**
 * The composition root: builds each stage, wires them, owns nothing global.
 *
 *   watcher ─▶ ring ─▶ debounce ─▶ aggregate ─▶ content dedupe ─▶ supervisor ─▶ build ─▶ app
 *
 * Read this file first; everything else is reachable from here.
 */
import type { Settings } from './config/settings.js';
import type { Logger } from './log/logger.js';
import type { WatchEvent } from './pipeline/events.js';
import { Ring } from './pipeline/ring.js';
import { Debouncer } from './pipeline/debounce.js';
import { toBatch, describeBatch } from './pipeline/aggregate.js';
import { ContentIndex } from './pipeline/content.js';
import { Supervisor, type SupervisorOptions } from './supervisor/supervisor.js';
import { createWatchdog } from './watch/watchdog/watchdog.js';
import { appEnvironment } from './supervisor/env.js';
import { relevantFiles } from './pipeline/relevant-files.js';
import { startupChecks } from './diagnostics/startup.js';
import { IdleCollector } from './heap.js';

/**
 * How long a batch that looks quiet waits for the watcher to confirm that nothing more is queued (see
 * Watcher.sync): beyond it, the batch is built as it is; what arrives later builds next.
 */
const SYNC_MS = 1000;

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
}

export async function runtime(s: Settings, { log, signal, onSupervisor, onAppChange }: RuntimeOptions): Promise<void> {
  const ring = new Ring(s.watch.bufferCapacity);
  const debounce = new Debouncer(s.debounce);
  const content = new ContentIndex();
  // Each edit's cycle (and the start-up) leaves garbage that V8 would hand back only ~10 s later.
  const collector = new IdleCollector(1000, () => debounce.pending || supervisor.busy);
  const supervisor = new Supervisor({
    root: s.root,
    build: s.build,
    run: s.run,
    log,
    signal,
    appEnv: () => appEnvironment(s.run),
    onAppChange,
    afterCycle: () => collector.soon(),
  });
  onSupervisor?.(supervisor);

  // Debounce timer: the only timer of the pipeline; pure stages get the clock from here.
  let timer: NodeJS.Timeout | undefined;
  let timerDue = 0;
  let flushing: Promise<void> = Promise.resolve();
  const arm = (): void => {
    const due = debounce.deadline();
    if (due === undefined) return;
    if (timer) {
      // A later event can only make the batch due sooner when it completes the last open write.
      if (due >= timerDue) return;
      clearTimeout(timer);
    }
    timerDue = due;
    timer = setTimeout(() => void fire(), Math.max(0, due - performance.now()));
  };
  let syncing = false;
  const fire = async (): Promise<void> => {
    timer = undefined;
    if (syncing) return; // the batch is being confirmed quiet: that ends with take() or arm()
    const due = debounce.deadline();
    if (due === undefined) return;
    if (performance.now() < due) return arm();
    // No event for the quiet window: on a starved machine that may be the watcher lagging the writer (a
    // checkout read hundreds of ms late), not the writer pausing. Ask the watcher to deliver everything
    // the kernel has queued; any of it moves the deadline. maxWait needs no such check: it cuts anyway.
    if (!debounce.capped() && watcher.sync) {
      syncing = true;
      try {
        await watcher.sync(SYNC_MS);
      } catch (e) {
        // A hung watcher is the heartbeat's to report; the batch is built as it is, later events next.
        log.debug({ event: 'watch.sync-failed', err: e }, `the watcher did not confirm the batch is complete (${String(e)}): building it as it is`);
      } finally {
        syncing = false;
      }
    }
    if (!debounce.take(performance.now())) return arm();
    const batch = toBatch(ring.drain());
    if (!batch) return;
    // Keep batches in order: each waits for the previous dedupe to finish.
    flushing = flushing.then(async () => {
      try {
        const verdict = batch.rescanReasons.length > 0 ? undefined : await content.classify(batch.paths);
        if (verdict && verdict.changed.length === 0) {
          if (!supervisor.idleWithoutApp) {
            log.debug({ event: 'batch.unchanged', files: verdict.unchanged.length }, `${describeBatch(batch, s.root)}: content unchanged, no rebuild`);
            return;
          }
          // Nothing is running (it exited, or the last build failed): a save is the way to say "run it again".
          log.info({ event: 'batch.unchanged-rerun', files: verdict.unchanged.length }, `${describeBatch(batch, s.root)}: content unchanged, but the app is not running: building and starting it again`);
          return supervisor.submit(batch);
        }
        supervisor.submit(verdict ? { ...batch, paths: verdict.changed } : batch);
      } catch (e) {
        // Never lose a batch to an error here: build it as it is, and say why the dedupe was skipped.
        log.warn({ event: 'batch.error', err: e }, `${describeBatch(batch, s.root)}: content check failed (${String(e)}); rebuilding anyway`);
        supervisor.submit(batch);
      }
    });
  };
  const onEvent = (ev: WatchEvent): void => {
    ring.push(ev);
    if (ev.kind === 'change') debounce.note(ev.at, ev.path, ev.complete === true);
    else debounce.note(ev.at);
    arm();
  };

  const wlog = log.child({ component: 'watch' });
  // The watcher behind the watchdog: budget, sentinels, mount checks, re-arming, fallback to polling.
  const watcher = createWatchdog({ settings: s.watch, watchdog: s.watchdog, onEvent, log: wlog, signal });
  try {
    const ready = await watcher.ready;
    wlog.info(
      { event: 'watch.ready', ...ready },
      `watching ${ready.dirs} director${ready.dirs === 1 ? 'y' : 'ies'} with the ${ready.backend} backend (${ready.reason})` +
        `${ready.watches !== undefined ? `, ${ready.watches} inotify watch${ready.watches === 1 ? '' : 'es'}` : ''}, ready in ${ready.readyMs}ms`,
    );
    collector.soon(); // the start-up scan's garbage
    // The quick part of `hotwatch doctor`, with the watcher's own directory count (no second scan).
    void startupChecks(s, ready.dirs, log, signal);
    // Baseline for content dedupe, in the background: files edited after start are never indexed here.
    const since = Date.now();
    // The watchdog's snapshot already lists them: a second walk of the tree for it cost ~8 MB of RSS.
    const known = watcher.knownFiles?.(CONTENT_SEED_FILES);
    void (known ? Promise.resolve(known) : relevantFiles(s.watch, signal, CONTENT_SEED_FILES))
      .then((files) => content.seed(files, since, signal))
      .then((n) => {
        log.debug({ event: 'content.seeded', files: n }, `indexed ${n} files for content dedupe`);
        collector.soon();
      })
      .catch((e) => log.warn({ err: e }, `content index not seeded (every save will rebuild): ${String(e)}`));
    await supervisor.run({ paths: [], rescanReasons: ['initial build'], firstAt: performance.now(), lastAt: performance.now() });
  } finally {
    collector.cancel();
    if (timer) clearTimeout(timer);
    await watcher.close();
    await flushing.catch(() => undefined);
  }
}
