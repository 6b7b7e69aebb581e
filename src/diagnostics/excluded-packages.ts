/**
 * The doctor's view of the packages the build compiles that watch.excludeDirs would leave out
 * (internal/tmp, a patched vendor/ dependency): asked of the toolchain as `hotwatch run` asks it (the same
 * `go list -deps`, no network), judged by the same rules (watch/tree/left-out-packages.ts). Kept ones are
 * said (ok); one an entry the config writes hides is a warning with its fix, so "watching will work here"
 * is never said over a package whose edits would not be seen. The root only (local modules outside it: the
 * run says theirs).
 */
import type { Settings } from '../config/settings.js';
import { bounded } from '../os/bounded.js';
import { listBuildPackages } from '../os/go-embeds.js';
import { buildInputs } from '../watch/roots/ignored-excludes.js';
import { hiddenFix, hiddenLine, keptLine, planLeftOut } from '../watch/tree/left-out-packages.js';
import type { Check } from './report-schema.js';

const ID = 'tree.excluded-packages';
const TITLE = 'Packages under excluded directories';

export async function excludedPackagesChecks(settings: Settings, signal: AbortSignal): Promise<Check[]> {
  const b = buildInputs(settings.root, settings.build);
  let dirs: string[];
  try {
    const answer = await listBuildPackages({
      cwd: b.root,
      pkg: b.package,
      root: settings.root,
      keepBroken: true,
      env: b.env,
      flags: [...b.flags],
      signal,
    });
    dirs = answer.dirs;
  } catch (e) {
    signal.throwIfAborted();
    const detail = `the packages the build compiles could not be listed, so packages under watch.excludeDirs (tmp, vendor, …) are not known: ${(e as Error).message}`;
    return [{ id: ID, title: TITLE, status: 'info', detail }];
  }
  const plan = planLeftOut(settings.watch, dirs);
  const root = settings.root;
  const hidden: Check[] = plan.hidden.map((g) => ({
    id: `${ID}:${g.top}`,
    title: TITLE,
    status: 'warn',
    detail: hiddenLine(g, root),
    fix: { text: `${hiddenFix(g)[0]!.toUpperCase()}${hiddenFix(g).slice(1)}.` },
  }));
  const kept: Check[] =
    plan.kept.length === 0 ? [] : [{ id: ID, title: TITLE, status: 'ok', detail: plan.kept.map((g) => keptLine(g, root)).join('; ') }];
  return [...hidden, ...kept];
}

/** Within a bound: a hung `go` is a failed check that says so (as every check that overruns), not a hung doctor. */
export function boundedExcludedPackages(settings: Settings, ms: number, signal: AbortSignal | undefined): Promise<Check[]> {
  return bounded((inner) => excludedPackagesChecks(settings, inner), {
    what: 'listing the packages the build compiles',
    timeoutMs: ms,
    signal,
  }).catch((e: unknown): Check[] => {
    signal?.throwIfAborted();
    const detail = `this check could not run: ${e instanceof Error ? e.message : String(e)}; packages under watch.excludeDirs (tmp, vendor, …) are not known`;
    const fix = { text: 'Run `hotwatch doctor` again; if it persists, report it with the output of `hotwatch doctor --json`.' };
    return [{ id: ID, title: TITLE, status: 'fail', detail, fix }];
  });
}
