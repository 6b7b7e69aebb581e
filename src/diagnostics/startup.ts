/** `hotwatch run` prints the problems `hotwatch doctor` would report about the environment and the root filesystem. */
import type { Settings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import { quickCheck } from './doctor.js';
import type { Check } from './report-schema.js';

export async function startupChecks(s: Settings, dirs: number, log: Logger, signal: AbortSignal): Promise<void> {
  const problems = await quickCheck(s, { dirs, signal }).catch((e: unknown): Check[] => [
    { id: 'startup', title: 'start-up checks', status: 'warn', detail: `could not run: ${String(e)}` },
  ]);
  // The watch budget was judged before arming (watch.budget); counted now, hotwatch's own watches
  // would look like someone else's and raise a false alarm.
  for (const p of problems.filter((c) => !c.id.startsWith('inotify.'))) {
    log[p.status === 'fail' ? 'error' : 'warn'](
      { event: 'doctor.problem', check: p },
      `${p.title}: ${p.detail}${p.fix ? ` — fix: ${p.fix.text}` : ''} (details: hotwatch doctor)`,
    );
  }
}
