/**
 * The build steps as the supervisor drives them around the job (the before-steps run inside the build,
 * supervisor-build.ts): a batch loses the files a step wrote (step-writes.ts), a batch of only files an
 * `instead` step handles runs that step and builds nothing, and `after` steps run once a new app started.
 * A step that fails is said at error with its output; the app keeps running.
 */
import path from 'node:path';
import type { BuildSettings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import type { Batch } from '../pipeline/events.js';
import { compilerErrors } from './compiler-output.js';
import type { StepWrites } from './step-writes.js';
import { display, matchesAny, runSteps, stepsFor, type Changed } from './steps.js';
import { indent } from './wording.js';

export interface CycleStepsOptions {
  build: BuildSettings;
  log: Logger;
  signal: AbortSignal;
  /** Where hotwatch was started: file names in a step's output are made to resolve from there. */
  cwd: string;
  stepWrites?: StepWrites | undefined;
  /** The after-steps start running (`name`: their commands): what they write next is theirs (self-trigger.ts). */
  onAfterSteps?: (name: string) => void;
}

/** One turn of after-steps: `stop` ends it, `done` once it has ended. */
interface AfterRun {
  stop: AbortController;
  finished: boolean;
  done: Promise<void>;
}

/** What a batch changed, as the steps see it. */
export const changedOf = (batch: Batch | undefined): Changed =>
  !batch || batch.paths.length === 0 || batch.rescanReasons.length > 0 ? 'all' : batch.paths;

export class CycleSteps {
  /** Instead-steps run one after the other, never two at once. */
  private insteadChain: Promise<void> = Promise.resolve();
  /** The after-steps of the app that runs now: stopped when a newer app starts (they were for the one it replaced). */
  private afterRun: AfterRun | undefined;

  constructor(private readonly o: CycleStepsOptions) {}

  /** Batches must pass through filter() (a before or instead step is configured). */
  get filters(): boolean {
    return this.o.stepWrites !== undefined;
  }

  /** Opened around each step that may write sources. */
  get window(): (() => () => Promise<void>) | undefined {
    const w = this.o.stepWrites;
    return w ? () => w.window() : undefined;
  }

  /** `batch` without the files a step wrote (as it left them); undefined when nothing else changed. */
  async filter(batch: Batch): Promise<Batch | undefined> {
    if (!this.o.stepWrites || batch.paths.length === 0 || batch.rescanReasons.length > 0) return batch;
    const { kept, dropped } = await this.o.stepWrites.split(batch.paths);
    if (dropped.length > 0) {
      const files = dropped.map((f) => path.relative(this.o.build.root, f));
      this.o.log.debug({ event: 'step.own-writes', files }, `${files.join(', ')}: written by a build step, not a new change`);
    }
    return kept.length === 0 ? undefined : { ...batch, paths: kept };
  }

  /** A batch of only files that `instead` steps handle: they run (in the background), and nothing builds. */
  instead(batch: Batch): boolean {
    const { build, log, signal } = this.o;
    if (batch.paths.length === 0 || batch.rescanReasons.length > 0) return false;
    const insteadSteps = build.steps.filter((s) => s.when === 'instead');
    if (insteadSteps.length === 0 || !batch.paths.every((p) => insteadSteps.some((s) => matchesAny(s, [p], build.root)))) return false;
    const steps = stepsFor(build.steps, 'instead', batch.paths, build.root);
    const files = batch.paths.map((f) => path.relative(build.root, f)).join(', ');
    log.info({ event: 'step.instead', files }, `${files} changed: build.steps (instead) run, no build, no restart`);
    this.insteadChain = this.insteadChain.then(() => this.runReported(steps, batch.paths, 'instead', signal));
    return true;
  }

  /**
   * After a new app started: the after-steps this change needs. Those still running for the app it
   * replaced are stopped first (a step that never ends, a `tail -f` or a watcher, would pile up one per
   * cycle), said at info.
   */
  after(batch: Batch | undefined): void {
    const changed = changedOf(batch);
    const steps = stepsFor(this.o.build.steps, 'after', changed, this.o.build.root);
    const before = this.afterRun;
    if (steps.length === 0 && !before) return;
    const run: AfterRun = { stop: new AbortController(), finished: false, done: Promise.resolve() };
    this.afterRun = steps.length > 0 ? run : undefined;
    run.done = (async () => {
      try {
        if (before) await this.stopAfter(before);
        const signal = AbortSignal.any([this.o.signal, run.stop.signal]);
        if (steps.length === 0 || signal.aborted) return;
        this.o.onAfterSteps?.(steps.map((st) => display(st.run)).join(', '));
        await this.runReported(steps, changed, 'after', signal);
      } finally {
        run.finished = true;
      }
    })();
  }

  private async stopAfter(run: AfterRun): Promise<void> {
    if (!run.finished)
      this.o.log.info(
        { event: 'step.stopped', when: 'after' },
        'build.steps (after) of the previous version still ran: stopped, a new version started',
      );
    run.stop.abort(new Error('a new version started'));
    await run.done;
  }

  private async runReported(steps: ReturnType<typeof stepsFor>, changed: Changed, when: string, signal: AbortSignal): Promise<void> {
    const { build, log, cwd } = this.o;
    // An instead-step claims only its own files (step-writes.ts): no build follows to compile anything else.
    const w = this.o.stepWrites;
    const insteadOf = (f: string): boolean => steps.some((st) => matchesAny(st, [f], build.root));
    const window = when === 'instead' && w ? () => w.window(insteadOf) : undefined;
    try {
      const r = await runSteps(steps, { build, log, signal, changed, ...(window ? { window } : {}) });
      if (r.ok) return log.info({ event: 'step.done', when, ms: r.durationMs }, `build.steps (${when}) ok in ${r.durationMs}ms`);
      if (r.result.canceled) return;
      const out = r.result.output.trim();
      const { lines } = compilerErrors(out ? out.split('\n') : [], build.root, cwd);
      const how = r.result.timedOut ? `timed out after ${r.result.durationMs}ms` : `exit ${r.result.exitCode ?? '?'}`;
      log.error(
        { event: 'step.failed', when, step: r.result.step, exitCode: r.result.exitCode, output: lines.join('\n') },
        `BUILD STEP FAILED (build.steps ${when}: ${r.result.step}, ${how}): the app keeps running\n${lines.length > 0 ? indent(lines.slice(0, 100).join('\n')) : '    (the step printed nothing)'}`,
      );
    } catch (e) {
      log.error({ event: 'step.failed', when, err: e }, `build.steps (${when}) could not run: ${String(e)}`);
    }
  }
}
