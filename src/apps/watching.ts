/** What the one watcher must see for all apps together: each app's env files, and never an app's binary. */
import path from 'node:path';
import type { AppSettings } from '../config/apps.js';
import type { Settings, WatchSettings } from '../config/settings.js';
import { watchingEnvFiles } from '../supervisor/env.js';

/** The watch settings with every app's env files made relevant and every app's output excluded. */
export function watchingApps(watch: WatchSettings, apps: readonly AppSettings[] | undefined): WatchSettings {
  if (!apps) return watch;
  let out = watch;
  for (const app of apps) out = watchingEnvFiles(out, app.run).watch;
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
