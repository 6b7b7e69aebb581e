/** The app's environment, computed at each start: hotwatch's own, then env files in order, then run.env. */
import path from 'node:path';
import type { RunSettings, WatchSettings } from '../config/settings.js';
import { loadEnvFiles } from '../config/envfile.js';

export function appEnvironment(run: RunSettings): NodeJS.ProcessEnv {
  return { ...process.env, ...loadEnvFiles(run.envFiles), ...run.env };
}

/**
 * The watch settings with the run.envFiles inside the root made relevant (an include glob each), so an
 * edit of one reaches the supervisor, which restarts the app without a build. `outside`: env files the
 * watcher cannot see (outside the root).
 */
export function watchingEnvFiles(watch: WatchSettings, run: RunSettings): { watch: WatchSettings; outside: string[] } {
  const include = [...watch.include];
  const outside: string[] = [];
  for (const file of run.envFiles) {
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
