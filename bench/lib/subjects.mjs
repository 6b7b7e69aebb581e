/**
 * The programs under test, each behind one shape: `start(dir, port)` runs it with its DEFAULTS on a Go
 * module in `dir` whose app listens on $PORT. hotwatch is always there; air, reflex and nodemon are
 * measured where found on $HOTWATCH_BENCH_TOOLS (dirs, colon-separated; each dir, dir/bin and
 * dir/node_modules/.bin are searched) or on PATH.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, tryOutput } from './process.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const HOTWATCH_BIN = path.join(REPO, 'bin/hotwatch.js');

function searchDirs() {
  const dirs = [];
  for (const d of (process.env.HOTWATCH_BENCH_TOOLS ?? '').split(':').filter(Boolean)) {
    dirs.push(d, path.join(d, 'bin'), path.join(d, 'node_modules/.bin'));
  }
  dirs.push(...(process.env.PATH ?? '').split(':').filter(Boolean));
  return dirs;
}

export function findExecutable(name) {
  for (const d of searchDirs()) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return fs.realpathSync(p);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The Go module version compiled into a Go binary (`go version -m`). */
function goModuleVersion(bin, mod) {
  const out = tryOutput('go', ['version', '-m', bin]);
  const m = out && new RegExp(`\\bmod\\s+${mod.replace(/[.]/g, '\\.')}\\s+(\\S+)`).exec(out);
  return m ? m[1] : 'unknown';
}

const env = (port, extra = {}) => ({ ...process.env, PORT: String(port), NO_COLOR: '1', ...extra });

/**
 * hotwatch itself: the built CLI, JSON logs on stderr. `bin`/`name`: another build of it
 * (HOTWATCH_BENCH_COMPARE, an A/B of two builds measured round by round under the same load).
 */
export function hotwatchSubject({ logLevel = 'info', bin = HOTWATCH_BIN, name = 'hotwatch', extraEnv = {} } = {}) {
  return {
    name,
    version: tryOutput(process.execPath, [bin, '--version'])?.replace(/^hotwatch\s*/, '') ?? 'unknown',
    defaults: 'quiet window 50ms (debounce.quiet), native backend: one inotify watch per directory',
    start: (dir, port) =>
      startProcess(process.execPath, [bin, 'run', '--log-format', 'json', '--log-level', logLevel, '--root', dir], {
        cwd: dir,
        env: env(port, extraEnv),
        name,
      }),
  };
}

/**
 * HOTWATCH_BENCH_COMPARE=/path/to/bin/hotwatch.js: that build too, as "hotwatch-compare";
 * HOTWATCH_BENCH_COMPARE_ENV="K=V K2=V2": variables set for it only (this build with another setting).
 */
export function compareSubject() {
  const bin = process.env.HOTWATCH_BENCH_COMPARE ?? (process.env.HOTWATCH_BENCH_COMPARE_ENV ? HOTWATCH_BIN : undefined);
  return bin ? hotwatchSubject({ bin: path.resolve(bin), name: 'hotwatch-compare', extraEnv: compareEnv() }) : undefined;
}

export function compareEnv() {
  const pairs = (process.env.HOTWATCH_BENCH_COMPARE_ENV ?? '').split(/\s+/).filter(Boolean);
  return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}

/** air (github.com/air-verse/air) with no .air.toml: go build -o ./tmp/main ., delay 1000ms. */
function airSubject(bin) {
  return {
    name: 'air',
    version: goModuleVersion(bin, 'github.com/air-verse/air'),
    defaults: 'no .air.toml: build.delay 1000ms, fsnotify (one watch per directory), kills the app without a grace signal',
    /** air walks and arms every directory, then logs "building..." for its first build. */
    readyLine: (text) => text.includes('building...'),
    start: (dir, port) => startProcess(bin, [], { cwd: dir, env: env(port), name: 'air' }),
  };
}

/**
 * What a peer runs on each change: go build, then the app. With `markBuilds` it first prints BUILD_MARK
 * (one line per build started: the storm scenario counts them), which costs a fork of `echo` only there.
 */
export const BUILD_MARK = 'hotwatch-bench: build start';
const buildCommand = (markBuilds) => `${markBuilds ? `echo '${BUILD_MARK}'; ` : ''}go build -o ./tmp/app . && exec ./tmp/app`;

/** reflex (github.com/cespare/reflex) as a service: -s, batching silence 300ms (hard-coded). */
function reflexSubject(bin) {
  return {
    name: 'reflex',
    version: goModuleVersion(bin, 'github.com/cespare/reflex'),
    defaults: "reflex -r '\\.go$' -s: 300ms batching silence (hard-coded), SIGINT then 500ms to SIGKILL",
    /** reflex says nothing when its watches are armed: ready = its watch count stopped growing. */
    readyLine: undefined,
    start: (dir, port, { markBuilds = false } = {}) =>
      startProcess(bin, ['-r', '\\.go$', '-s', '--', 'sh', '-c', buildCommand(markBuilds)], {
        cwd: dir,
        env: env(port),
        name: 'reflex',
      }),
  };
}

/**
 * entr (eradman.com/entrproject) restarting the app: `entr -nr` on the list of .go files given at start
 * (entr watches files, not directories: a new file needs a restart of entr, so only the storm scenario,
 * whose files all exist beforehand, measures it). -n: no TTY here; -r: SIGTERM to the app, then run again.
 */
export function entrSubject() {
  const bin = findExecutable('entr');
  if (!bin) return undefined;
  return {
    name: 'entr',
    // entr prints its release with the usage, on stderr, and exits 1.
    version: spawnSync(bin, [], { encoding: 'utf8', timeout: 5000 }).stderr?.match(/release: (\S+)/)?.[1] ?? 'unknown',
    defaults: 'find . -name "*.go" | entr -nr: no batching window of its own, SIGTERM to the app then run again',
    start: (dir, port, { markBuilds = false } = {}) =>
      startProcess(
        'sh',
        ['-c', `find . -name '*.go' -not -path './tmp/*' | exec '${bin}' -nr sh -c "${buildCommand(markBuilds).replace(/"/g, '\\"')}"`],
        { cwd: dir, env: env(port), name: 'entr' },
      ),
  };
}

/** nodemon (chokidar 3) running the Go build and the app as its exec command. */
function nodemonSubject(bin) {
  return {
    name: 'nodemon',
    version: tryOutput(process.execPath, [bin, '--version']) ?? 'unknown',
    defaults: 'nodemon --ext go --signal SIGTERM: no delay, stops the app before building, chokidar 3 (watches files too)',
    /** With --verbose nodemon logs "watching N files" once chokidar is ready. */
    readyLine: (text) => /watching \d+ files?/.test(text),
    start: (dir, port) =>
      startProcess(
        process.execPath,
        [bin, '--verbose', '--watch', '.', '--ext', 'go', '--signal', 'SIGTERM', '--exec', 'go build -o ./tmp/app . && exec ./tmp/app'],
        { cwd: dir, env: env(port), name: 'nodemon' },
      ),
  };
}

/** The other tools found here, and the names of those that were not. */
export function otherSubjects() {
  const found = [];
  const missing = [];
  for (const [name, make] of [
    ['air', airSubject],
    ['reflex', reflexSubject],
    ['nodemon', nodemonSubject],
  ]) {
    const bin = findExecutable(name);
    if (bin) found.push(make(bin));
    else missing.push(name);
  }
  return { found, missing };
}
