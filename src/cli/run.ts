/** `hotwatch run`: flags → settings → preflight → runtime. Owns the process signals, nothing else. */
import { loadSettings } from '../config/load.js';
import { createLogger, type Logger } from '../log/logger.js';
import { isHotwatchError } from '../errors.js';
import { preflight } from '../preflight.js';
import { runtime } from '../runtime.js';
import { StateFile } from '../state-file.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { parseRunFlags } from './run-flags.js';
import { runHelp } from './help.js';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  isTTY: boolean;
}

export async function runCommand(argv: string[], io: CliIO): Promise<number> {
  const root = new AbortController();
  /** Set once the logger exists: a signal before it is only acted on, not logged. */
  let signalLog: Logger | undefined;
  let supervisor: Supervisor | undefined;
  let signals = 0;
  let firstSignalAt = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    // One keypress or `kill` can arrive twice (e.g. `timeout` signals both the child and its group):
    // a repeat within 200 ms is the same request, not "force".
    if (signals > 0 && performance.now() - firstSignalAt < 200) {
      signalLog?.debug({ event: 'shutdown.duplicate-signal', signal: sig }, `${sig} repeated within 200ms: ignored`);
      return;
    }
    signals++;
    if (signals === 1) {
      firstSignalAt = performance.now();
      signalLog?.info({ event: 'shutdown', signal: sig }, `${sig}: stopping (again to force)`);
      root.abort(new Error(sig));
    } else {
      signalLog?.warn({ event: 'shutdown.forced', signal: sig }, `${sig} again: killing the app now`);
      supervisor?.forceKill();
      forced = true;
    }
  };
  let forced = false;
  // From the start: a signal while the config is read or `go list` runs (seconds on a loaded machine)
  // ends the start-up cleanly (exit 0, nothing started) instead of killing hotwatch half-way.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    let settings;
    let state: StateFile | undefined;
    try {
      const flags = parseRunFlags('run', argv, io.cwd);
      if (flags.help) {
        io.stdout.write(runHelp());
        return 0;
      }
      settings = await loadSettings({ cwd: io.cwd, isTTY: io.isTTY, ...flags.load });
      await preflight(settings, root.signal);
      state = new StateFile(settings.root);
      state.claim();
    } catch (e) {
      if (isHotwatchError(e)) {
        io.stderr.write(`hotwatch: ${e.format()}\n`);
        return e.exitCode;
      }
      throw e;
    }

    if (root.signal.aborted) {
      state?.release();
      io.stderr.write(`hotwatch: ${String((root.signal.reason as Error)?.message ?? root.signal.reason)} while starting: stopped; nothing was started\n`);
      return 0;
    }

    // The log's pipe or terminal went away (\`hotwatch run | head\`): shut down cleanly, the app with it.
    const log = createLogger({
      format: settings.log.format,
      level: settings.log.level,
      destination: io.stderr,
      onClosed: (e) => root.abort(new Error(`the log output was closed (${(e as NodeJS.ErrnoException).code ?? e.message})`)),
    });
    signalLog = log;
    const stateFile = state!;
    await stateFile.reapLeftover(log);
    try {
      await runtime(settings, {
        log,
        signal: root.signal,
        onSupervisor: (s) => (supervisor = s),
        onAppChange: (app) => {
          try {
            stateFile.recordApp(app);
          } catch (e) {
            log.warn({ err: e }, `could not record the app in ${stateFile.dir}/state.json: ${String(e)} (a crash of hotwatch would leave the app unfound)`);
          }
        },
      });
      log.info({ event: 'exit', forced }, forced ? 'stopped (forced: the app was killed); nothing left running' : 'stopped; nothing left running');
      return 0;
    } catch (e) {
      root.abort(e);
      if (isHotwatchError(e)) {
        log.error({ event: 'fatal', code: e.code, hint: e.hint }, e.format());
        return e.exitCode;
      }
      log.fatal({ event: 'fatal', err: e }, `internal error: ${String((e as Error)?.stack ?? e)}`);
      return 1;
    } finally {
      stateFile.release();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}
