/**
 * One build as the job sees it: runBuild's result as a BuildOutcome, a failure confirmed real (no
 * relevant file changed while it ran) and a good build's binary identified.
 */
import { sayOutputOfSuccess } from './success-output.js';
import fs from 'node:fs';
import path from 'node:path';
import type { BuildSettings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import { binaryIdentity } from './binary-identity.js';
import { runBuild, type BuildResult, type BuildRunner } from './build.js';
import type { BuildOutcome } from './job-state.js';
import type { BuildEnv } from './supervisor-options.js';
import { OwedSteps } from './owed-steps.js';
import { display, runSteps, stepsFor, type Changed } from './steps.js';

export interface JobBuildOptions {
  settings: BuildSettings;
  /** The binary the build writes (run.binary). */
  binary: string;
  log: Logger;
  /** Build output lines (default: logged at debug, with a prefix; a failure prints them once). */
  onLine?: ((line: string) => void) | undefined;
  /** Did a relevant file change after `since` (monotonic ms)? See SupervisorOptions.changedSince. */
  changedSince?: ((since: number) => Promise<boolean | 'writing'>) | undefined;
  /** What changed: which build.steps run before the build. */
  changed?: Changed;
  /** Opened around each step: its writes are not a new change (step-writes.ts). */
  stepWindow?: (() => () => Promise<void>) | undefined;
  /** Ad-hoc mode: no build, only the before-steps (the command is the app). */
  noBuild?: boolean;
  /** Runs the build (SupervisorOptions.buildRunner: several apps' builds combined and bounded); absent: runBuild. */
  runner?: BuildRunner | undefined;
  /** SupervisorOptions.buildEnv. */
  buildEnv?: BuildEnv | undefined;
  /** Before-steps that did not complete in an earlier cycle: they run again (owed-steps.ts). */
  owedSteps?: OwedSteps | undefined;
}

/** Builds `batch`; however it ends (result or error), it ends as one outcome. */
export async function buildForJob(o: JobBuildOptions, signal: AbortSignal): Promise<BuildOutcome> {
  const steps = await beforeSteps(o, signal);
  if (typeof steps !== 'number') return steps;
  const stepsMs = steps;
  if (o.noBuild) return { kind: 'ok', durationMs: stepsMs };
  // Whatever changed after this reached a tree the build may have read half-written (the steps' own writes are before it).
  const startedAt = performance.now();
  const slow = new SlowBuild(o.log);
  const onLine = o.onLine ?? ((line: string) => o.log.debug({ event: 'build.output', line }, `build │ ${line}`));
  const settings = await withBuildEnv(o, signal);
  const outcome = await (o.runner ?? runBuild)(settings, {
    signal,
    log: o.log,
    // Streamed at debug only: a real failure prints the whole output once, under its BUILD FAILED line,
    // and the output of a canceled or superseded build is no one's business but a debugger's.
    onLine: (line) => {
      slow.line(line);
      onLine(line);
    },
  })
    .then(
      (res): BuildOutcome & { unwritten?: true } => {
        if (res.ok && !res.canceled) sayOutputOfSuccess(o.log, 'the build', res.output);
        const checked = unwrittenOutput(res, o);
        return checked.unwritten ? { ...toOutcome(checked), unwritten: true } : toOutcome(checked);
      },
      (error: unknown): BuildOutcome => ({ kind: 'error', error }),
    )
    .finally(() => slow.stop());
  if (outcome.kind === 'failed') return confirmFailure(outcome, startedAt, o);
  if (outcome.kind === 'ok') {
    const ok = { kind: 'ok' as const, durationMs: outcome.durationMs + stepsMs };
    // Not written by this build: no identity, so it is never "the same binary" (it restarts, as a launcher script does).
    return 'unwritten' in outcome ? ok : withIdentity(ok, o.binary);
  }
  return outcome;
}

/** The build settings with what SupervisorOptions.buildEnv adds to their environment (nothing, mostly). */
async function withBuildEnv(o: JobBuildOptions, signal: AbortSignal): Promise<BuildSettings> {
  const s = o.settings;
  const more = o.buildEnv ? await o.buildEnv({ ...process.env, ...s.env }, s.root, signal) : {};
  return Object.keys(more).length === 0 ? s : { ...s, env: { ...s.env, ...more } };
}

/** The before-steps this change needs: their time, or how the first that did not succeed ended the cycle. */
async function beforeSteps(o: JobBuildOptions, signal: AbortSignal): Promise<number | BuildOutcome> {
  const changed = o.changed ?? 'all';
  const owed = o.owedSteps ?? new OwedSteps();
  const { steps: before, owedOnly } = owed.withOwed(o.settings.steps, stepsFor(o.settings.steps, 'before', changed, o.settings.root));
  if (before.length === 0) return 0;
  for (const st of owedOnly)
    o.log.info(
      { event: 'step.owed', step: display(st.run) },
      `build.steps ${display(st.run)} did not complete last time: running it again`,
    );
  const window = o.stepWindow;
  owed.starting(before);
  try {
    const steps = await runSteps(before, { build: o.settings, log: o.log, signal, changed, ...(window ? { window } : {}) });
    owed.ran(before, steps.ok ? undefined : steps.result.step);
    if (steps.ok) return steps.durationMs;
    // A failed step is never "superseded": the files it wrote would make every failure look so.
    return steps.result.canceled ? { kind: 'canceled', durationMs: steps.durationMs } : { kind: 'failed', result: steps.result };
  } catch (error) {
    return { kind: 'error', error };
  }
}

/** A long build is said while it runs (a first build downloading modules was a silent minute): at 15 s, then every 30 s. */
const SLOW_BUILD_FIRST_MS = 15_000;
const SLOW_BUILD_EVERY_MS = 30_000;

class SlowBuild {
  private last: string | undefined;
  private readonly t0 = performance.now();
  private timer: NodeJS.Timeout;

  constructor(private readonly log: Logger) {
    this.timer = setTimeout(() => this.say(), SLOW_BUILD_FIRST_MS);
    this.timer.unref();
  }

  line(text: string): void {
    if (text.trim() !== '') this.last = text.trim();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private say(): void {
    const s = Math.round((performance.now() - this.t0) / 1000);
    const last = this.last === undefined ? 'no output yet' : `its last line: ${this.last.slice(0, 200)}`;
    this.log.info({ event: 'build.still-running', seconds: s, lastLine: this.last }, `still building after ${s} s (${last})`);
    this.timer = setTimeout(() => this.say(), SLOW_BUILD_EVERY_MS);
    this.timer.unref();
  }
}

/**
 * A build that exits 0 without writing build.output failed: said as such, with the fix. A build.cmd
 * writes its binary elsewhere (`make build`, a `-o ./tmp/main`); a `go build` that does so is not Go's
 * go (a wrapper script first on PATH). Not a "gone" binary to build again (a loop of it), nor "build ok".
 */
function unwrittenOutput(res: BuildResult, o: JobBuildOptions): BuildResult & { unwritten?: true } {
  if (!res.ok) return res;
  // Known for the very file the app runs only: a combined build of apps writes a directory, then moves each binary.
  const changed = res.outputChanged?.output === o.binary ? res.outputChanged.changed : undefined;
  const last = lastWritten(o.binary, Date.now() - res.durationMs, changed);
  if (last === 'written') return res;
  const shown = path.relative(o.settings.root, o.binary) || o.binary;
  if (last !== 'missing' && o.settings.cmd !== undefined) {
    // An old binary there (a run without the config left it; make found its target up to date): it runs,
    // said at each build, and never called "the same binary" (that claims the change does not reach it).
    o.log.warn(
      { event: 'build.output-unwritten', output: o.binary, lastWrittenAt: new Date(last).toISOString() },
      `build.cmd exited 0 but did not write build.output (${shown}, last written ${new Date(last).toLocaleString()}, before this build): the app runs that old binary. If build.cmd writes its binary elsewhere, set build.output to that file; a make target writes nothing when it is 'up to date' (its rule must depend on the files you edit, or be .PHONY)`,
    );
    return { ...res, unwritten: true };
  }
  const note =
    o.settings.cmd === undefined
      ? `hotwatch: \`${res.command}\` exited 0 but did not write ${shown}${last === 'missing' ? '' : ' (what is there is older than this build)'}: the \`go\` it ran may not be Go's toolchain (command -v go; go version)`
      : `hotwatch: build.cmd exited 0 but did not write build.output (${shown}): make it write there, or set build.output to the file it writes`;
  return { ...res, ok: false, output: res.output.trim() ? `${res.output.trimEnd()}\n${note}` : note };
}

/**
 * Whether the build wrote `binary`: a build that writes it changes its ctime (go build rewrites its output
 * each time, even unchanged). `changed`: whether it changed since just before the spawn; when that is not
 * known (a build spawned at start-up, before it could be looked at), one changed last before the build
 * started (1 s of slack, for file systems with coarse times) was not written by it: a binary written less
 * than that before (the save just before, the run just before) passed for this build's. Else: the time it
 * was written, in epoch ms. 'missing': it is not there.
 */
function lastWritten(binary: string, buildStartedWall: number, changed: boolean | undefined): 'written' | 'missing' | number {
  let st: fs.Stats;
  try {
    st = fs.statSync(binary);
  } catch {
    return 'missing';
  }
  if (changed !== undefined) return changed ? 'written' : st.mtimeMs;
  return st.ctimeMs >= buildStartedWall - 1000 ? 'written' : st.mtimeMs;
}

function toOutcome(res: BuildResult): BuildOutcome {
  if (res.canceled) return { kind: 'canceled', durationMs: res.durationMs };
  if (res.ok) return { kind: 'ok', durationMs: res.durationMs };
  return { kind: 'failed', result: res };
}

/**
 * A failure is reported only when it is real: when files changed while the build ran (a checkout, a
 * generator still writing), it read a tree half-written, and the files as they are now build next.
 */
async function confirmFailure(
  outcome: Extract<BuildOutcome, { kind: 'failed' }>,
  since: number,
  o: JobBuildOptions,
): Promise<BuildOutcome> {
  if (!o.changedSince) return outcome;
  try {
    const changed = await o.changedSince(since);
    if (changed) return { kind: 'superseded', result: outcome.result, ...(changed === 'writing' ? { writing: true as const } : {}) };
  } catch (e) {
    o.log.debug({ event: 'build.changed-check-failed', err: e }, `could not tell whether files changed during the build: ${String(e)}`);
  }
  return outcome;
}

/** A good build says which binary it made: the same as the running app's needs no restart. */
async function withIdentity(outcome: Extract<BuildOutcome, { kind: 'ok' }>, binary: string): Promise<BuildOutcome> {
  const identity = await binaryIdentity(binary);
  return identity === undefined ? outcome : { ...outcome, identity };
}
