/** `hotwatch run`: flags → settings → preflight → runtime. Owns the process signals, nothing else. */
import os from 'node:os';
import { loadSettings, rootGivenAs } from '../config/load.js';
import { createLogger, type Logger } from '../log/logger.js';
import { isHotwatchError } from '../errors.js';
import { preflight } from '../preflight.js';
import { runtime } from '../runtime.js';
import { StateFile } from '../state-file.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { parseRunFlags } from './run-flags.js';
import { runHelp } from './help.js';
import { onHelperNotice } from '../watch/native/helper/build.js';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  isTTY: boolean;
}

/**
 * Signals that stop hotwatch as Ctrl-C does (build aborted, app stopped, then exit): every catchable
 * signal whose default action ends the process, as Node leaves them. Without a handler such a signal
 * (Ctrl-\ is SIGQUIT) killed hotwatch on the spot and left the app, in its own process group, running on
 * its port. SIGINT, SIGTERM and SIGHUP are requests to stop: exit 0. The others get the same stop, then
 * exit 128+n, so a caller still sees which signal ended it; no core dump after a clean stop (hotwatch's
 * core is of no use to anyone, and would land in the module root).
 * Not handled, on purpose: SIGUSR1 (Node's inspector), SIGPROF (V8's CPU profiler samples with it: a
 * handler would end a profiled hotwatch at its first sample), SIGPIPE and SIGXFSZ (Node ignores them),
 * SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV and SIGSYS (a fault in hotwatch itself or a debugger:
 * no JavaScript can run safely there), SIGKILL and SIGSTOP (cannot be caught). Names this platform lacks
 * (SIGPWR, SIGSTKFLT on macOS) are left out.
 */
const REQUEST_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
export const STOP_SIGNALS: NodeJS.Signals[] = [...REQUEST_SIGNALS, 'SIGQUIT', 'SIGUSR2', 'SIGALRM', 'SIGVTALRM', 'SIGXCPU', 'SIGSTKFLT', 'SIGIO', 'SIGPWR'].filter(
  (s) => s in os.constants.signals,
) as NodeJS.Signals[];

/** Exit code after a clean stop on `sig`: 0 when asked to stop, else 128+n as if the signal had ended us. */
const stopExitCode = (sig: NodeJS.Signals | undefined): number =>
  sig === undefined || REQUEST_SIGNALS.includes(sig) ? 0 : 128 + (os.constants.signals[sig] ?? 0);

export async function runCommand(argv: string[], io: CliIO): Promise<number> {
  const root = new AbortController();
  /** Set once the logger exists: a signal before it is only acted on, not logged. */
  let signalLog: Logger | undefined;
  let supervisor: Supervisor | undefined;
  let signals = 0;
  let firstSignalAt = 0;
  let firstSignal: NodeJS.Signals | undefined;
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
      firstSignal = sig;
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
  // ends the start-up cleanly (exit 0, or 128+n, nothing started) instead of killing hotwatch half-way.
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  /** How a stop ends: exit 0, or 128+n after a signal that is not a request to stop (SIGQUIT...). */
  const stopped = (): { code: number; note: string } => {
    const code = stopExitCode(firstSignal);
    return { code, note: code === 0 ? '' : ` (exit ${code}: ended by ${firstSignal})` };
  };
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
      await state.claim();
    } catch (e) {
      if (isHotwatchError(e)) {
        io.stderr.write(`hotwatch: ${e.format()}\n`);
        return e.exitCode;
      }
      throw e;
    }

    if (root.signal.aborted) {
      state?.release();
      io.stderr.write(`hotwatch: ${String((root.signal.reason as Error)?.message ?? root.signal.reason)} while starting: stopped; nothing was started${stopped().note}\n`);
      return stopped().code;
    }

    // The log's pipe or terminal went away (\`hotwatch run | head\`): shut down cleanly, the app with it.
    const log = createLogger({
      format: settings.log.format,
      level: settings.log.level,
      destination: io.stderr,
      onClosed: (e) => root.abort(new Error(`the log output was closed (${(e as NodeJS.ErrnoException).code ?? e.message})`)),
    });
    signalLog = log;
    // The inotify helper's cache found untrusted, a cached helper rebuilt: said in the log, one line each.
    const offHelperNotices = onHelperNotice((n) => log[n.level]({ event: 'inotify-helper.cache' }, n.message));
    const givenAs = rootGivenAs(settings);
    if (givenAs) log.info({ event: 'root.resolved', root: settings.root, given: givenAs }, `root ${givenAs} is a symlink: watching the directory it names, ${settings.root}`);
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
      const end = stopped();
      log.info({ event: 'exit', forced, exitCode: end.code }, `${forced ? 'stopped (forced: the app was killed); nothing left running' : 'stopped; nothing left running'}${end.note}`);
      return end.code;
    } catch (e) {
      root.abort(e);
      if (isHotwatchError(e)) {
        log.error({ event: 'fatal', code: e.code, hint: e.hint }, e.format());
        return e.exitCode;
      }
      log.fatal({ event: 'fatal', err: e }, `internal error: ${String((e as Error)?.stack ?? e)}`);
      return 1;
    } finally {
      offHelperNotices();
      stateFile.release();
    }
  } finally {
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
  }
}
