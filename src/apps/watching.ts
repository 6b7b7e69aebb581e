/**
 * What the one watcher must see besides its own rules: for all apps together each app's env files and
 * include globs, and never an app's binary; the build steps' input files.
 */
import path from 'node:path';
import type { AppSettings } from '../config/apps.js';
import type { BuildStep, ProxySettings, Settings, WatchSettings } from '../config/settings.js';
import { watchingEnvFiles } from '../supervisor/env.js';

/** The watch settings with every app's env files made relevant and every app's output excluded. */
export function watchingApps(watch: WatchSettings, apps: readonly AppSettings[] | undefined): WatchSettings {
  if (!apps) return watch;
  let out = watch;
  for (const app of apps) out = watchingEnvFiles(out, app.run).watch;
  // apps.NAME.include names non-Go files that rebuild the app: the watcher must report them (it did not:
  // the globs only routed changes nobody reported).
  out = withIncluded(
    out,
    apps.flatMap((a) => a.include),
  );
  const exclude = [...out.exclude];
  for (const app of apps) {
    const rel = path.relative(watch.root, app.build.output).split(path.sep).join('/');
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue; // outside the root: never watched anyway
    const glob = rel.replace(/[*?[\]{}()!+@\\]/g, '\\$&');
    if (!exclude.includes(glob)) exclude.push(glob);
  }
  return { ...out, exclude };
}

/** Env files of the run and of every app: an edit restarts, never "back to what runs" (the batcher's restartOnly). */
export function allEnvFiles(s: Pick<Settings, 'run' | 'apps'>): string[] {
  return [...new Set([...s.run.envFiles, ...(s.apps ?? []).flatMap((a) => a.run.envFiles)])];
}

/** `watch` with `globs` (relative to root) among its include globs, each once. */
export function withIncluded(watch: WatchSettings, globs: readonly string[]): WatchSettings {
  const include = [...watch.include];
  for (const g of globs) if (!include.includes(g)) include.push(g);
  return include.length === watch.include.length ? watch : { ...watch, include };
}

/**
 * build.steps' `files` globs (a step run only when such a file changed: any `.templ`, `.sql` or `.proto` file) are watched:
 * else a step's input of an extension the watch rules leave out never ran its step, without a word.
 */
function watchingStepFiles(watch: WatchSettings, steps: readonly BuildStep[]): WatchSettings {
  return withIncluded(
    watch,
    steps.flatMap((st) => st.files),
  );
}

/** The watch settings with proxy.reloadOnly and proxy.restartOnly made relevant (static files have any extension). */
function watchingProxyFiles(watch: WatchSettings, p: ProxySettings): WatchSettings {
  return p.enabled ? withIncluded(watch, [...p.restartOnly, ...p.reloadOnly]) : watch;
}

/**
 * Everything the watcher must report for `s`: its watch rules, the proxy's files, the build steps' inputs,
 * every app's env files and include globs (never its binary), the run's env files. One function for the
 * start and a config reload: the reload used to leave the apps' part out.
 */
export function watchedSettings(s: Pick<Settings, 'watch' | 'proxy' | 'build' | 'apps' | 'run'>): {
  watch: WatchSettings;
  outside: string[];
} {
  return watchingEnvFiles(watchingApps(watchingStepFiles(watchingProxyFiles(s.watch, s.proxy), s.build.steps), s.apps), s.run);
}
