/**
 * What a config reload changes, and what each change needs: the old and new Settings compared key by
 * key, each changed key put in the one class that says how it is applied live (see reload.ts):
 *   - watch:   the watcher's lists, reconciled against the current watches (no re-arm, the app untouched);
 *   - build:   one rebuild (and the restart that follows it);
 *   - run:     one restart of the app, no build;
 *   - live:    read at its next use (nothing to do now: the next stop uses the new grace period);
 *   - restart: cannot change while hotwatch runs (the root, ports, the proxy, the debouncer, the log...):
 *              said, with "needs a restart of hotwatch"; the rest of the reload still applies.
 * Pure: no file system, no clock.
 */
import type { Settings } from './settings.js';

export type ChangeClass = 'watch' | 'build' | 'run' | 'live' | 'restart';

export interface SettingsDiff {
  /** Config key names (as in watcher.config.yaml), by class; each list sorted. */
  watch: string[];
  build: string[];
  run: string[];
  live: string[];
  restart: string[];
}

/** Settings paths whose config key is spelled differently (durations in ms, derived fields). */
const CONFIG_KEY: Readonly<Record<string, string>> = {
  'build.timeoutMs': 'build.timeout',
  'build.root': 'root',
  'run.gracePeriodMs': 'run.gracePeriod',
  'run.binary': 'build.output',
  'run.backoff': 'run.backoffInitial/backoffMax/backoffReset',
  'watch.pollIntervalMs': 'watch.pollInterval',
  'watch.excludeDirsWritten': 'watch.excludeDirs',
  'watch.outputDir': 'build.output',
  'watch.root': 'root',
  'watchdog.intervalMs': 'watchdog.interval',
  'watchdog.auditIntervalMs': 'watchdog.auditInterval',
};

/** The class of each Settings path; a path not listed needs a restart of hotwatch (the safe answer). */
const CLASS_OF: Readonly<Record<string, ChangeClass>> = {
  'watch.include': 'watch',
  'watch.exclude': 'watch',
  'watch.extensions': 'watch',
  'watch.excludeDirs': 'watch',
  'watch.excludeDirsWritten': 'watch',
  'build.cmd': 'build',
  'build.package': 'build',
  'build.flags': 'build',
  'build.env': 'build',
  'build.timeoutMs': 'build',
  'run.args': 'run',
  'run.env': 'run',
  'run.cwd': 'run',
  'run.stopSignal': 'live',
  'run.gracePeriodMs': 'live',
  'service.sighup': 'live',
};

/** The top-level sections compared field by field (others, such as root, as one value). */
const SECTIONS = ['watch', 'build', 'run', 'debounce', 'log', 'watchdog', 'proxy', 'service'] as const;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Every Settings path whose value differs (`section.field`, or a top-level key). */
export function changedPaths(before: Settings, after: Settings): string[] {
  const out: string[] = [];
  const b = before as unknown as Record<string, unknown>;
  const a = after as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (key === 'configFile') continue; // the same file, re-read
    if ((SECTIONS as readonly string[]).includes(key)) {
      const bs = (b[key] ?? {}) as Record<string, unknown>;
      const as = (a[key] ?? {}) as Record<string, unknown>;
      for (const f of new Set([...Object.keys(bs), ...Object.keys(as)])) if (!same(bs[f], as[f])) out.push(`${key}.${f}`);
    } else if (!same(b[key], a[key])) out.push(key);
  }
  return out;
}

export function diffSettings(before: Settings, after: Settings): SettingsDiff {
  const diff: SettingsDiff = { watch: [], build: [], run: [], live: [], restart: [] };
  for (const p of changedPaths(before, after)) {
    const cls = CLASS_OF[p] ?? 'restart';
    const key = CONFIG_KEY[p] ?? p.replace(/Ms$/, ''); // durations: quietMs is debounce.quiet
    if (!diff[cls].includes(key)) diff[cls].push(key);
  }
  for (const list of Object.values(diff)) list.sort();
  return diff;
}

export const isEmptyDiff = (d: SettingsDiff): boolean => Object.values(d).every((l) => l.length === 0);

/** One line a person reads: what was applied and how, and what needs a restart of hotwatch. */
export function describeDiff(d: SettingsDiff): string {
  if (isEmptyDiff(d)) return 'no setting changed';
  const parts: string[] = [];
  if (d.watch.length > 0) parts.push(`${d.watch.join(', ')}: watches reconciled, the app left running`);
  if (d.build.length > 0) parts.push(`${d.build.join(', ')}: rebuilding`);
  else if (d.run.length > 0) parts.push(`${d.run.join(', ')}: restarting the app`);
  if (d.build.length > 0 && d.run.length > 0) parts.push(`${d.run.join(', ')}: applied by that rebuild's restart`);
  if (d.live.length > 0) parts.push(`${d.live.join(', ')}: applied at next use`);
  if (d.restart.length > 0) parts.push(`${d.restart.join(', ')}: NOT applied, needs a restart of hotwatch`);
  return parts.join('; ');
}

/** The Settings paths ("section.field") of one class: what a reload copies into the running settings. */
export function pathsOf(cls: Exclude<ChangeClass, 'restart'>): string[] {
  return Object.entries(CLASS_OF)
    .filter(([, c]) => c === cls)
    .map(([p]) => p);
}
