/** `hotwatch run`: flags → settings → preflight → runtime. Owns the process signals, nothing else. */
import { userErrorExit } from './user-error.js';
import { CONFIG_FILE_NAME, loadSettings, rootGivenAs } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { Settings } from '../config/settings.js';
import { isHotwatchError } from '../errors.js';
import { hasProcfs } from '../os/procfs.js';
import { followRootLink } from '../root-link.js';
import { preflight } from '../preflight.js';
import { packageVersion } from './version.js';
import { StateFile } from '../state-file.js';
import type { Supervising } from '../apps/app-set.js';
import { selectApps } from '../config/apps.js';
import { parseRunFlags } from './run-flags.js';
import { execHelp, runHelp } from './help.js';
import { applyExec } from '../config/exec.js';
import { StartupTimings } from '../startup/timings.js';
import { EarlyBuild } from '../startup/early-build.js';
import { settleRemembered, takeRemembered, type RememberedStart } from '../startup/remembered-build.js';
import path from 'node:path';
import { startupGate } from '../test-hooks.js';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  isTTY: boolean;
}

import { ShutdownSignals } from './shutdown-signals.js';

/** `remembered`: the first build bin/hotwatch.js spawned from the last run's plan (startup/remembered-build.ts). */
export async function runCommand(argv: string[], io: CliIO, remembered?: RememberedStart): Promise<number> {
  const timings = new StartupTimings();
  timings.mark('modules');
  const root = new AbortController();
  /** Set once the logger exists: a signal before it is only acted on, not logged. */
  let signalLog: Logger | undefined;
  let supervisor: Supervising | undefined;
  const signals = new ShutdownSignals(root, { log: () => signalLog, forceKill: () => supervisor?.forceKill() });
  if (remembered && 'build' in remembered) remembered.build.signals.handOver(); // a stop since its spawn stops the start-up
  // Stopped in the finally below unless the start-up adopts it: an exit 2 leaves nothing running.
  let early: EarlyBuild | undefined = remembered && 'build' in remembered ? remembered.build.early : undefined;
  try {
    const started = await startUp(argv, io, root.signal, timings, remembered);
    if (typeof started === 'number') return started;
    const { settings, state, reloadSettings } = started;
    early = started.early;
    if (root.signal.aborted) {
      await early?.abandon();
      state.release();
      const end = signals.stopped();
      io.stderr.write(
        `hotwatch: ${String((root.signal.reason as Error)?.message ?? root.signal.reason)} while starting: stopped; nothing was started${end.note}\n`,
      );
      return end.code;
    }
    const { log, output } = await runLogger(settings, io, root);
    signalLog = log;
    settleRemembered(log, remembered, early, {
      place: { argv, cwd: io.cwd, env: process.env },
      settings,
      configInput: started.configInput,
      rootAs: rootGivenAs(settings) ?? settings.root, // a symlink the root was given as: it must still lead there
    });
    const code = await serve(settings, state, log, {
      io,
      root,
      signals,
      onSupervisor: (s) => (supervisor = s),
      reloadSettings,
      timings,
      early,
      output,
    });
    return await flushedOrExit(output, code);
  } finally {
    await early?.abandon(signalLog); // a no-op once adopted; else the start-up ended before the first build
    if (remembered && 'build' in remembered) remembered.build.lock.release(); // a no-op once the state file's claim released it
    signals.close();
  }
}

/** The run's logger, and where it writes (logOutput: a pipe off the main thread), the app's stderr with it. */
async function runLogger(settings: Settings, io: CliIO, root: AbortController): Promise<{ log: Logger; output: NodeJS.WritableStream }> {
  // Loaded once the first build runs (startup/early-build.ts): none of it is on that build's path.
  const { logOutput, openLogger } = await import('../log/logger.js');
  const output = logOutput(io.stderr, settings.log.format);
  // The log's pipe or terminal went away (`hotwatch run | head`): shut down cleanly, the app with it.
  const log = await openLogger({
    format: settings.log.format,
    level: settings.log.level,
    destination: output,
    onClosed: (e) => root.abort(new Error(`the log output was closed (${(e as NodeJS.ErrnoException).code ?? e.message})`)),
  });
  return { log, output };
}

/** Flags, config, preflight and the claim on the root: the settings, or the exit code of bad input. */
async function startUp(
  argv: string[],
  io: CliIO,
  signal: AbortSignal,
  timings: StartupTimings,
  remembered: RememberedStart,
): Promise<
  | { settings: Settings; state: StateFile; reloadSettings: () => Promise<Settings>; early: EarlyBuild | undefined; configInput: string }
  | number
> {
  // Nothing is logged before the config is read and the root claimed: a start-up stuck there (a file
  // system that does not answer, a lock, go) would be silence. Said every 15 s, with the step it is at.
  const slow = new SlowStart(io.stderr);
  try {
    const flags = parseRunFlags('run', argv, io.cwd);
    if (flags.help) {
      io.stdout.write(flags.exec ? execHelp() : runHelp());
      return 0;
    }
    slow.at('reading the config');
    const loaded = await loadSettings({ cwd: io.cwd, isTTY: io.isTTY, ...flags.load });
    const settings = flags.exec ? applyExec(loaded, flags.exec) : loaded;
    // `hotwatch run api worker`: the apps of apps: this run runs (ad-hoc mode runs its command, no app).
    const { build, run } = flags.load.overrides ?? {};
    const chooseApps = (s: Settings): Settings => {
      s.apps = flags.exec ? undefined : selectApps(s.apps, flags.apps, { ...build, ...run, proxy: s.proxy.enabled });
      return s;
    };
    chooseApps(settings);
    timings.mark('config');
    // Spawned by bin/hotwatch.js from the last run's plan: kept only when it is this build (else stopped).
    slow.at('deciding on the first build spawned at launch');
    const kept = await takeRemembered(remembered, settings);
    slow.at('checking the toolchain, the package and the ports');
    await preflight(settings, signal);
    timings.mark('checks');
    slow.at('claiming the root (its lock, its state file)');
    const state = new StateFile(settings.root);
    await state.claim(kept.lock);
    timings.mark('claimed');
    slow.at('spawning the first build');
    // The first build, now: the rest of hotwatch loads while it runs (the runtime adopts it).
    const early = kept.early ?? EarlyBuild.start(settings);
    if (early) timings.mark('build', { ms: early.startedAt, cpuMs: early.startedCpuMs }); // at its spawn (the remembered one's: before the modules)
    await startupGate(signal); // test-only: a window where that build runs and nothing else is loaded yet
    // A config reload reads the file again with the same flags (they still override it), and checks what the
    // start checks (a build.package that is a library is refused, the running app kept), ports aside.
    const reloadSettings = () =>
      loadSettings({ cwd: io.cwd, isTTY: io.isTTY, ...flags.load })
        .then(chooseApps)
        .then(async (s) => {
          await preflight(s, signal, { ports: false });
          return s;
        });
    const configInput = settings.configFile ?? path.join(path.resolve(io.cwd, flags.load.rootFlag ?? '.'), CONFIG_FILE_NAME);
    return { settings, state, reloadSettings, early, configInput };
  } catch (e) {
    return userErrorExit(e, io);
  } finally {
    slow.stop();
  }
}

/** The start-up's step, said when it takes long (before the logger exists: straight to stderr). */
class SlowStart {
  private step = 'starting';
  private readonly since = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(stderr: NodeJS.WritableStream) {
    this.timer = setInterval(() => {
      const s = Math.round((performance.now() - this.since) / 1000);
      stderr.write(`hotwatch: still starting after ${s} s: ${this.step}\n`);
    }, SLOW_START_MS);
    this.timer.unref();
  }

  at(step: string): void {
    this.step = step;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** How long a silent start-up may take before it is said (a cold module cache is a build's, after this). */
const SLOW_START_MS = 15_000;

interface ServeContext {
  io: CliIO;
  root: AbortController;
  signals: ShutdownSignals;
  onSupervisor: (s: Supervising) => void;
  reloadSettings: () => Promise<Settings>;
  timings: StartupTimings;
  /** The first build, spawned at start-up: adopted by the first cycle, stopped if the runtime ends before. */
  early: EarlyBuild | undefined;
  /** Where the log and the app's stderr go (logOutput: off the main thread for a pipe). */
  output: NodeJS.WritableStream;
}

const KEYS_OFF = 'keys off: hotwatch runs in the background of this terminal (fg brings them back)';

/**
 * The last lines written before the exit: a reader that stopped draining (`| less` left unscrolled) holds
 * them for good, and a write in flight would keep the process alive: after a second, the exit all the
 * same (what is running was stopped and said; only the saying is stuck).
 */
async function flushedOrExit(output: NodeJS.WritableStream, code: number): Promise<number> {
  const writer = output as NodeJS.WritableStream & { drained?: (ms: number) => Promise<boolean> };
  if (!writer.drained || (await writer.drained(1000))) return code;
  process.exit(code);
}

/** A root given as a symlink: said, and the link followed (a re-pointed link is said: root-link.ts). */
function sayRootLink(settings: Settings, log: Logger, signal: AbortSignal): void {
  const givenAs = rootGivenAs(settings);
  if (!givenAs) return;
  log.info(
    { event: 'root.resolved', root: settings.root, given: givenAs },
    `root ${givenAs} is a symlink: watching the directory it names, ${settings.root}`,
  );
  followRootLink(givenAs, settings.root, log, signal);
}

/** The runtime, until a signal or a fatal error; the last line says what is left running (verified). */
async function serve(
  settings: Settings,
  stateFile: StateFile,
  log: Logger,
  { io, root, signals, onSupervisor, reloadSettings, timings, early, output }: ServeContext,
): Promise<number> {
  const say = (text: string): void => log.info({ event: 'hotkeys' }, text);
  const [{ runtime }, { onHelperNotice }, { HOTKEYS_HELP, listenForHotkeys, runHotkeys }, { clearScreenBeforeBuilds }] = await Promise.all([
    import('../runtime.js'),
    import('../watch/native/helper/build.js'),
    import('./hotkeys.js'),
    import('./clear-screen.js'),
  ]);
  // The inotify helper's cache found untrusted, a cached helper rebuilt: said in the log, one line each.
  const offHelperNotices = onHelperNotice((n) => log[n.level]({ event: 'inotify-helper.cache' }, n.message));
  sayRootLink(settings, log, root.signal);
  await stateFile.reapLeftover(log);
  try {
    const end = await runtime(settings, {
      log,
      version: packageVersion(),
      signal: root.signal,
      cwd: io.cwd,
      reloadSettings,
      timings,
      ...(early ? { early } : {}),
      // service.sighup: reload (read at each SIGHUP: a reload may change it)
      onReload: (reload) => {
        signals.hangup = () => {
          if (settings.service?.sighup !== 'reload') return false;
          void reload('SIGHUP');
          return true;
        };
      },
      ...clearScreenBeforeBuilds(settings, io.stdout),
      onSupervisor: (s) => {
        onSupervisor(s);
        const keys = runHotkeys(s, say, io.stdout, () => signals.request('q'));
        listenForHotkeys(process.stdin, keys, root.signal, { onKeys: () => say(HOTKEYS_HELP), onBackground: () => say(KEYS_OFF) });
      },
      ...recordingApps(stateFile, log),
      appStderr: output,
      onRootRearmed: () => void stateFile.reclaim(log),
    });
    await early?.abandon(log); // stopped before its first cycle: gone before "nothing left running" is said
    return reportExit(log, signals, end.appProcessesLeft);
  } catch (e) {
    root.abort(e);
    if (isHotwatchError(e)) {
      log.error({ event: 'fatal', code: e.code, hint: e.hint }, e.format());
      return e.exitCode;
    }
    log.fatal({ event: 'fatal', err: e }, `internal error: ${String((e as Error)?.stack ?? e)}`);
    return 1;
  } finally {
    await early?.abandon(log); // not adopted: the runtime ended before its first build
    offHelperNotices();
    stateFile.release();
  }
}

/** The state file's record of the app (or, with apps:, of every app): a failed write is said, never fatal. */
function recordingApps(stateFile: StateFile, log: Logger) {
  const recording = (what: string, write: () => void): void => {
    try {
      write();
    } catch (e) {
      log.warn(
        { err: e },
        `could not record the ${what} in ${stateFile.dir}/state.json: ${String(e)} (a crash of hotwatch would leave the ${what} unfound)`,
      );
    }
  };
  return {
    onAppChange: (app: Parameters<StateFile['recordApp']>[0]) => recording('app', () => stateFile.recordApp(app)),
    onAppsChange: (apps: Parameters<StateFile['recordApps']>[0]) => recording('apps', () => stateFile.recordApps(apps)),
    onStateDirGone: () => recording('app', () => stateFile.restore()),
    onAppAlso: (app: Parameters<StateFile['recordAlso']>[0], alive: boolean) => recording('app', () => stateFile.recordAlso(app, alive)),
  };
}

/** "Nothing left running" only when a last look found no process of the app. */
function reportExit(log: Logger, signals: ShutdownSignals, left: ReadonlyArray<{ pid: number; cmd: string; port?: number }>): number {
  const { forced } = signals;
  const exit = signals.stopped();
  if (left.length > 0) {
    // A port holder has no marker: it left the app's tree unseen (setsid and a cleared environment), or was never the app's.
    const who = left
      .map((p) => `pid ${p.pid} (${p.cmd})${p.port !== undefined ? ` holding :${p.port}, the app's port, outside its tree` : ''}`)
      .join(', ');
    // Not a clean stop: a script or a unit that stops hotwatch must see it (exit 1, not 0).
    const code = exit.code === 0 ? 1 : exit.code;
    log.error(
      { event: 'exit', forced, left, exitCode: code, hint: `kill ${left.map((p) => p.pid).join(' ')}` },
      `stopped, but processes of the app are still running: ${who}${exit.note} (exit ${code}); fix: kill ${left.map((p) => p.pid).join(' ')}`,
    );
    return code;
  }
  // Without /proc (unmounted in a container, another OS) no process of the app can be looked for: not "nothing".
  const none = hasProcfs()
    ? 'nothing left running'
    : "what the app's tree left running cannot be looked for (no /proc): check with ps that none of its processes is left";
  log.info(
    { event: 'exit', forced, exitCode: exit.code, ...(hasProcfs() ? {} : { unverified: true }) },
    `${forced ? `stopped (forced: the app was killed); ${none}` : `stopped; ${none}`}${exit.note}`,
  );
  return exit.code;
}
