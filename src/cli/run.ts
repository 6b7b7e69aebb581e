/** `hotwatch run`: flags → settings → preflight → runtime. Owns the process signals, nothing else. */
import { parseArgs } from 'node:util';
import { loadSettings } from '../config/load.js';
import { createLogger, type Logger } from '../log/logger.js';
import { HotwatchError, isHotwatchError } from '../errors.js';
import { preflight } from '../preflight.js';
import { runtime } from '../runtime.js';
import { StateFile } from '../state-file.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { HOTKEYS_HELP, listenForHotkeys, runHotkeys } from './hotkeys.js';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  isTTY: boolean;
}

const HELP = `Usage: hotwatch run [flags] [-- APP ARGS...]

Builds the main package of the Go module at --root (default: the current directory) into
.hotwatch/bin/app, runs it, and on every relevant change rebuilds and restarts it.

Flags:
  --config FILE        config file (default: watcher.config.yaml in the root, if present)
  --root DIR           the Go module to watch (overrides root: in the config)
  --poll               poll instead of inotify (watch.backend: poll)
  --log-format FORMAT  auto | pretty | json (default auto: pretty on a terminal)
  --log-level LEVEL    trace | debug | info | warn | error (default info)
  -h, --help           this help
  -- APP ARGS...       arguments for the app (replace run.args)

Ctrl-C stops the app gracefully and exits; a second Ctrl-C kills it at once.
At a terminal: r rebuilds and restarts, c clears the screen, q quits, h lists the keys.
`;

function parse(argv: string[]) {
  const dashdash = argv.indexOf('--');
  const own = dashdash === -1 ? argv : argv.slice(0, dashdash);
  const appArgs = dashdash === -1 ? undefined : argv.slice(dashdash + 1);
  try {
    const { values, positionals } = parseArgs({
      args: own,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string' },
        root: { type: 'string' },
        poll: { type: 'boolean' },
        'log-format': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (positionals.length > 0) {
      throw new HotwatchError('FLAG_INVALID', `unexpected argument "${positionals[0]}"`, {
        hint: 'app arguments go after --, e.g. hotwatch run -- -port 8080',
      });
    }
    const fmt = values['log-format'];
    if (fmt !== undefined && !['auto', 'pretty', 'json'].includes(fmt)) {
      throw new HotwatchError('FLAG_INVALID', `--log-format ${fmt}: expected auto, pretty or json`);
    }
    const lvl = values['log-level'];
    if (lvl !== undefined && !['trace', 'debug', 'info', 'warn', 'error'].includes(lvl)) {
      throw new HotwatchError('FLAG_INVALID', `--log-level ${lvl}: expected trace, debug, info, warn or error`);
    }
    return { values, appArgs, fmt: fmt as 'auto' | 'pretty' | 'json' | undefined, lvl: lvl as 'info' | undefined };
  } catch (e) {
    if (isHotwatchError(e)) throw e;
    throw new HotwatchError('FLAG_INVALID', (e as Error).message, { hint: 'see hotwatch run --help' });
  }
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
      const { values, appArgs, fmt, lvl } = parse(argv);
      if (values.help) {
        io.stdout.write(HELP);
        return 0;
      }
      settings = await loadSettings({
        cwd: io.cwd,
        configPath: values.config,
        rootFlag: values.root,
        isTTY: io.isTTY,
        overrides: {
          log: { format: fmt, level: lvl },
          watch: { backend: values.poll ? 'poll' : undefined },
          run: { args: appArgs },
        },
      });
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
      const end = await runtime(settings, {
        log,
        signal: root.signal,
        cwd: io.cwd,
        onSupervisor: (s) => {
          supervisor = s;
          const keys = runHotkeys(s, (text) => log.info({ event: 'hotkeys' }, text), io.stdout);
          if (listenForHotkeys(process.stdin, keys, root.signal)) log.info({ event: 'hotkeys' }, HOTKEYS_HELP);
        },
        onAppChange: (app) => {
          try {
            stateFile.recordApp(app);
          } catch (e) {
            log.warn({ err: e }, `could not record the app in ${stateFile.dir}/state.json: ${String(e)} (a crash of hotwatch would leave the app unfound)`);
          }
        },
      });
      const left = end.appProcessesLeft;
      if (left.length > 0) {
        const who = left.map((p) => `pid ${p.pid} (${p.cmd})`).join(', ');
        log.error({ event: 'exit', forced, left, hint: 'kill them by hand' }, `stopped, but processes of the app are still running: ${who}`);
        return 0;
      }
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
