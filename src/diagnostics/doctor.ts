/**
 * `hotwatch doctor`: runs every check (each bounded in time; a check that throws or times out becomes a
 * ✗ with the reason, never a crash) and returns the typed report. `quickCheck` is the fast subset
 * `hotwatch run` runs at start (limits, budget, root filesystem) and returns only the problems.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { plannedPolling } from '../watch/planned-polling.js';
import { bounded } from '../os/bounded.js';
import { readMounts, type MountEntry } from '../os/mounts.js';
import { scanTree } from '../watch/tree/scan.js';
import { budgetChecks, largestSubtrees, type BudgetInput } from './budget.js';
import { readEnvironment } from './environment.js';
import { appsToolchain } from './apps.js';
import { environmentChecks } from './environment-checks.js';
import { filesystemChecks, mountFacts } from './filesystems.js';
import {
  effectiveInstanceLimit,
  effectiveWatchLimit,
  inotifyUsageByUser,
  readInotifyLimits,
  limitingUserNs,
  type UserInotifyUsage,
} from '../os/inotify.js';
import type { BudgetFacts, Check, DoctorReport, InotifyFacts } from './report-schema.js';
import { DOCTOR_SCHEMA_VERSION, verdictOf, verdictParts } from './verdict.js';
import { toolchainChecks } from './toolchain.js';
import { claimCheck } from './claim.js';
import { rootsReport, type RootsReport } from './roots.js';
import { ignoredReport, type IgnoredReport } from './gitignored.js';
import { boundedExcludedPackages } from './excluded-packages.js';

export interface DoctorOptions {
  /** Cancels everything still running. */
  signal?: AbortSignal;
  /** Time limit of each check (default 10 s; the tree scan gets 3×). */
  checkTimeoutMs?: number;
}

function hotwatchVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The login name for a limits.d line; "*" when unknown. */
function loginName(): string {
  try {
    return os.userInfo().username || '*';
  } catch {
    return '*';
  }
}

const currentUid = (): number => (typeof process.getuid === 'function' ? process.getuid() : -1);

/** A check that failed to run: the reason, never a crash. */
function crashed(id: string, title: string, e: unknown): Check {
  const why = e instanceof Error ? e.message : String(e);
  return {
    id,
    title,
    status: 'fail',
    detail: `this check could not run: ${why}`,
    fix: { text: 'Run `hotwatch doctor` again; if it persists, report it with the output of `hotwatch doctor --json`.' },
  };
}

/** Run a synchronous check, turning a throw into a failed check. */
function sync<T>(id: string, title: string, fn: () => T, onError: (c: Check) => void): T | undefined {
  try {
    return fn();
  } catch (e) {
    onError(crashed(id, title, e));
    return undefined;
  }
}

interface Scan {
  dirs: number | undefined;
  /** The directories to watch (root first), for `hotwatch run`'s split of the overflow. */
  tree: { root: string; dirs: readonly string[] } | undefined;
  budget: BudgetFacts;
  largest: { dir: string; dirs: number }[];
  notices: Check[];
}

async function scan(settings: Settings, ms: number, outer: AbortSignal | undefined): Promise<Scan> {
  const w = settings.watch;
  const t0 = performance.now();
  try {
    const r = await bounded((signal) => scanTree(w, { signal, descendPollMounts: w.backend === 'native' }), {
      what: 'scanning the tree',
      timeoutMs: ms,
      signal: outer,
    });
    const dirs = w.backend === 'poll' ? 0 : r.dirs.length;
    const notices: Check[] = r.notices
      .filter((n) => n.code === 'SYMLINK_OUTSIDE_ROOT' || n.code === 'DIR_UNREADABLE')
      .map((n) => ({
        id: `tree.${n.code.toLowerCase()}:${n.path ?? ''}`,
        title: n.code === 'DIR_UNREADABLE' ? 'Unreadable directory' : 'Symlink out of the root',
        status: n.level === 'error' ? 'fail' : n.level === 'warn' ? 'warn' : 'info',
        detail: n.message,
        fix: n.hint ? { text: n.hint } : undefined,
      }));
    return {
      dirs,
      tree: w.backend === 'poll' ? undefined : { root: path.resolve(w.root), dirs: r.dirs },
      largest: largestSubtrees(w.root, r.dirs),
      notices,
      budget: { dirs, pollMounts: r.pollMounts.length, skippedMounts: r.skippedMounts.length, scanMs: Math.round(performance.now() - t0) },
    };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      dirs: undefined,
      tree: undefined,
      largest: [],
      notices: [crashed('tree.scan', 'Scan of the tree', e)],
      budget: { dirs: 0, pollMounts: 0, skippedMounts: 0, scanMs: Math.round(performance.now() - t0), error: why },
    };
  }
}

interface Inotify extends InotifyFacts {
  /** This user namespace's processes only, when it lowers a limit (what its own limit counts). */
  nsUsage: UserInotifyUsage | undefined;
}

function inotifyFacts(): Inotify {
  const limits = readInotifyLimits();
  const uid = currentUid();
  const u = inotifyUsageByUser(uid);
  const ns = limitingUserNs(limits);
  return {
    limits,
    effective: { watches: effectiveWatchLimit(limits), instances: effectiveInstanceLimit(limits) },
    usage: { uid, instances: u.instances, watches: u.watches, processes: u.processes, unreadableProcesses: u.unreadable, top: u.top },
    nsUsage: ns === undefined ? undefined : inotifyUsageByUser(uid, { userNs: ns }),
  };
}

/** The budget input shared by runDoctor and quickCheck: everything `hotwatch run` judges the budget on. */
function budgetInput(
  settings: Settings,
  inotify: Inotify,
  mounts: MountEntry[],
  dirs: number | undefined,
  rest: Partial<BudgetInput> = {},
): BudgetInput {
  const w = settings.watch;
  return {
    limits: inotify.limits,
    usage: { ...inotify.usage, unreadable: inotify.usage.unreadableProcesses },
    nsUsage: inotify.nsUsage,
    dirs,
    backend: w.backend,
    root: w.root,
    configFile: settings.configFile,
    watchdog: { enabled: settings.watchdog.enabled, overBudget: settings.watchdog.overBudget },
    pollIntervalMs: w.pollIntervalMs,
    planned: plannedPolling(w, mounts),
    ...rest,
  };
}

/** Every check. Never throws (except when `signal` aborts the whole run). */
/** The toolchain checks within a bound: a hung `go` is a crashed check that says so, not a hung doctor. */
function boundedToolchain(settings: Settings, ms: number, signal: AbortSignal | undefined) {
  return bounded((inner) => toolchainChecks(settings, { signal: inner, timeoutMs: ms }), {
    what: 'toolchain checks',
    timeoutMs: ms,
    signal,
  }).catch((e: unknown) => {
    signal?.throwIfAborted();
    return { facts: undefined, checks: [crashed('toolchain', 'Toolchain', e)] };
  });
}

export async function runDoctor(settings: Settings, opts: DoctorOptions = {}): Promise<DoctorReport> {
  const t0 = performance.now();
  const ms = opts.checkTimeoutMs ?? 10_000;
  const w = settings.watch;
  const crashes: Check[] = [];
  const onError = (c: Check) => crashes.push(c);

  // Start the slow, external parts first; the /proc reads run meanwhile.
  // The tree as `hotwatch run` walks it: without the git-ignored directories it leaves out.
  const ignoredP = boundedIgnored(settings, ms * 3, opts.signal);
  const scanP = ignoredP.then((ig) => scan({ ...settings, watch: ig.plan.settings }, ms * 3, opts.signal));
  // With apps:, each app's package, output and port (appsToolchain), the machine's checks once.
  const toolP = settings.apps
    ? appsToolchain(settings, (s) => boundedToolchain(s, ms, opts.signal))
    : boundedToolchain(settings, ms, opts.signal).then((t) => ({ ...t, apps: undefined }));
  // The roots' checks, with those of the packages the build compiles that excludeDirs would leave out.
  const rootsP = addChecks(boundedRoots(settings, ms * 3, opts.signal), boundedExcludedPackages(settings, ms * 3, opts.signal));

  const inotify = sync('inotify', 'inotify limits and usage', inotifyFacts, onError);
  const table = readMounts();
  const mounts = sync('fs', 'Filesystems', () => mountFacts(w, table), onError);
  const environment = sync('env', 'Environment', () => readEnvironment(), onError);
  const fsChecks = mounts ? (sync('fs', 'Filesystems', () => filesystemChecks(mounts, w, settings.configFile), onError) ?? []) : [];
  const envChecks = environment
    ? (sync('env', 'Environment', () => environmentChecks(environment, settings.root, loginName()), onError) ?? [])
    : [];

  const [scanned, tool, claim, roots, ignored] = await Promise.all([scanP, toolP, claimCheck(settings.root), rootsP, ignoredP]);
  opts.signal?.throwIfAborted();
  // Every root of the watch set counts against the one budget.
  const b = inotify
    ? sync('inotify', 'inotify budget', () => watchSetBudget(settings, inotify, table, scanned, roots), onError)
    : undefined;
  const set = watchSetParts(roots, ignored, scanned.dirs);
  const budget: BudgetFacts | undefined = { ...scanned.budget, ...b?.facts, gitignoredDirs: set.gitignoredDirs };
  const checks = [...(b?.checks ?? []), ...fsChecks, ...set.checks, ...scanned.notices, ...tool.checks, claim, ...envChecks, ...crashes];
  return {
    schemaVersion: DOCTOR_SCHEMA_VERSION,
    version: hotwatchVersion(),
    root: settings.root,
    configFile: settings.configFile ?? null,
    generatedAt: new Date().toISOString(),
    durationMs: Math.round(performance.now() - t0),
    verdict: verdictOf(checks),
    ...verdictParts(checks),
    checks,
    facts: {
      inotify: inotify && { limits: inotify.limits, effective: inotify.effective, usage: inotify.usage },
      budget,
      mounts,
      environment,
      toolchain: tool.facts,
      ...(set.roots.length > 0 ? { roots: set.roots } : {}),
      ...(tool.apps ? { apps: tool.apps } : {}),
    },
  };
}

/** The budget of every root of the watch set together: their directories, one instance and one sentinel directory each. */
function watchSetBudget(settings: Settings, inotify: Inotify, table: MountEntry[], scanned: Scan, roots: RootsReport) {
  const dirs = scanned.dirs === undefined ? undefined : scanned.dirs + roots.extraDirs;
  const rest = { largest: scanned.largest, tree: scanned.tree, roots: Math.max(1, roots.roots.length) };
  return budgetChecks(budgetInput(settings, inotify, table, dirs, rest));
}

/** The watch set's checks and facts: its roots (the root with the scan's count) and the git-ignored dirs left out. */
function watchSetParts(roots: RootsReport, ignored: IgnoredReport, rootDirs: number | undefined) {
  return {
    checks: [...roots.checks, ...(ignored.check ? [ignored.check] : [])],
    roots: roots.roots.map((r, i) => (i === 0 && rootDirs !== undefined ? { ...r, dirs: rootDirs } : r)),
    gitignoredDirs: ignored.plan.verdict?.excluded.length ?? 0,
  };
}

/** The git-ignored directories within a bound; when it cannot say, the tree is scanned whole (as the run watches it then). */
function boundedIgnored(settings: Settings, ms: number, signal: AbortSignal | undefined): Promise<IgnoredReport> {
  return bounded((inner) => ignoredReport(settings, inner), { what: 'reading the ignore files', timeoutMs: ms, signal }).catch(
    (e: unknown) => {
      signal?.throwIfAborted();
      return { plan: { settings: settings.watch, verdict: undefined }, check: crashed('tree.gitignored', 'Git-ignored directories', e) };
    },
  );
}

async function addChecks(roots: Promise<RootsReport>, more: Promise<Check[]>): Promise<RootsReport> {
  const [r, m] = await Promise.all([roots, more]);
  return { ...r, checks: [...r.checks, ...m] };
}

/** The watch set's roots within a bound: a hung `go` is a crashed check, not a hung doctor. */
function boundedRoots(settings: Settings, ms: number, signal: AbortSignal | undefined): Promise<RootsReport> {
  return bounded((inner) => rootsReport(settings, inner), { what: 'listing the roots', timeoutMs: ms, signal }).catch((e: unknown) => {
    signal?.throwIfAborted();
    return { roots: [], extraDirs: 0, checks: [crashed('tree.roots', 'Roots watched', e)] };
  });
}

/**
 * The report for input the doctor cannot even start on (unknown flag, missing root, bad config): one
 * failing check with the problem and its fix, verdict broken, so `--json` still prints a valid document.
 */
interface InputProblem {
  code: string;
  message: string;
  where?: string | undefined;
  hint?: string | undefined;
  /** Several problems reported together (a config file with more than one mistake): one check each. */
  problems?: readonly InputProblem[];
}

export function inputErrorReport(root: string, configFile: string | undefined, problem: InputProblem): DoctorReport {
  const list = problem.problems !== undefined && problem.problems.length > 0 ? problem.problems : [problem];
  const checks: Check[] = list.map((p, i) => ({
    id: `input.${p.code.toLowerCase()}${list.length > 1 ? `:${i + 1}` : ''}`,
    title: 'Input',
    status: 'fail',
    detail: p.where ? `${p.where} ${p.message}` : p.message,
    fix: { text: p.hint ?? 'Fix the flags or the config file (hotwatch doctor --help).' },
  }));
  return {
    schemaVersion: DOCTOR_SCHEMA_VERSION,
    version: hotwatchVersion(),
    root,
    configFile: configFile ?? null,
    generatedAt: new Date().toISOString(),
    durationMs: 0,
    verdict: verdictOf(checks),
    checks,
    facts: {},
  };
}

/**
 * The start-up subset for `hotwatch run`: inotify limits and budget, the root filesystem. Returns only
 * problems (warn / fail). Pass `dirs` when the caller already scanned the tree (no second scan).
 */
export async function quickCheck(
  settings: Settings,
  opts: { dirs?: number; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<Check[]> {
  const w = settings.watch;
  const problems: Check[] = [];
  const onError = (c: Check) => problems.push(c);
  let dirs = opts.dirs;
  if (dirs === undefined && w.backend !== 'poll') {
    const s = await scan(settings, opts.timeoutMs ?? 10_000, opts.signal);
    dirs = s.dirs;
    problems.push(...s.notices.filter((c) => c.id === 'tree.scan'));
  }
  const inotify = sync('inotify', 'inotify limits and usage', inotifyFacts, onError);
  const table = readMounts();
  if (inotify) {
    const b = sync('inotify', 'inotify budget', () => budgetChecks(budgetInput(settings, inotify, table, dirs)), onError);
    if (b) problems.push(...b.checks);
  }
  const mounts = sync('fs', 'Filesystems', () => mountFacts(w, table), onError);
  if (mounts)
    problems.push(
      ...filesystemChecks(
        mounts.filter((m) => m.isRootMount),
        w,
        settings.configFile,
      ),
    );
  // PID 1 without an init, a low pids.max or memory.max, a low open-files limit: cheap reads of /proc.
  const environment = sync('env', 'Environment', () => readEnvironment(), onError);
  if (environment)
    problems.push(...(sync('env', 'Environment', () => environmentChecks(environment, settings.root, loginName()), onError) ?? []));
  return problems.filter((c) => c.status === 'warn' || c.status === 'fail');
}
