/**
 * Build steps (build.steps): commands run before the build (go generate, templ generate, sqlc generate),
 * after the new app started, or instead of a build for the files they handle. Each runs as a build does
 * (runBuild with an argv: its own process group, build.env, build.timeout, the whole tree stopped on
 * cancel), in root, without a shell. The changed files reach it as `{changed}` arguments and in
 * $HOTWATCH_CHANGED (exec-args.ts).
 */
import path from 'node:path';
import { sayOutputOfSuccess } from './success-output.js';
import picomatch from 'picomatch';
import type { BuildSettings, BuildStep } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import { quote, runBuild, type BuildResult } from './build.js';
import { changedEnv, expandChanged } from './exec-args.js';

/** Which files a cycle changed: these (absolute), or 'all' (the first build, a rescan, a build asked for by hand). */
export type Changed = readonly string[] | 'all';

/** How a list of steps ended: all ran, or the first that did not succeed (failed, canceled). */
export type StepsOutcome = { ok: true; durationMs: number; ran: number } | { ok: false; durationMs: number; result: BuildResult };

export interface StepRunOptions {
  build: BuildSettings;
  log: Logger;
  signal: AbortSignal;
  changed: Changed;
  /** Opened around each step: what the step writes is not a new change (step-writes.ts). */
  window?: () => () => Promise<void>;
}

export const display = (argv: readonly string[]): string => argv.map(quote).join(' ');

/** The steps of `when` that this change needs: those without files always, the others when one of their files changed. */
export function stepsFor(steps: readonly BuildStep[], when: BuildStep['when'], changed: Changed, root: string): BuildStep[] {
  return steps.filter((step) => {
    if (step.when !== when) return false;
    if (step.files.length === 0) return when !== 'instead';
    if (changed === 'all') return when === 'before';
    return matchesAny(step, changed, root);
  });
}

/** Does any of `files` (absolute) match one of the step's globs? */
export function matchesAny(step: BuildStep, files: readonly string[], root: string): boolean {
  const isMatch = picomatch(
    step.files.map((g) => g.replace(/^\.\//, '')),
    { dot: true },
  );
  return files.some((f) => isMatch(path.relative(root, f).split(path.sep).join('/')));
}

/** Runs `steps` in order; stops at the first that does not succeed. */
export async function runSteps(steps: readonly BuildStep[], o: StepRunOptions): Promise<StepsOutcome> {
  const t0 = performance.now();
  const rel = o.changed === 'all' ? [] : o.changed.map((f) => path.relative(o.build.root, f));
  for (const step of steps) {
    const argv = expandChanged(step.run, rel);
    const command = { file: argv[0]!, args: argv.slice(1), display: display(step.run) };
    const close = o.window?.();
    let result: BuildResult;
    try {
      result = await runBuild(o.build, {
        signal: o.signal,
        log: o.log,
        env: { ...process.env, ...changedEnv(rel) },
        command,
        onLine: (line) => o.log.debug({ event: 'step.output', line }, `step │ ${line}`),
      });
    } finally {
      await close?.();
    }
    if (!result.ok) return { ok: false, durationMs: Math.round(performance.now() - t0), result: { ...result, step: command.display } };
    o.log.debug(
      { event: 'step.done', step: command.display, ms: result.durationMs },
      `step ${command.display} ok in ${result.durationMs}ms`,
    );
    sayOutputOfSuccess(o.log, `build.steps: ${command.display}`, result.output);
  }
  return { ok: true, durationMs: Math.round(performance.now() - t0), ran: steps.length };
}
