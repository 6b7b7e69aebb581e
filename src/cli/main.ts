/** `hotwatch <command>`: dispatch only; each command lives in its own file. */
import { readFileSync } from 'node:fs';

const HELP = `hotwatch — hot reload for Go that never fails silently

Usage:
  hotwatch run    [--config FILE] [--root DIR] [--poll] [--log-format pretty|json] [--log-level LEVEL] [-- APP ARGS...]
                  build the Go module's main package, run it, rebuild and restart on every change
  hotwatch doctor [--root DIR] [--config FILE] [--json]
                  explain every limit and mount that can silence watching here, with the fix
  hotwatch --version
  hotwatch --help

Run \`hotwatch <command> --help\` for a command's flags. Exit codes: 0 ok, 1 internal failure, 2 bad input.
Docs and config reference: README.md; example config: watcher.config.yaml.
`;

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const io = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), isTTY: Boolean(process.stderr.isTTY) };
  switch (cmd) {
    // Each command loads only its own modules: `doctor` needs no execa, chokidar or pino-pretty, and
    // `--version` none at all (measured: 0.5 s of imports for everything, on a slow day).
    case 'run': {
      // PID 1 in a container without an init: hotwatch runs itself under its reaper (service/pid1.ts).
      const code = process.pid === 1 ? await (await import('../service/pid1.js')).runAsPid1(rest, io) : undefined;
      return code ?? (await import('./run.js')).runCommand(rest, io);
    }
    case 'doctor':
      return (await import('./doctor.js')).doctorCommand(rest, io);
    case 'status':
      return (await import('./status.js')).statusCommand(rest, io);
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
      io.stdout.write(HELP);
      return cmd === undefined ? 2 : 0;
    default:
      io.stderr.write(`hotwatch: unknown command "${cmd}"\n  fix: use one of: run, doctor (see hotwatch --help)\n`);
      return 2;
  }
}
