/** `hotwatch init [--root DIR] [--main PKG] [--from-air [FILE]] [--force]`: flags → runInit → what was written. */
import { terminalText } from '../log/terminal-text.js';
import { userErrorExit } from './user-error.js';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { HotwatchError, isHotwatchError } from '../errors.js';
import { runInit, type InitResult } from '../init/init.js';
import { askChoice } from '../init/prompt.js';
import { groupedUnmapped } from '../init/air/convert.js';
import { parseArgsError } from './flags.js';

export interface InitIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  isTTY: boolean;
  /** Where the answer to "which main package?" is read; asked only when it is a terminal. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

const HELP = `Usage: hotwatch init [--root DIR] [--main PKG | --all] [--force]
       hotwatch init --from-air [FILE] [--root DIR] [--force]

Writes watcher.config.yaml in the root: every key with its description and default (commented out),
and the values this repo needs set: the main package (the root, cmd/*, or a go.work module's),
files embedded with //go:embed, template extensions, a frontend directory excluded. Adds .hotwatch/
to .gitignore. With several main packages it asks on a terminal (one of them, or all of them as apps);
otherwise pass --main or --all.

Flags:
  --root DIR         the Go module or workspace (default: the current directory)
  --main PKG         the main package to build and run, e.g. ./cmd/api
  --all              every main package found, as apps of one hotwatch (apps:, one watcher for all)
  --from-air [FILE]  convert an air config instead (default: .air.toml in the root); settings hotwatch
                     cannot honour are listed in the file and on stderr, with the reason
  --force            replace an existing watcher.config.yaml
  -h, --help         this help

Exit codes: 0 written, 2 bad input (nothing written), 1 internal failure.
`;

/** `--from-air` takes an optional value: give parseArgs `--from-air=FILE` or `--from-air=`. */
function withOptionalValue(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a !== '--from-air') out.push(a);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) out.push(`--from-air=${argv[++i]}`);
    else out.push('--from-air=');
  }
  return out;
}

const INIT_FLAGS = {
  root: { type: 'string' },
  main: { type: 'string' },
  all: { type: 'boolean', default: false },
  'from-air': { type: 'string' },
  force: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function parse(argv: string[]) {
  try {
    const { values, positionals } = parseArgs({
      args: withOptionalValue(argv),
      allowPositionals: true,
      strict: true,
      options: INIT_FLAGS,
    });
    if (positionals.length > 0) {
      throw new HotwatchError('FLAG_INVALID', `unexpected argument "${positionals[0]}"`, {
        hint: 'name the main package with --main, the directory with --root (see hotwatch init --help)',
      });
    }
    return values;
  } catch (e) {
    if (isHotwatchError(e)) throw e;
    // An unknown flag gets run's message (did you mean --force?), not node's text with its unbalanced quote.
    throw parseArgsError('init', e, INIT_FLAGS);
  }
}

function report(r: InitResult, io: InitIO): void {
  const shown = path.relative(io.cwd, r.configFile) || r.configFile;
  io.stdout.write(
    terminalText(`hotwatch: wrote ${shown.startsWith('..') ? r.configFile : shown}\n${r.found.map((f) => `  ${f}\n`).join('')}`),
  );
  const gi = {
    created: 'created .gitignore with .hotwatch/',
    added: 'added .hotwatch/ to .gitignore',
    present: '.gitignore already ignores .hotwatch/',
  }[r.gitignore.change];
  io.stdout.write(`hotwatch: ${gi}\nnext: hotwatch run (hotwatch doctor checks this machine's inotify limits and mounts)\n`);
  if (r.unmapped.length > 0) {
    io.stderr.write(
      `hotwatch: ${r.unmapped.length} air setting${r.unmapped.length === 1 ? '' : 's'} not converted (also listed at the top of ${shown}):\n`,
    );
    for (const line of groupedUnmapped(r.unmapped)) io.stderr.write(terminalText(`  ${line}\n`));
  }
  if (r.differences.length > 0) {
    io.stderr.write(
      `hotwatch: ${r.differences.length} difference${r.differences.length === 1 ? '' : 's'} from how air behaved, in what was converted (also listed at the top of ${shown}):\n`,
    );
    for (const line of groupedUnmapped(r.differences)) io.stderr.write(terminalText(`  ${line}\n`));
  }
}

export async function initCommand(argv: string[], io: InitIO): Promise<number> {
  try {
    const flags = parse(argv);
    if (flags.help) {
      io.stdout.write(HELP);
      return 0;
    }
    const stdin = io.stdin;
    const ask = stdin?.isTTY
      ? (choices: string[]) => askChoice('Several main packages here; which should hotwatch build and run?', choices, stdin, io.stderr)
      : undefined;
    const result = await runInit({
      root: path.resolve(io.cwd, flags.root ?? '.'),
      cwd: io.cwd,
      main: flags.main,
      all: flags.all,
      force: flags.force,
      fromAir: flags['from-air'],
      ask,
      platform: process.platform,
    });
    report(result, io);
    return 0;
  } catch (e) {
    return userErrorExit(e, io);
  }
}
