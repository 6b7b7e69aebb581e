/**
 * Ad-hoc mode (`hotwatch exec -- CMD ARGS`, `hotwatch run --exec -- CMD ARGS`): any command runs on
 * change, through the same watcher, debounce, process-tree handling and watchdog as a Go app, but with
 * no build and no Go module needed. What is watched: the --watch globs, or every file under the root
 * (minus the directories never descended: .git, node_modules, vendor, ...); `*_test.go` files and
 * testdata/ count here, since `go test` is what people run.
 */
import path from 'node:path';
import { HotwatchError } from '../errors.js';
import { globProblem } from './glob.js';
import { LIST_DEFAULTS } from './lists.js';
import type { Settings } from './settings.js';

/** What the flags say about ad-hoc mode. */
export interface ExecFlags {
  command: string[];
  /** --watch GLOB, repeatable (empty: every file under the root). */
  watch: string[];
}

/** `s` with the command as the app and the watch set of ad-hoc mode; bad input throws FLAG_INVALID. */
export function applyExec(s: Settings, flags: ExecFlags): Settings {
  const [file, ...args] = flags.command;
  if (file === undefined || file === '') {
    throw new HotwatchError('FLAG_INVALID', 'hotwatch exec: no command to run', {
      hint: 'put the command after --, e.g. hotwatch exec -- go test ./...',
    });
  }
  for (const g of flags.watch) {
    const problem = globProblem(g);
    if (problem) throw new HotwatchError('FLAG_INVALID', `--watch ${g}: ${problem.message}`, { hint: problem.fix });
  }
  refuseWholeMachine(s.root);
  const testDefaults = new Set(LIST_DEFAULTS.exclude);
  // testdata holds what tests read (golden files, fixtures; go keys its test cache on them): watched here,
  // unless the config names it itself.
  const written = new Set(s.watch.excludeDirsWritten ?? []);
  return {
    ...s,
    exec: { command: flags.command },
    watch: {
      ...s.watch,
      include: flags.watch.length > 0 ? flags.watch : ['**'],
      extensions: [],
      exclude: s.watch.exclude.filter((e) => !testDefaults.has(e)),
      excludeDirs: s.watch.excludeDirs.filter((d) => d !== 'testdata' || written.has(d)),
    },
    run: { ...s.run, binary: file, args },
  };
}

/**
 * `hotwatch exec` typed in `/` or in the home directory (no go.mod is needed, so nothing stopped it): it
 * armed tens of thousands of directories of the whole machine (48,600 in `/`), with the user's share of
 * watches, and every write anywhere (go's cache, a browser's profile) ran the command.
 */
function refuseWholeMachine(root: string): void {
  const home = process.env.HOME ? path.resolve(process.env.HOME) : undefined;
  const where = root === path.parse(root).root ? 'the file system root' : root === home ? 'your home directory' : undefined;
  if (!where) return;
  throw new HotwatchError(
    'FLAG_INVALID',
    `hotwatch exec in ${where} (${root}) would watch every directory under it, and run the command at every write there`,
    {
      hint: 'cd to your project first, or give it with --root DIR',
    },
  );
}
