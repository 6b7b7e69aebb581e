/**
 * What the one watcher must see besides its own rules: for all apps together each app's env files and
 * include globs, and never an app's binary; the build steps' input files.
 */
import { ownOutputFilesUnder } from '../os/own-output.js';
import path from 'node:path';
import type { AppSettings } from '../config/apps.js';
import type { BuildStep, ProxySettings, Settings, WatchSettings } from '../config/settings.js';
import { envFilesWithTargets, watchingEnvFiles } from '../supervisor/env.js';
import { createFilter } from '../watch/tree/filter.js';

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
  return excludingOutputs(
    out,
    apps.map((a) => a.build.output),
  );
}

/**
 * `watch` with each binary the builds write excluded, and go's `<output>-go-tmp-umask` beside it: an
 * output in a watched directory (`bin = "./server"` in the root, with air's include_ext = ["*"]) would
 * otherwise trigger a second build and restart after every build.
 */
export function excludingOutputs(watch: WatchSettings, outputs: readonly string[]): WatchSettings {
  const exclude = [...watch.exclude];
  // An output in a directory never watched (.hotwatch/bin, the default) needs no glob: one with a slash
  // would take the filter off its by-name fast path for every file of the tree.
  const filter = createFilter(watch);
  for (const output of outputs) {
    const rel = path.relative(watch.root, output).split(path.sep).join('/');
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue; // outside the root: never watched anyway
    if (filter.isExcludedDir(path.dirname(output))) continue;
    const glob = rel.replace(/[*?[\]{}()!+@\\]/g, '\\$&');
    for (const g of [glob, `${glob}-go-tmp-umask`]) if (!exclude.includes(g)) exclude.push(g);
  }
  return exclude.length === watch.exclude.length ? watch : { ...watch, exclude };
}

/** Env files of the run and of every app: an edit restarts, never "back to what runs" (the batcher's restartOnly). */
export function allEnvFiles(s: Pick<Settings, 'run' | 'apps' | 'root'>): string[] {
  return envFilesWithTargets([...new Set([...s.run.envFiles, ...(s.apps ?? []).flatMap((a) => a.run.envFiles)])], s.root);
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
  ownOutput: string[];
} {
  // The build's binary and hotwatch's own output files (a `> hotwatch.log` in the root) are never changes.
  const ownOutput = ownOutputFilesUnder(s.watch.root);
  const own = excludingOutputs(watchingProxyFiles(s.watch, s.proxy), [s.build.output, ...ownOutput]);
  return { ...watchingEnvFiles(watchingApps(watchingStepFiles(own, s.build.steps), s.apps), s.run), ownOutput };
}
