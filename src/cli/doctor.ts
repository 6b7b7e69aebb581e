/**
 * `hotwatch doctor [--root DIR] [--config FILE] [--json]`: argv → settings → runDoctor → report.
 * Exit 0 when watching will work, 1 when only degraded (polling), 2 when it will not (or bad input).
 */
import { terminalText } from '../log/terminal-text.js';
import path from 'node:path';
import { loadSettings } from '../config/load.js';
import { HotwatchError, isHotwatchError } from '../errors.js';
import { inputErrorReport, runDoctor } from '../diagnostics/doctor.js';
import { renderReport } from '../diagnostics/render.js';
import { exitCodeOf } from '../diagnostics/report-schema.js';
import { parseFlags, type FlagSpecs } from './flags.js';
import { referencePaths } from './help.js';

export interface DoctorIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  isTTY: boolean;
}

const help = (): string => `Usage: hotwatch doctor [--root DIR] [--config FILE] [--json]

Checks whether watching this Go module will work here and prints the exact fix for each problem:
inotify limits and usage (and the watches this repo needs), the filesystem of the root and of every
mount under it, the Go toolchain, module, main package, output directory and port, and the environment
(container, WSL, PID 1, systemd and cgroup limits, open-files limit, watcher environment variables).

  --root DIR     the module root (default: root from the config, else the current directory)
  --config FILE  the config file (default: watcher.config.yaml in --root or the current directory)
  --json         print the report as JSON (its JSON Schema: ${referencePaths().doctorSchema})
  --help         this text

Exit codes: 0 watching will work; 1 it will work degraded (polling); 2 it will not, or the app will not
start (no go.mod, not a main package, port in use: the verdict line says which), or bad input.
`;

const DOCTOR_FLAGS = {
  json: { type: 'boolean' },
  root: { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpecs;

function parse(argv: string[]) {
  const { values, positionals } = parseFlags('doctor', argv, DOCTOR_FLAGS);
  if (positionals.length > 0) {
    throw new HotwatchError('FLAG_INVALID', `unexpected argument "${positionals[0]}"`, {
      hint: 'hotwatch doctor takes flags only: --root DIR, --config FILE, --json',
    });
  }
  return values;
}

/** The report for input the doctor could not start on; root and config as given on the command line. */
function badInputReport(argv: string[], cwd: string, e: HotwatchError) {
  const flag = (name: string) => {
    const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
    if (i < 0) return undefined;
    return argv[i]!.includes('=') ? argv[i]!.slice(name.length + 1) : argv[i + 1];
  };
  const config = flag('--config');
  return inputErrorReport(path.resolve(cwd, flag('--root') ?? '.'), config === undefined ? undefined : path.resolve(cwd, config), e);
}

export async function doctorCommand(argv: string[], io: DoctorIO): Promise<number> {
  try {
    const flags = parse(argv);
    if (flags.help) {
      io.stdout.write(help());
      return 0;
    }
    const settings = await loadSettings({ cwd: io.cwd, configPath: flags.config, rootFlag: flags.root, isTTY: io.isTTY });
    const report = await runDoctor(settings);
    if (flags.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else io.stdout.write(renderReport(report, { color: io.isTTY && !process.env.NO_COLOR }));
    return exitCodeOf(report.verdict);
  } catch (e) {
    if (isHotwatchError(e)) {
      io.stderr.write(`hotwatch: ${terminalText(e.format())}\n`);
      // --json still gets a document (verdict broken, the problem as its one failing check).
      if (argv.includes('--json')) io.stdout.write(`${JSON.stringify(badInputReport(argv, io.cwd, e), null, 2)}\n`);
      return e.exitCode;
    }
    throw e;
  }
}
