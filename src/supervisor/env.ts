/** The app's environment, computed at each start: hotwatch's own, then env files in order, then run.env. */
import type { RunSettings } from '../config/settings.js';
import { loadEnvFiles } from '../config/envfile.js';

export function appEnvironment(run: RunSettings): NodeJS.ProcessEnv {
  return { ...process.env, ...loadEnvFiles(run.envFiles), ...run.env };
}
