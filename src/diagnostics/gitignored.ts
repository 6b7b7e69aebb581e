/**
 * The doctor's count of the git-ignored directories `hotwatch run` leaves out (watch.gitignore), and of
 * those it watches all the same because the build reads them; computed exactly as the run computes them,
 * so the budget the doctor judges is the run's.
 */
import type { Settings } from '../config/settings.js';
import { buildDirsOnce, buildInputs, planIgnored, someOf, type IgnoredPlan } from '../watch/roots/ignored-excludes.js';
import type { Check } from './report-schema.js';

export interface IgnoredReport {
  plan: IgnoredPlan;
  check: Check | undefined;
}

export async function ignoredReport(settings: Settings, signal: AbortSignal): Promise<IgnoredReport> {
  const w = settings.watch;
  const plan = await planIgnored(w, buildDirsOnce(buildInputs(settings.root, settings.build), signal), signal);
  const title = 'Git-ignored directories';
  if (!w.gitignore)
    return {
      plan,
      check: {
        id: 'tree.gitignored',
        title,
        status: 'info',
        detail: 'watch.gitignore is false: ignored directories are watched like any other',
      },
    };
  if (plan.unknown)
    return {
      plan,
      check: {
        id: 'tree.gitignored',
        title,
        status: 'info',
        detail: `watched all the same: the packages the build uses could not be listed (${plan.unknown})`,
      },
    };
  const v = plan.verdict;
  if (!v || (v.excluded.length === 0 && v.kept.length === 0)) return { plan, check: undefined };
  const skipped = v.excluded.length > 0 ? `${v.excluded.length} not watched (${someOf(v.excluded, w.root)})` : 'none skipped';
  const kept = v.kept.length > 0 ? `; watched all the same, the build reads them: ${someOf(v.kept, w.root)}` : '';
  return { plan, check: { id: 'tree.gitignored', title, status: 'ok', detail: `${skipped}${kept}` } };
}
