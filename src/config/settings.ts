/**
 * Settings: the validated config resolved for the runtime (absolute paths, durations in ms).
 * Every stage takes the slice of Settings it needs, never the raw file.
 */
import path from 'node:path';
import type { Config } from './schema.js';
import { configDefaults } from './config-facts.js';
import { parseDuration } from './duration.js';
import { effectiveList } from './lists.js';

export interface WatchSettings {
  /** Absolute root of the module. */
  root: string;
  /** The effective lists: the defaults, plus the config's entries, minus its "!entry"s (lists.ts). */
  include: string[];
  exclude: string[];
  /** Normalised, with the dot: ".go". */
  extensions: string[];
  excludeDirs: string[];
  /** The excludeDirs entries the config file writes (not the defaults): an explicit choice is never overridden. */
  excludeDirsWritten?: string[];
  /**
   * Root-relative POSIX directories of packages the build compiles that a default excludeDirs name leaves
   * out (internal/tmp, vendor/…): watched all the same (tree/left-out-packages.ts).
   */
  keepDirs?: string[];
  /** Absolute path of the build output directory: never watched. */
  outputDir: string;
  backend: 'auto' | 'native' | 'poll';
  pollIntervalMs: number;
  bufferCapacity: number;
  /** Absolute paths of special mounts to watch anyway. */
  includeMounts: string[];
  /** Skip the directories the repo's .gitignore files ignore (except those the build reads). */
  gitignore: boolean;
}

export interface BuildSettings {
  root: string;
  /** Shell command, or undefined for the default go build. */
  cmd: string | undefined;
  package: string;
  /** Absolute path of the binary. */
  output: string;
  flags: string[];
  env: Record<string, string>;
  timeoutMs: number;
  onFailure: 'keep-running' | 'stop';
  /** Commands run before, after or instead of the build (steps.ts). */
  steps: BuildStep[];
  /** Clear the screen before each build (when stdout is a terminal). */
  clear: boolean;
}

export interface BuildStep {
  /** argv, run in root without a shell. */
  run: string[];
  when: 'before' | 'after' | 'instead';
  /** Globs relative to root; empty: every cycle. */
  files: string[];
}

/** Ad-hoc mode (`hotwatch exec -- CMD`): the command runs on change instead of a built Go binary. */
export interface ExecSettings {
  /** argv as given; "{changed}" arguments are expanded at each start. */
  command: string[];
}

export interface RunSettings {
  /** Absolute path of the binary to run (= build.output). */
  binary: string;
  args: string[];
  env: Record<string, string>;
  /** Absolute paths. */
  envFiles: string[];
  cwd: string;
  port: number | undefined;
  stopSignal: NodeJS.Signals;
  gracePeriodMs: number;
  onCrash: 'wait-for-change' | 'restart';
  backoff: { initialMs: number; maxMs: number; resetAfterMs: number };
}

export interface WatchdogSettings {
  enabled: boolean;
  /** Sentinel write period and round-trip deadline (ms). */
  intervalMs: number;
  /** Coverage audit and native-probe period (ms). */
  auditIntervalMs: number;
  overBudget: 'poll' | 'refuse';
}

export interface ProxySettings {
  enabled: boolean;
  port: number;
  address: string;
  /** 0: a free loopback port at each start. */
  appPort: number;
  appPortEnv: string;
  holdTimeoutMs: number;
  healthPath: string | undefined;
  readyTimeoutMs: number;
  proveNewVersion: boolean;
  liveReload: boolean;
  csp: 'nonce' | 'skip';
  /** Globs relative to root. */
  restartOnly: string[];
  reloadOnly: string[];
}

export interface Settings {
  /** Absolute path of the config file, or undefined in zero-config mode. */
  configFile: string | undefined;
  root: string;
  watch: WatchSettings;
  build: BuildSettings;
  run: RunSettings;
  debounce: { quietMs: number; loneQuietMs: number; settledQuietMs: number; maxWaitMs: number };
  log: { format: 'pretty' | 'json'; level: 'trace' | 'debug' | 'info' | 'warn' | 'error' };
  watchdog: WatchdogSettings;
  proxy: ProxySettings;
  /** Service mode: the loopback status port, if any; what SIGHUP means. */
  service?: { statusPort: number | undefined; sighup?: 'stop' | 'reload' };
  /** Ad-hoc mode: no build; the command runs (and reruns) on change. */
  exec?: ExecSettings;
  /** `apps:` (several apps from one hotwatch), the ones this run runs; undefined: one app, build: and run:. */
  apps?: AppSettings[] | undefined;
}

const ms = (s: string): number => {
  const v = parseDuration(s);
  if (v === undefined) throw new Error(`unvalidated duration ${s}`);
  return v;
};

export interface ResolveOptions {
  /** Directory that relative paths in the config are resolved against (the config file's directory, or cwd). */
  baseDir: string;
  configFile: string | undefined;
  /** Whether stdout is a terminal (log format auto). */
  isTTY: boolean;
}

export function resolveSettings(cfg: Config, opts: ResolveOptions): Settings {
  const root = path.resolve(opts.baseDir, cfg.root);
  const output = path.resolve(root, cfg.build.output);
  const outputDir = path.dirname(output);
  const format = cfg.log.format === 'auto' ? (opts.isTTY ? 'pretty' : 'json') : cfg.log.format;
  const build: BuildSettings = {
    root,
    cmd: cfg.build.cmd,
    package: cfg.build.package,
    output,
    flags: cfg.build.flags,
    env: cfg.build.env,
    timeoutMs: ms(cfg.build.timeout),
    onFailure: cfg.build.onFailure,
    steps: cfg.build.steps,
    clear: cfg.build.clear,
  };
  const run = runSettings(cfg, root, output);
  return {
    configFile: opts.configFile,
    root,
    watch: {
      root,
      include: effectiveList('include', cfg.watch.include),
      exclude: effectiveList('exclude', cfg.watch.exclude),
      extensions: effectiveList('extensions', cfg.watch.extensions).map((e) => (e.startsWith('.') ? e : `.${e}`)),
      excludeDirs: effectiveList('excludeDirs', cfg.watch.excludeDirs),
      excludeDirsWritten: (cfg.watch.excludeDirs ?? []).filter((e) => !e.startsWith('!')),
      outputDir,
      backend: cfg.watch.backend,
      pollIntervalMs: ms(cfg.watch.pollInterval),
      bufferCapacity: cfg.watch.bufferCapacity,
      includeMounts: cfg.watch.includeMounts.map((p) => path.resolve(root, p)),
      gitignore: cfg.watch.gitignore,
    },
    build,
    run,
    debounce: {
      quietMs: ms(cfg.debounce.quiet),
      loneQuietMs: ms(cfg.debounce.loneQuiet),
      settledQuietMs: ms(cfg.debounce.settledQuiet),
      maxWaitMs: ms(cfg.debounce.maxWait),
    },
    log: { format, level: cfg.log.level },
    watchdog: {
      enabled: cfg.watchdog.enabled,
      intervalMs: ms(cfg.watchdog.interval),
      auditIntervalMs: ms(cfg.watchdog.auditInterval),
      overBudget: cfg.watchdog.overBudget,
    },
    service: { statusPort: cfg.service.statusPort, sighup: cfg.service.sighup },
    proxy: proxySettings(cfg),
    apps: resolveApps(cfg, root, build, run),
  };
}

function proxySettings(cfg: Config): ProxySettings {
  const p = cfg.proxy;
  return {
    enabled: p.enabled,
    port: p.port,
    address: p.address,
    appPort: p.appPort,
    appPortEnv: p.appPortEnv,
    holdTimeoutMs: ms(p.holdTimeout),
    healthPath: p.healthPath,
    readyTimeoutMs: ms(p.readyTimeout),
    proveNewVersion: p.proveNewVersion,
    liveReload: p.liveReload,
    csp: p.csp,
    restartOnly: p.restartOnly,
    reloadOnly: p.reloadOnly,
  };
}

export interface AppSettings {
  /** The key in `apps:` (log lines carry it as `app`). */
  name: string;
  /** What the file says of this app (apps.NAME): the only part a config reload compares (see below). */
  overrides: AppConfig;
  /** Its build: and run:, from the top-level ones with `overrides` over them (appBuildRun). */
  build: BuildSettings;
  run: RunSettings;
  /** Globs relative to root of non-Go files that rebuild this app (apps.NAME.include). */
  include: string[];
}

type AppConfig = NonNullable<Config['apps']>[string];

/**
 * An app's build and run settings: the top-level ones with the app's keys over them (env and envFiles
 * add to run's; every other key replaces). Also used again when a config reload changes build: or run:.
 */
export function appBuildRun(
  name: string,
  a: AppConfig,
  root: string,
  build: BuildSettings,
  run: RunSettings,
): { build: BuildSettings; run: RunSettings } {
  const output = path.resolve(root, a.output ?? `.hotwatch/bin/${name}`);
  const grace = a.gracePeriod === undefined ? undefined : ms(a.gracePeriod);
  return {
    build: { ...build, cmd: undefined, package: a.package, output, flags: a.flags ?? build.flags },
    run: {
      ...run,
      binary: output,
      args: a.args ?? run.args,
      env: { ...run.env, ...a.env },
      envFiles: [...run.envFiles, ...(a.envFiles ?? []).map((p) => path.resolve(root, p))],
      cwd: a.cwd === undefined ? run.cwd : path.resolve(root, a.cwd),
      port: a.port,
      stopSignal: a.stopSignal ?? run.stopSignal,
      gracePeriodMs: grace ?? run.gracePeriodMs,
      onCrash: a.onCrash ?? run.onCrash,
    },
  };
}

/**
 * `apps:` resolved, in the file's order. `build` and `run` are not enumerable: they follow from the
 * top-level build: and run: (which a config reload compares, and applies to every app: AppSet), so a
 * reload compares each app by what the file says of it alone (config/diff.ts compares JSON).
 */
function resolveApps(cfg: Config, root: string, build: BuildSettings, run: RunSettings): AppSettings[] | undefined {
  if (cfg.apps === undefined) return undefined;
  return Object.entries(cfg.apps).map(([name, a]) => {
    const derived = appBuildRun(name, a, root, build, run);
    const app = { name, overrides: a, include: a.include } as AppSettings;
    Object.defineProperty(app, 'build', { value: derived.build, enumerable: false, writable: false });
    Object.defineProperty(app, 'run', { value: derived.run, enumerable: false, writable: false });
    return app;
  });
}

/** The app's settings: paths resolved under the root, durations in ms. */
function runSettings(cfg: Config, root: string, output: string): RunSettings {
  return {
    binary: output,
    args: cfg.run.args,
    env: cfg.run.env,
    envFiles: cfg.run.envFiles.map((p) => path.resolve(root, p)),
    cwd: path.resolve(root, cfg.run.cwd ?? '.'),
    port: cfg.run.port,
    stopSignal: cfg.run.stopSignal,
    gracePeriodMs: ms(cfg.run.gracePeriod),
    onCrash: cfg.run.onCrash,
    backoff: {
      initialMs: ms(cfg.run.backoffInitial),
      maxMs: ms(cfg.run.backoffMax),
      resetAfterMs: ms(cfg.run.backoffReset),
    },
  };
}

/** The watch settings of a config that sets nothing, for `root` (tests and tools that watch a bare tree). */
export function defaultWatchSettings(root: string): WatchSettings {
  return resolveSettings({ ...configDefaults(), root }, { baseDir: '/', configFile: undefined, isTTY: false }).watch;
}
