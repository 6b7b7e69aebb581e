/** `hotwatch <command>`: dispatch only; each command lives in its own file. */
import { readFileSync } from 'node:fs';
import { mainHelp } from './help.js';
import { suggest } from '../config/suggest.js';
import type { RememberedStart } from '../startup/remembered-build.js';

const COMMANDS = ['run', 'exec', 'config', 'doctor', 'init', 'status', 'reload', 'systemd-unit', 'helpers'];

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * A one-shot command whose reader went away (`hotwatch doctor | head -3`) stops quietly, as `cat` does,
 * instead of dying on an unhandled EPIPE with a stack trace. `run` and `exec` have their own handling
 * (the log's destination gone: the app is stopped first, log/logger.ts).
 */
function endQuietlyWhenReaderGone(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
}

/** `remembered`: the first build bin/hotwatch.js spawned for `run` from the last run's plan (startup/remembered-build.ts). */
export async function main(argv: string[], remembered?: RememberedStart): Promise<number> {
  const [cmd, ...rest] = argv;
  const io = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), isTTY: Boolean(process.stderr.isTTY) };
  if (cmd !== 'run' && cmd !== 'exec') endQuietlyWhenReaderGone();
  switch (cmd) {
    // Each command loads only its own modules: `doctor` needs no chokidar or pino-pretty, and
    // `--version` none at all (measured: 0.5 s of imports for everything, on a slow day).
    case 'run': {
      // PID 1 in a container without an init: hotwatch runs itself under its reaper (service/pid1.ts).
      const code = process.pid === 1 ? await (await import('../service/pid1.js')).runAsPid1(rest, io) : undefined;
      return code ?? (await import('./run.js')).runCommand(rest, io, remembered);
    }
    case 'exec':
      // `hotwatch exec ARGS` is `hotwatch run --exec ARGS`: one code path for both.
      return (await import('./run.js')).runCommand(['--exec', ...rest], io);
    case 'doctor':
      return (await import('./doctor.js')).doctorCommand(rest, io);
    case 'config':
      return (await import('./config.js')).configCommand(rest, io);
    case 'init':
      return (await import('./init.js')).initCommand(rest, { ...io, stdin: process.stdin });
    case 'status':
      return (await import('./status.js')).statusCommand(rest, io);
    case 'reload':
      return (await import('./reload.js')).reloadCommand(rest, io);
    case 'helpers':
      return (await import('./helpers.js')).helpersCommand(rest, io);
    case 'systemd-unit':
      return (await import('./systemd-unit.js')).systemdUnitCommand(rest, io);
    case '--version':
    case '-v':
    case 'version':
      io.stdout.write(`hotwatch ${version()}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      io.stdout.write(mainHelp());
      return cmd === undefined ? 2 : 0;
    default: {
      const close = suggest(cmd, [...COMMANDS, '--version', '--help']);
      const mean = close === undefined ? '' : ` (did you mean ${close}?)`;
      io.stderr.write(`hotwatch: unknown command "${cmd}"${mean}\n  fix: use one of: ${COMMANDS.join(', ')} (see hotwatch --help)\n`);
      return 2;
    }
  }
}
