/**
 * The remembered first build: `hotwatch run`, run again with the same flags in the same directory, spawns
 * the first build from the plan the last run kept (first-build-plan.ts) as soon as node has started:
 * before the config is read, before the rest of hotwatch loads (bin/hotwatch.js). Issue 19: launch →
 * first build start was ~133 ms, ~60 ms of it node's own start and most of the rest loading and
 * checking the config, which a build of unchanged inputs need not wait for.
 *
 * Nothing is given up for it:
 * - the root is claimed first (the lock of root-lock.ts, handed to the start-up's claim): a second
 *   hotwatch on a root in use spawns nothing, and the start-up names the holder as always;
 * - the output path is made safe as runBuild makes it (output-path.ts);
 * - the start-up then runs whole (config, checks, claim) and adopts this build only when it is exactly
 *   the one it would spawn now (early-build.ts); otherwise it is stopped, whole tree, and waited for,
 *   before the right one is spawned; when the start-up ends in an error (exit 2) it is stopped the same
 *   way, so nothing is left running;
 * - not under a service manager (NOTIFY_SOCKET, WATCHDOG_USEC) or as PID 1: those start-ups differ.
 * A plan that cannot be used is a miss, said at debug level once the logger exists; the start-up goes on
 * as if there were none.
 */
import type { Settings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import { lockRoot, type HeldLock } from '../root-lock.js';
import { buildCommand } from '../supervisor/build.js';
import { STOP_SIGNALS } from '../os/stop-signals.js';
import { EarlyBuild } from './early-build.js';
import { HeldSignals } from './held-signals.js';
import { rememberedGate } from '../test-hooks.js';
import { defaultPlan } from './default-plan.js';
import { readPlan, writePlan, type FirstBuildPlan, type PlanPlace } from './first-build-plan.js';

export interface RememberedBuild {
  /** The root the plan was for, claimed (the lock is the start-up's to keep or release). */
  root: string;
  lock: HeldLock;
  early: EarlyBuild;
  /** Stop signals since the spawn: handed to the start-up's handlers once they exist. */
  signals: HeldSignals;
  /** Its plan: kept by the last run with these flags here, or the defaults' (no config, no flag that matters). */
  from: 'kept' | 'defaults';
}

/** No plan kept yet: the defaults' build, when no config or flag can change it (default-plan.ts). */
function defaultFound(place: PlanPlace): { plan: FirstBuildPlan; from: 'defaults' } | undefined {
  const plan = defaultPlan(place);
  return plan && { plan, from: 'defaults' };
}

/** What bin/hotwatch.js hands the start-up: the build spawned, or why none was (undefined: no plan kept). */
export type RememberedStart = { build: RememberedBuild } | { miss: string } | undefined;

/** Spawns the first build remembered for these flags here, when its plan still applies. Never throws. */
export async function startRememberedBuild(place: PlanPlace): Promise<RememberedStart> {
  if (process.pid === 1 || place.env.NOTIFY_SOCKET !== undefined || place.env.WATCHDOG_USEC !== undefined) return undefined;
  let lock: HeldLock | undefined;
  let signals: HeldSignals | undefined;
  let early: EarlyBuild | undefined;
  try {
    const kept = readPlan(place);
    // None kept (or it no longer applies, as after an upgrade): the defaults' build when nothing can change it.
    const found = kept !== undefined && 'plan' in kept ? kept : (defaultFound(place) ?? kept);
    if (found === undefined || 'miss' in found) return found;
    const { plan, from } = found;
    // Held by another hotwatch: given up at once (no waiting for its answer); the start-up names it.
    const got = await lockRoot(plan.root, { noRetry: true });
    if (!('release' in got)) return { miss: `the root ${plan.root} could not be claimed first` };
    lock = got;
    signals = new HeldSignals(STOP_SIGNALS);
    early = EarlyBuild.spawn(plan.root, plan.output, {
      file: plan.file,
      args: plan.args,
      cwd: plan.root,
      env: { ...place.env, ...plan.buildEnv },
    });
    if (!early) throw new Error(`the output path ${plan.output} could not be made safe`);
    await rememberedGate(place.env); // test-only: a window where only that build exists
    return { build: { root: plan.root, lock, early, signals, from } };
  } catch (e) {
    // Nothing of it is left: the build (if spawned) stopped and waited for, the signals handed back, the lock freed.
    signals?.handOver();
    await early?.abandon();
    lock?.release();
    return { miss: `the remembered first build could not be started: ${(e as Error).message}` };
  }
}

/**
 * Keeps the first build `early` spawned for `s` for the next run with these flags here. `configInput` is
 * the config file the settings were read from, or where it was looked for.
 */
export function rememberFirstBuild(place: PlanPlace, s: Settings, configInput: string, rootAs: string): void {
  const { file, args } = buildCommand(s.build);
  writePlan(place, { root: s.root, rootAs, output: s.build.output, file, args, buildEnv: { ...s.build.env }, inputs: [configInput] });
}

/**
 * The start-up's side, once the settings exist: the remembered build when it is exactly the one for `s`
 * (else stopped, whole tree, and waited for), and the root's lock when it is `s.root`'s (else released).
 */
export async function takeRemembered(start: RememberedStart, s: Settings): Promise<{ early?: EarlyBuild; lock?: HeldLock }> {
  if (start === undefined || 'miss' in start) return {};
  const { root, lock, early } = start.build;
  const sameRoot = root === s.root;
  if (sameRoot && early.isFor(s)) return { early, lock };
  await early.abandon();
  if (sameRoot) return { lock };
  lock.release();
  return {};
}

/**
 * Said once the logger exists (debug): whether the first build came from the plan, and why not. A first
 * build spawned by this start-up is remembered for the next one; a plan that cannot be written is said.
 */
export function settleRemembered(
  log: Logger,
  start: RememberedStart,
  early: EarlyBuild | undefined,
  remember: { place: PlanPlace; settings: Settings; configInput: string; rootAs: string },
): void {
  if (start !== undefined && 'build' in start && start.build.early === early) {
    const from = start.build.from === 'kept' ? 'the plan the last run here kept' : 'the defaults (no config, no flag that changes it)';
    log.debug(
      { event: 'build.remembered', from: start.build.from, spawnedAtMs: Math.round(early.startedAt) },
      `the first build was spawned from ${from}, ${Math.round(early.startedAt)} ms after launch`,
    );
    if (start.build.from === 'kept') return;
  } else if (start !== undefined) {
    const why = 'miss' in start ? start.miss : 'it was not the build these settings ask for: stopped';
    log.debug({ event: 'build.remembered-miss', why }, `the first build remembered here was not used: ${why}`);
  }
  if (!early) return; // a plan from the defaults is kept too: the next run reads it instead of the directory
  try {
    rememberFirstBuild(remember.place, remember.settings, remember.configInput, remember.rootAs);
  } catch (e) {
    log.debug(
      { event: 'build.remembered-unsaved', err: e },
      `the first build's plan was not kept for the next run: ${(e as Error).message}`,
    );
  }
}
