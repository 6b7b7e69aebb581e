/** The start-up lines of a run with apps: which apps run (of which), then one plan line per app under its name. */
import type { AppSettings } from '../config/apps.js';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import { describePlan } from '../startup-plan.js';

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
  }
}
