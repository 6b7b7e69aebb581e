/** The app's environment, computed at each start: hotwatch's own, then env files in order, then run.env. */
import fs from 'node:fs';
import path from 'node:path';
import { realPathOr } from '../os/safe-fs.js';
import type { RunSettings, WatchSettings } from '../config/settings.js';
import { loadEnvFiles } from '../config/envfile.js';

export function appEnvironment(run: RunSettings): NodeJS.ProcessEnv {
  return { ...process.env, ...loadEnvFiles(run.envFiles), ...run.env };
}

/**
 * Each env file, and the file it links to when it is a symlink (`.env -> env/dev.env`), spelled from
 * `root` when it is under the root's real path: an edit reaches the target, and the watcher reports the
 * target's path, which matched no env file (the app was never restarted for it).
 */
export function envFilesWithTargets(files: readonly string[], root: string): string[] {
  const out = new Set(files);
  const realRoot = realPathOr(root);
  for (const f of files) {
    try {
      if (!fs.lstatSync(f).isSymbolicLink()) continue;
    } catch {
      continue; // not there (yet): the start-up said so
    }
    const real = realPathOr(f);
    const rel = path.relative(realRoot, real);
    out.add(rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? path.join(root, rel) : real);
  }
  return [...out];
}

/**
 * The watch settings with the run.envFiles inside the root made relevant (an include glob each), so an
 * edit of one reaches the supervisor, which restarts the app without a build. `outside`: env files the
 * watcher cannot see (outside the root).
 */
export function watchingEnvFiles(watch: WatchSettings, run: RunSettings): { watch: WatchSettings; outside: string[] } {
  const include = [...watch.include];
  const outside: string[] = [];
  for (const file of envFilesWithTargets(run.envFiles, watch.root)) {
    const rel = path.relative(watch.root, file).split(path.sep).join('/');
    if (rel === '' || rel.startsWith('../') || rel === '..' || path.isAbsolute(rel)) {
      outside.push(file);
      continue;
    }
    const glob = rel.replace(/[*?[\]{}()!+@\\]/g, '\\$&');
    if (!include.includes(glob)) include.push(glob);
  }
  return { watch: { ...watch, include }, outside };
}
