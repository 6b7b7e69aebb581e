/**
 * loadSettings: find watcher.config.yaml, validate it, apply CLI flags, check the root, resolve Settings.
 * Discovery: --config FILE, else watcher.config.yaml in --root DIR, else in cwd; none = zero-config.
 * Every failure is ONE HotwatchError (exit 2) saying what, where and the fix; nothing has started yet.
 */
import fs from 'node:fs/promises';
import { constants as fsc } from 'node:fs';
import path from 'node:path';
import { HotwatchError, errnoCode } from '../errors.js';
import type { Config } from './schema.js';
import { configDefaults } from './config-facts.js';
import { resolveSettings, type Settings } from './settings.js';
import { bounded } from '../os/bounded.js';
import { parseEnvFile } from './envfile.js';
import { InputFileError, readRegularText } from '../os/regular-file.js';

export const CONFIG_FILE_NAME = 'watcher.config.yaml';
/** The name people also write, refused with a rename as the fix (at start, and when it appears while running). */
export const MISNAMED_CONFIG_FILE = 'watcher.config.yml';

export interface LoadOptions {
  /** process.cwd() of the caller. */
  cwd: string;
  /** --config FILE (must exist). */
  configPath?: string | undefined;
  /** --root DIR: overrides the file's `root`; relative to cwd. */
  rootFlag?: string | undefined;
  /** CLI flags override file values; undefined fields are ignored (FLAG_OF names the flag of each). */
  overrides?: {
    log?: { format?: 'auto' | 'pretty' | 'json' | undefined; level?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | undefined };
    watch?: { backend?: 'auto' | 'native' | 'poll' | undefined };
    /** --package: a Go package, relative to root (or an import path), as build.package. */
    build?: { package?: string | undefined; clear?: true | undefined };
    /** `-- APP ARGS` replace run.args when given; --env-file paths are absolute (resolved against cwd). */
    run?: { args?: string[] | undefined; port?: number | undefined; envFiles?: string[] | undefined };
    /** --proxy-port turns the proxy on at that port; --app-port: the app's port behind it. */
    proxy?: { port?: number | undefined; appPort?: number | undefined };
  };
  isTTY: boolean;
  /** Cancels the file system reads (each is also bounded in time). */
  signal?: AbortSignal;
  /** Bound on each file system call (default 10 s). */
  fsTimeoutMs?: number;
}

type Locate = (path: ReadonlyArray<string | number>) => string | undefined;

/** Where a value of the effective configuration comes from. */
export type ValueSource =
  | { kind: 'default' }
  | { kind: 'file'; where: string }
  | { kind: 'flag'; flag: string }
  /** Set from another key by a rule of the loader (settledQuiet follows a loneQuiet the file sets). */
  | { kind: 'derived'; from: string; why: string };

export type SourceOf = (path: ReadonlyArray<string | number>) => ValueSource;

/** The flag that sets each config key (hotwatch run and hotwatch config). */
export const FLAG_OF: Readonly<Record<string, string>> = {
  root: '--root',
  'build.package': '--package',
  'build.clear': '--clear',
  'run.port': '--port',
  'run.envFiles': '--env-file',
  'run.args': '-- ARGS',
  'watch.backend': '--poll',
  'log.format': '--log-format',
  'log.level': '--log-level',
  'proxy.port': '--proxy-port',
  'proxy.enabled': '--proxy-port',
  'proxy.appPort': '--app-port',
};

/** The configuration as loaded (every default filled in, flags applied) and the source of each value. */
export interface LoadedConfig {
  settings: Settings;
  config: Config;
  sourceOf: SourceOf;
}

/** The source of each loaded Settings' values (kept beside it, so Settings stays plain data). */
const sources = new WeakMap<Settings, SourceOf>();

/** The root as given (--root, `root:`, the current directory) when it went through a symlink. */
const rootAliases = new WeakMap<Settings, string>();

/** The path the root was given as, when that was a symlink (settings.root is always the real directory). */
export function rootGivenAs(s: Settings): string | undefined {
  return rootAliases.get(s);
}

/** `file:line:col` of a value the config file of `s` sets; undefined when it does not (a default, a flag). */
export function configPosition(s: Settings, path: ReadonlyArray<string | number>): string | undefined {
  const src = sources.get(s)?.(path);
  return src?.kind === 'file' ? src.where : undefined;
}

/**
 * How a path is shown: relative to cwd when inside it, absolute otherwise, and absolute when cwd is `/`
 * (a container's WORKDIR: `src/main.go` would read as relative to something else).
 */
export function displayPath(file: string, cwd: string): string {
  if (path.parse(path.resolve(cwd)).root === path.resolve(cwd)) return file;
  const rel = path.relative(cwd, file);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel) ? rel : file;
}

/** Cancellation and time bound of every file system call. */
interface Io {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

/** False only when nothing is there; any other stat error (EACCES...) counts as present, so reading it reports why. */
const exists = async (p: string, io: Io): Promise<boolean> =>
  bounded(
    () =>
      fs.stat(p).then(
        () => true,
        (e: unknown) => !['ENOENT', 'ENOTDIR'].includes(errnoCode(e) ?? ''),
      ),
    { what: p, code: 'CONFIG_NOT_FOUND', ...io },
  );

const ioOf = (opts: LoadOptions): Io => ({ signal: opts.signal, timeoutMs: opts.fsTimeoutMs });

/** Absolute path of the config file, or undefined for zero-config. */
async function findConfigFile(opts: LoadOptions, cwd: string, rootFromFlag: string | undefined): Promise<string | undefined> {
  if (opts.configPath !== undefined) return path.resolve(cwd, opts.configPath);
  const dir = rootFromFlag ?? cwd;
  const file = path.join(dir, CONFIG_FILE_NAME);
  if (await exists(file, ioOf(opts))) return file;
  const yml = path.join(dir, MISNAMED_CONFIG_FILE);
  if (await exists(yml, ioOf(opts))) {
    throw new HotwatchError('CONFIG_NOT_FOUND', `${displayPath(yml, cwd)}: hotwatch reads ${CONFIG_FILE_NAME}, not .yml`, {
      hint: `rename it to ${CONFIG_FILE_NAME}, or pass --config ${displayPath(yml, cwd)}`,
    });
  }
  return undefined;
}

async function readConfigFile(file: string, shown: string, viaFlag: boolean, opts: Io): Promise<string> {
  const label = viaFlag ? `--config ${shown}` : shown;
  try {
    return await bounded(() => readRegularText(file), { what: label, code: 'CONFIG_NOT_FOUND', ...opts });
  } catch (e) {
    if (e instanceof HotwatchError || opts.signal?.aborted) throw e;
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new HotwatchError('CONFIG_NOT_FOUND', `${label}: no such file (${file})`, {
        hint: `check the path (relative to the current directory), or leave out --config to use ${CONFIG_FILE_NAME} in the root`,
        cause: e,
      });
    }
    if (code === 'EISDIR') {
      throw new HotwatchError('CONFIG_NOT_FOUND', `${label}: is a directory, not a file`, {
        hint: `pass the file itself, e.g. --config ${path.join(shown, CONFIG_FILE_NAME)}`,
        cause: e,
      });
    }
    if (e instanceof InputFileError && e.code !== 'EISDIR') {
      throw new HotwatchError('CONFIG_NOT_FOUND', `${label}: ${e.message}`, { hint: `make it a regular file (ls -l ${file})`, cause: e });
    }
    throw new HotwatchError('CONFIG_NOT_FOUND', `${label}: cannot be read (${code ?? String(e)})`, {
      hint:
        code === 'EACCES' || code === 'EPERM'
          ? `give your user read permission: chmod u+r ${file}`
          : `check the file and its disk: ls -l ${file}`,
      cause: e,
    });
  }
}

/** Where the root came from, to name it in an error. */
type RootSource = { kind: 'flag'; flag: string } | { kind: 'file'; where: string | undefined; shown: string } | { kind: 'cwd' };

async function checkRoot(root: string, source: RootSource, opts: Io): Promise<void> {
  const what =
    source.kind === 'flag'
      ? `--root ${source.flag}: ${root}`
      : source.kind === 'file'
        ? `root: ${root}`
        : `${root} (the current directory)`;
  const fix =
    source.kind === 'flag'
      ? 'pass the directory of your Go module (the one holding go.mod)'
      : source.kind === 'file'
        ? `set root in ${source.shown} (relative to its directory) to the directory of your Go module`
        : 'run hotwatch in the directory of your Go module, or pass --root DIR';
  const fail = (why: string, hint: string, cause?: unknown): HotwatchError =>
    new HotwatchError('ROOT_UNREADABLE', `${what} ${why}`, {
      hint,
      ...(source.kind === 'file' && source.where ? { where: source.where } : {}),
      ...(cause === undefined ? {} : { cause }),
    });
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await bounded(() => fs.stat(root), { what, code: 'ROOT_UNREADABLE', ...opts });
  } catch (e) {
    if (e instanceof HotwatchError || opts.signal?.aborted) throw e;
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw fail('does not exist', fix, e);
    throw fail(`cannot be read (${code ?? String(e)})`, `check its permissions: ls -ld ${root}`, e);
  }
  if (!stat.isDirectory()) throw fail('is not a directory', fix);
  try {
    await bounded(() => fs.access(root, fsc.R_OK | fsc.X_OK), { what, code: 'ROOT_UNREADABLE', ...opts });
  } catch (e) {
    if (e instanceof HotwatchError || opts.signal?.aborted) throw e;
    throw fail('is not readable (permission denied)', `give your user read and search permission: chmod u+rx ${root}`, e);
  }
}

/** A path the config names (`key`, at `where`) must exist, and be a directory unless `anyType`: exit 2 with `fix` otherwise. */
async function checkConfigPath(dir: string, key: string, where: string | undefined, fix: string, opts: Io, anyType = false): Promise<void> {
  const fail = (why: string, cause?: unknown): HotwatchError =>
    new HotwatchError('CONFIG_INVALID', `${key}: ${dir} ${why}`, {
      hint: fix,
      ...(where ? { where } : {}),
      ...(cause === undefined ? {} : { cause }),
    });
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await bounded(() => fs.stat(dir), { what: `${key}: ${dir}`, code: 'CONFIG_INVALID', ...opts });
  } catch (e) {
    if (e instanceof HotwatchError || opts.signal?.aborted) throw e;
    const code = errnoCode(e);
    throw fail(code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be read (${code ?? String(e)})`, e);
  }
  // "create it" cannot be the fix for a file that is there: pointing the key elsewhere is.
  if (!anyType && !stat.isDirectory())
    throw new HotwatchError('CONFIG_INVALID', `${key}: ${dir} is a file, not a directory`, {
      hint: `set ${key} to a directory (relative to root)`,
      ...(where ? { where } : {}),
    });
}

function applyOverrides(cfg: Config, o: LoadOptions['overrides'], rootFromFlag: string | undefined): Config {
  return {
    ...cfg,
    root: rootFromFlag ?? cfg.root,
    log: { format: o?.log?.format ?? cfg.log.format, level: o?.log?.level ?? cfg.log.level },
    watch: { ...cfg.watch, backend: o?.watch?.backend ?? cfg.watch.backend },
    build: { ...cfg.build, package: o?.build?.package ?? cfg.build.package, clear: o?.build?.clear ?? cfg.build.clear },
    run: {
      ...cfg.run,
      args: o?.run?.args ?? cfg.run.args,
      port: o?.run?.port ?? cfg.run.port,
      envFiles: o?.run?.envFiles ?? cfg.run.envFiles,
    },
    proxy: {
      ...cfg.proxy,
      enabled: o?.proxy?.port !== undefined ? true : cfg.proxy.enabled,
      port: o?.proxy?.port ?? cfg.proxy.port,
      appPort: o?.proxy?.appPort ?? cfg.proxy.appPort,
    },
  };
}

/** The dotted keys a flag sets in this load. */
function flagKeys(o: LoadOptions['overrides'], rootFromFlag: string | undefined): Set<string> {
  const set: Array<[string, unknown]> = [
    ['root', rootFromFlag],
    ['log.format', o?.log?.format],
    ['log.level', o?.log?.level],
    ['watch.backend', o?.watch?.backend],
    ['build.package', o?.build?.package],
    ['build.clear', o?.build?.clear],
    ['run.args', o?.run?.args],
    ['run.port', o?.run?.port],
    ['run.envFiles', o?.run?.envFiles],
    ['proxy.port', o?.proxy?.port],
    ['proxy.enabled', o?.proxy?.port],
    ['proxy.appPort', o?.proxy?.appPort],
  ];
  return new Set(set.filter(([, v]) => v !== undefined).map(([k]) => k));
}

export async function loadSettings(opts: LoadOptions): Promise<Settings> {
  return (await loadConfig(opts)).settings;
}

/** loadSettings, plus the effective configuration and where each of its values comes from (`hotwatch config`). */
export async function loadConfig(opts: LoadOptions): Promise<LoadedConfig> {
  const cwd = path.resolve(opts.cwd);
  const rootFromFlag = opts.rootFlag === undefined ? undefined : path.resolve(cwd, opts.rootFlag);
  // The directory searched for watcher.config.yaml is checked first, so an unreadable root says so.
  if (opts.rootFlag !== undefined && rootFromFlag !== undefined)
    await checkRoot(rootFromFlag, { kind: 'flag', flag: opts.rootFlag }, ioOf(opts));
  else if (opts.configPath === undefined) await checkRoot(cwd, { kind: 'cwd' }, ioOf(opts));

  const file = await findConfigFile(opts, cwd, rootFromFlag);
  const shown = file === undefined ? undefined : displayPath(file, cwd);
  const read = await readConfig(file, shown, opts);
  const sourceOf = sourcesOf(read, flagKeys(opts.overrides, rootFromFlag));
  const fileWhere = (p: ReadonlyArray<string | number>): string | undefined => {
    const src = sourceOf(p);
    return src.kind === 'file' ? src.where : undefined;
  };
  const resolve = (root: string | undefined): { effective: Config; settings: Settings } => {
    const effective = applyOverrides(read.config, opts.overrides, root);
    return {
      effective,
      settings: resolveSettings(effective, { baseDir: file === undefined ? cwd : path.dirname(file), configFile: file, isTTY: opts.isTTY }),
    };
  };
  let { effective, settings } = resolve(rootFromFlag);
  if (rootFromFlag === undefined && shown !== undefined) {
    await checkRoot(settings.root, { kind: 'file', where: fileWhere(['root']), shown }, ioOf(opts));
  }
  const real = await realRoot(settings.root, opts);
  if (real !== settings.root) {
    const given = settings.root;
    ({ effective, settings } = resolve(real));
    rootAliases.set(settings, given);
  }
  await checkNamedPaths(settings, fileWhere, opts, shown);
  sources.set(settings, sourceOf);
  return { settings, config: effective, sourceOf };
}

interface ReadConfig {
  config: Config;
  locate: Locate;
  /** The file sets loneQuiet and not settledQuiet: settledQuiet follows it. */
  settledFollowsLone: boolean;
}

/** The file's configuration (defaults filled in), or the defaults when there is no file. */
async function readConfig(file: string | undefined, shown: string | undefined, opts: LoadOptions): Promise<ReadConfig> {
  if (file === undefined || shown === undefined) return { config: configDefaults(), locate: () => undefined, settledFollowsLone: false };
  const text = await readConfigFile(file, shown, opts.configPath !== undefined, ioOf(opts));
  // Loaded with the first config file read: a run without one never loads the yaml parser (README,
  // Benchmark, "Memory").
  const { parseConfigText } = await import('./parse-config.js');
  const { config, locate } = parseConfigText(text, shown);
  // A loneQuiet the file sets is the wait its author asked for: the settled fast path takes over only
  // where settledQuiet is set too (it would otherwise cut a 300ms loneQuiet to 5 ms for closed writes).
  if (locate(['debounce', 'loneQuiet']) !== undefined && locate(['debounce', 'settledQuiet']) === undefined) {
    return {
      config: { ...config, debounce: { ...config.debounce, settledQuiet: config.debounce.loneQuiet } },
      locate,
      settledFollowsLone: true,
    };
  }
  return { config, locate, settledFollowsLone: false };
}

/** Where each value comes from: a flag, a rule of the loader, the file, or the default. */
function sourcesOf(read: ReadConfig, byFlag: ReadonlySet<string>): SourceOf {
  return (p) => {
    for (let n = p.length; n > 0; n--) {
      const key = p.slice(0, n).join('.');
      if (byFlag.has(key)) return { kind: 'flag', flag: FLAG_OF[key]! };
    }
    if (read.settledFollowsLone && p.join('.') === 'debounce.settledQuiet') {
      return { kind: 'derived', from: 'debounce.loneQuiet', why: 'the file sets loneQuiet but not settledQuiet' };
    }
    const where = read.locate(p);
    return where === undefined ? { kind: 'default' } : { kind: 'file', where };
  };
}

/**
 * The root is the directory itself, not a symlink to it: the watcher never follows symlinks (a linked
 * root was "not a directory" to it), and .hotwatch/ and the lock are the directory's. Paths relative to
 * the root resolve under the real directory.
 */
async function realRoot(root: string, opts: LoadOptions): Promise<string> {
  return bounded(() => fs.realpath(root), { what: root, code: 'ROOT_UNREADABLE', ...ioOf(opts) }).catch((e: unknown) => {
    if (e instanceof HotwatchError) throw e;
    return root; // checked just before: a race with its removal, which the watcher reports
  });
}

/**
 * The app's working directory, the mounts to watch anyway and the env files: a typo here is exit 2 now,
 * not a failed start later. Every problem found is reported, together.
 */
async function checkNamedPaths(
  settings: Settings,
  fileWhere: (p: ReadonlyArray<string | number>) => string | undefined,
  opts: LoadOptions,
  shown: string | undefined,
): Promise<void> {
  const problems: HotwatchError[] = [];
  const collect = async (check: () => unknown): Promise<void> => {
    try {
      await check();
    } catch (e) {
      if (!(e instanceof HotwatchError) || opts.signal?.aborted || e.code !== 'CONFIG_INVALID') throw e;
      problems.push(e);
    }
  };
  if (settings.run.cwd !== settings.root) {
    await collect(() =>
      checkConfigPath(
        settings.run.cwd,
        'run.cwd',
        fileWhere(['run', 'cwd']),
        'create it, or set run.cwd to an existing directory (relative to root)',
        ioOf(opts),
      ),
    );
  }
  for (const [i, mount] of settings.watch.includeMounts.entries()) {
    const fix = 'mount it before starting hotwatch, or remove it from watch.includeMounts (paths are relative to root)';
    await collect(() =>
      checkConfigPath(mount, `watch.includeMounts[${i}]`, fileWhere(['watch', 'includeMounts', i]), fix, ioOf(opts), true),
    );
  }

  // Env files are read again at every app start; checking them now turns a typo into exit 2, not a crash later.
  const envFlag = opts.overrides?.run?.envFiles !== undefined;
  for (const [i, envFile] of settings.run.envFiles.entries()) {
    await collect(() => {
      try {
        parseEnvFile(envFile);
      } catch (e) {
        if (!(e instanceof HotwatchError) || e.where !== undefined) throw e;
        if (envFlag) {
          throw new HotwatchError(e.code, `--env-file ${opts.overrides!.run!.envFiles![i]}: ${e.message}`, {
            // The reader's fix names run.envFiles; keep only its permission fix.
            hint: e.hint?.startsWith('give your user')
              ? e.hint
              : 'pass an existing dotenv file (relative to the current directory), or leave out --env-file',
            cause: e,
          });
        }
        const where = fileWhere(['run', 'envFiles', i]);
        if (where !== undefined) {
          throw new HotwatchError(e.code, `run.envFiles[${i}]: ${e.message}`, { where, ...(e.hint ? { hint: e.hint } : {}), cause: e });
        }
        throw e;
      }
    });
  }
  for (const check of appPathChecks(settings, fileWhere, opts)) await collect(check);
  if (problems.length > 0) throw HotwatchError.together(problems, shown ?? 'the configuration');
}

/** apps: each app's own working directory and env files, checked as run.cwd and run.envFiles are. */
function appPathChecks(
  settings: Settings,
  fileWhere: (p: ReadonlyArray<string | number>) => string | undefined,
  opts: LoadOptions,
): Array<() => unknown> {
  return (settings.apps ?? []).flatMap((a) => {
    const checks: Array<() => unknown> = [];
    if (a.overrides.cwd !== undefined) {
      const fix = `create it, or set apps.${a.name}.cwd to an existing directory (relative to root)`;
      checks.push(() => checkConfigPath(a.run.cwd, `apps.${a.name}.cwd`, fileWhere(['apps', a.name, 'cwd']), fix, ioOf(opts)));
    }
    const own = a.run.envFiles.slice(settings.run.envFiles.length);
    own.forEach((file, i) => {
      checks.push(() => {
        try {
          parseEnvFile(file);
        } catch (e) {
          if (!(e instanceof HotwatchError) || e.where !== undefined) throw e;
          const where = fileWhere(['apps', a.name, 'envFiles', i]);
          throw new HotwatchError(e.code, `apps.${a.name}.envFiles[${i}]: ${e.message}`, {
            ...(where ? { where } : {}),
            ...(e.hint ? { hint: e.hint.replace('run.envFiles', `apps.${a.name}.envFiles`) } : {}),
            cause: e,
          });
        }
      });
    });
    return checks;
  });
}
