/**
 * air's build and run line (cmd, bin, entrypoint, full_bin, args_bin, the [build.<os>] blocks) → build.*
 * and run.*. A plain `go build -o OUT ./pkg` becomes hotwatch's own build of that package (into
 * .hotwatch/bin/app); any other command is kept whole as build.cmd, with build.output set to the
 * binary air ran. The program air ran must be that binary: a wrapper (a debugger) is reported.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseGoBuild, parseRunLine, type GoBuild } from './command.js';
import type { Conv } from './conv.js';
import { parseEnvFile } from '../../config/envfile.js';
import { AIR_DEFAULTS, PLATFORM_KEYS, PLATFORMS } from './keys.js';

/** The air key in effect for a [build] key: the current platform's block wins. */
const effective = (c: Conv, os: string, key: string): string => (c.has(`build.${os}.${key}`) ? `build.${os}.${key}` : `build.${key}`);

/** How air names the current platform. */
export const airPlatform = (p: string): string => (p === 'win32' ? 'windows' : p);

interface RunTarget {
  program: string | undefined;
  env: Record<string, string>;
  args: string[];
  /** The air keys that named the program and its arguments. */
  keys: string[];
  /** air's bin (or its default): the binary, when the program run is something else. */
  bin: string;
  /** args_bin: what the app gets when the program's own line cannot be used. */
  argsBin: string[];
}

/** What air runs after a build: full_bin, else entrypoint, else bin (air's order), plus args_bin. */
function runTarget(c: Conv, os: string, tmp: string): RunTarget {
  const k = (key: string): string => effective(c, os, key);
  const full = c.get<string>(k('full_bin'));
  const rawEntry = c.get<string | string[]>(k('entrypoint'));
  const entry = typeof rawEntry === 'string' ? [rawEntry] : rawEntry?.length ? rawEntry : undefined;
  const rawBin = c.get<string>(k('bin')) ?? AIR_DEFAULTS.bin(tmp);
  // air runs bin through the shell: `./tmp/main serve --verbose` is the binary and its arguments.
  const binLine = /\s/.test(rawBin.trim()) ? parseRunLine(rawBin.trim()) : undefined;
  const bin = binLine?.program ?? rawBin;
  const argsBin = c.get<string[]>(k('args_bin')) ?? [];
  const t: RunTarget = { program: entry?.[0] ?? bin, env: {}, args: [], keys: [], bin, argsBin };
  if (full) {
    const line = parseRunLine(full);
    if (line) Object.assign(t, { program: line.program, env: line.env, args: line.args, keys: [k('full_bin')] });
    else
      c.drop(
        k('full_bin'),
        `a shell command line: hotwatch runs the binary itself, without a shell (put its variables in run.env and its arguments in run.args)`,
      );
    if (entry && entry.length > 1)
      c.note(
        'run.args',
        `air ignored entrypoint's arguments (${entry.slice(1).join(' ')}) because full_bin was set; so does this conversion.`,
      );
  } else if (entry) Object.assign(t, { args: entry.slice(1), keys: [k('entrypoint')] });
  else if (binLine) Object.assign(t, { env: binLine.env, args: [...binLine.args], keys: [k('bin')] });
  else t.keys = [k('bin')];
  t.args.push(...argsBin);
  c.map(k('args_bin'), 'run.args');
  return t;
}

const clean = (p: string): string => path.posix.normalize(p.replace(/\\/g, '/')).replace(/^\.\//, '');
/** A program given by path (air resolves one without a "/" on PATH first). */
const isPath = (p: string): boolean => p.includes('/');

function mapGoBuild(c: Conv, gb: GoBuild, cmdKey: string): void {
  if (gb.pkg !== '.') c.set('build.package', gb.pkg);
  if (gb.flags.length > 0) c.set('build.flags', gb.flags);
  if (Object.keys(gb.env).length > 0) c.set('build.env', gb.env);
  c.map(cmdKey, 'build.package, build.flags, build.env (hotwatch runs go build itself)');
  c.note(
    'build.output',
    `air's build wrote ${gb.output}; hotwatch builds into ${c.ctx.defaults.build.output}, which is never watched and sits in the git-ignored .hotwatch/.`,
  );
}

function mapCustomBuild(c: Conv, cmd: string, cmdKey: string, binary: string): void {
  c.set('build.cmd', cmd);
  c.map(cmdKey, 'build.cmd');
  c.note(
    'build.cmd',
    `air's build command, run as is by /bin/sh in the root; hotwatch then runs build.output, so it must be the file this command writes.`,
  );
  c.set('build.output', clean(binary));
}

/** log, rules, and the other platforms' blocks (pre_cmd and post_cmd: convert-steps.ts). */
function dropBuildExtras(c: Conv, os: string): void {
  c.drop(
    'build.log',
    "hotwatch writes no build-error log file: a failed build's compiler output is in its own log (the build.failed line; --log-format json for a machine-readable stream)",
  );
  const rules = c.get<unknown[]>('build.rules') ?? [];
  if (rules.length > 0) c.drop('build.rules', 'commands run on a change without a rebuild (watch rules) are not supported yet');
  else c.map('build.rules', '(empty)');
  for (const other of PLATFORMS.filter((p) => p !== os)) {
    for (const key of PLATFORM_KEYS)
      c.drop(
        `build.${other}.${key}`,
        `hotwatch has no per-platform settings: this file was converted for ${os} (its [build.${os}] block, else [build])`,
      );
  }
}

/** The variables that change what `go build` builds, or how: air's build saw those of its env_files. */
const TOOLCHAIN_VAR = /^(GO\w*|CGO_\w+|CC|CXX|AR|PKG_CONFIG\w*)$/;

/**
 * air loads env_files into its own environment, so its `go build` saw them; hotwatch gives them to the app
 * only. Their toolchain variables (GOFLAGS=-tags=dev: another program) go to build.env, said as a
 * difference (an edit of them in the file no longer reaches the build). One that cannot be read is left
 * to run.envFiles, which says why at start.
 */
function copyToolchainVars(c: Conv, present: readonly string[]): void {
  const env = { ...((c.draft.values['build.env'] as Record<string, string> | undefined) ?? {}) };
  const copied: string[] = [];
  for (const f of present) {
    let vars: Record<string, string>;
    try {
      vars = parseEnvFile(path.resolve(c.ctx.root, f));
    } catch {
      continue;
    }
    for (const [k, v] of Object.entries(vars))
      if (TOOLCHAIN_VAR.test(k) && !(k in env)) {
        env[k] = v;
        copied.push(`${k} (${f})`);
      }
  }
  if (copied.length === 0) return;
  c.set('build.env', env);
  c.note('build.env', `Copied from air's env_files, which air's go build saw: ${copied.join(', ')}.`);
  c.differs(
    'env_files',
    `${copied.join(', ')}: air's go build saw them, so they were copied into build.env (hotwatch gives env files to the app only); an edit of them in the file no longer reaches the build`,
  );
}

/** Whether git ignores `file` in `root` (false when git is not there or cannot tell). */
function gitIgnored(root: string, file: string): boolean {
  try {
    return spawnSync('git', ['check-ignore', '-q', '--', file], { cwd: root, stdio: 'ignore', timeout: 5000 }).status === 0;
  } catch {
    return false;
  }
}

/**
 * What an env file air read does differently under hotwatch, said on stderr: `${VAR}` references (air's
 * godotenv expanded them; hotwatch passes the text), and a git-ignored file (air skipped a missing one;
 * hotwatch refuses to start without it, so a fresh clone of a committed config would not start).
 */
function envFileDifferences(c: Conv, present: readonly string[]): void {
  for (const f of present) {
    let text = '';
    try {
      text = fs.readFileSync(path.resolve(c.ctx.root, f), 'utf8');
    } catch {
      continue;
    }
    const refs = [...new Set(text.match(/\$\{?[A-Za-z_]\w*\}?/g) ?? [])];
    if (refs.length > 0)
      c.differs(
        'env_files',
        `${f} uses ${refs.slice(0, 3).join(', ')}${refs.length > 3 ? ', ...' : ''}: air (godotenv) expanded them, hotwatch passes the text as it is: write the values out, or set those variables in run.env`,
      );
    if (gitIgnored(c.ctx.root, f))
      c.differs(
        'env_files',
        `${f} is git-ignored: air skipped a missing env file, hotwatch refuses to start without one, so a clone without ${f} cannot start: create it there, or keep run.envFiles out of the committed config`,
      );
  }
}

function mapEnvFiles(c: Conv): void {
  const files = c.get<string[]>('env_files') ?? [];
  const present = files.filter((f) => fs.existsSync(path.resolve(c.ctx.root, f)));
  const missing = files.filter((f) => !present.includes(f));
  if (present.length > 0) c.set('run.envFiles', present);
  c.map('env_files', 'run.envFiles');
  if (files.length === 0) return;
  copyToolchainVars(c, present);
  envFileDifferences(c, present);
  c.note(
    'run.envFiles',
    "From air's env_files. air loaded them for the build too: put what the build needs in build.env. Here they override hotwatch's own environment (air never overrode a variable already set).",
  );
  if (missing.length > 0)
    c.note(
      'run.envFiles',
      `Left out because they do not exist here (air skipped a missing file; hotwatch refuses to start without one): ${missing.join(', ')}.`,
    );
}

export function convertBuild(c: Conv): void {
  const os = airPlatform(c.ctx.platform);
  const tmp = c.get<string>('tmp_dir') || AIR_DEFAULTS.tmp_dir;
  const cmdKey = effective(c, os, 'cmd');
  const cmd = c.get<string>(cmdKey) || AIR_DEFAULTS.cmd(tmp);
  const target = runTarget(c, os, tmp);
  const gb = parseGoBuild(cmd);
  const builtIsRun =
    gb !== undefined && target.program !== undefined && path.resolve(c.ctx.root, gb.output) === path.resolve(c.ctx.root, target.program);
  if (target.program !== undefined && !isPath(target.program) && !builtIsRun) {
    for (const key of target.keys)
      c.drop(
        key,
        `runs ${target.program} from PATH, not the binary the build writes: hotwatch runs the binary itself (wrapping it in another program, e.g. a debugger, is not supported)`,
      );
    // That line's variables and arguments were the wrapper's, not the app's.
    Object.assign(target, { keys: [], env: {}, args: target.argsBin });
  }
  if (gb && (builtIsRun || target.keys.length === 0)) mapGoBuild(c, gb, cmdKey);
  else mapCustomBuild(c, cmd, cmdKey, target.program !== undefined && isPath(target.program) ? target.program : target.bin);
  for (const key of target.keys) c.map(key, 'the binary hotwatch runs (build.output), run.env and run.args');
  for (const key of ['bin', 'entrypoint', 'full_bin'].map((k) => effective(c, os, k))) {
    if (!c.mapped.has(key) && !c.unmapped.some((u) => u.key === key))
      c.map(key, 'superseded: air runs full_bin, else entrypoint, else bin');
  }
  if (Object.keys(target.env).length > 0) c.set('run.env', target.env);
  if (target.args.length > 0) c.set('run.args', target.args);
  for (const key of PLATFORM_KEYS) if (c.has(`build.${os}.${key}`)) c.map(`build.${key}`, `superseded by [build.${os}] on this platform`);
  dropBuildExtras(c, os);
  c.map('build.stop_on_error', 'build.onFailure');
  if (c.get<boolean>('build.stop_on_error')) c.set('build.onFailure', 'stop');
  mapEnvFiles(c);
}
