/** The start-up lines of a run with apps: which apps run (of which), then one plan line per app under its name. */
import type { AppSettings } from '../config/apps.js';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import { describePlan } from '../startup-plan.js';
import { watchingEnvFiles } from '../supervisor/env.js';

export function describeApps(s: Settings, apps: readonly AppSettings[], log: Logger, cwd: string): void {
  const names = apps.map((a) => a.name);
  const config = describePlan(s, cwd).config;
  log.info(
    { event: 'startup.apps', apps: names, config, root: s.root },
    `${config}; ${apps.length} app${apps.length === 1 ? '' : 's'}: ${names.join(', ')}`,
  );
  for (const a of apps) {
    const plan = describePlan({ ...s, build: a.build, run: a.run }, cwd);
    log
      .child({ app: a.name })
      .info({ event: 'startup.plan', build: plan.build, run: plan.run, root: s.root }, `build: ${plan.build}; run: ${plan.run}`);
    // The app's own env files outside the root (run.envFiles' are said by the runtime, once).
    const own = new Set(s.run.envFiles);
    for (const file of watchingEnvFiles(s.watch, a.run).outside.filter((f) => !own.has(f))) {
      const text = `apps.${a.name}.envFiles ${file} is outside the root: its edits are not watched (press r, or edit a source, to restart with it)`;
      log.child({ app: a.name }).warn({ event: 'config.envfile-unwatched', file }, text);
    }
  }
}
