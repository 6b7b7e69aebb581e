/**
 * Test-only hooks of the built CLI outside the watcher, read ONLY when HOTWATCH_TEST_FAULTS is set (the
 * convention of src/watch/watchdog/faults.ts, which owns that variable's items; these are separate
 * variables so the watcher's parser stays untouched):
 *   HOTWATCH_TEST_CLAIM_DELAY=<duration>  wait this long inside the claim on a root, after deciding it is
 *                                         free and before recording it (widens a race on purpose)
 *   HOTWATCH_TEST_ARMING_GATE=<file>      the watches are armed only once this file exists
 *   HOTWATCH_TEST_STARTUP_GATE=<file>     the start-up waits after the first build's early spawn until
 *                                         this file exists
 *   HOTWATCH_TEST_REMEMBERED_GATE=<file>  bin/hotwatch.js waits after the remembered first build's spawn
 *                                         until this file exists
 * A bad value is an error (exit 2), never ignored.
 */
import { parseDuration } from './config/duration.js';
import { HotwatchError } from './errors.js';
import { FAULTS_ENV } from './watch/watchdog/faults.js';

export const CLAIM_DELAY_ENV = 'HOTWATCH_TEST_CLAIM_DELAY';

/** Milliseconds of the claim's widened window (0 unless testing). */
export function claimDelayMs(env: NodeJS.ProcessEnv = process.env): number {
  if (env[FAULTS_ENV] === undefined) return 0;
  const v = env[CLAIM_DELAY_ENV];
  if (v === undefined || v === '') return 0;
  const ms = parseDuration(v);
  if (ms === undefined) {
    throw new HotwatchError('FLAG_INVALID', `${CLAIM_DELAY_ENV}=${v}: not a duration (e.g. "2s", "500ms")`, {
      hint: 'test-only: unset it, or give a duration',
    });
  }
  return ms;
}

export const ARMING_GATE_ENV = 'HOTWATCH_TEST_ARMING_GATE';

/**
 * HOTWATCH_TEST_ARMING_GATE=<file>: the watches are armed only once this file exists (looked for every
 * 50 ms), so a test can change the tree while the first build runs and nothing watches it yet. Resolves at
 * once unless testing; when `signal` aborts, it rejects with its reason, as the arming's own steps do
 * (a Ctrl-C during the arming reaches the runtime as a rejected start-up step).
 */
export async function armingGate(signal: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await gateFile(ARMING_GATE_ENV, signal, env);
  signal.throwIfAborted();
}

/** When testing and `gateEnv` names a file: until that file exists (looked for every 50 ms) or `signal` aborts. */
async function gateFile(gateEnv: string, signal: AbortSignal, env: NodeJS.ProcessEnv): Promise<void> {
  if (env[FAULTS_ENV] === undefined) return;
  const file = env[gateEnv];
  if (file === undefined || file === '') return;
  const { existsSync } = await import('node:fs');
  while (!existsSync(file) && !signal.aborted) await new Promise((r) => setTimeout(r, 50));
}

export const STARTUP_GATE_ENV = 'HOTWATCH_TEST_STARTUP_GATE';

/**
 * HOTWATCH_TEST_STARTUP_GATE=<file>: the start-up waits, right after the first build was spawned early
 * (startup/early-build.ts) and before the rest of hotwatch loads, until this file exists (looked for every
 * 50 ms): a test can make the start-up fail, or stop hotwatch, while that build runs unadopted. Resolves
 * at once unless testing; stops waiting when `signal` aborts.
 */
export function startupGate(signal: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return gateFile(STARTUP_GATE_ENV, signal, env);
}

export const REMEMBERED_GATE_ENV = 'HOTWATCH_TEST_REMEMBERED_GATE';

/**
 * HOTWATCH_TEST_REMEMBERED_GATE=<file>: bin/hotwatch.js waits, right after it spawned the remembered first
 * build (startup/remembered-build.ts) and before anything else of hotwatch loads, until this file exists
 * (looked for every 50 ms): a test can signal hotwatch in the window where only that build exists.
 * Resolves at once unless testing.
 */
export function rememberedGate(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return gateFile(REMEMBERED_GATE_ENV, new AbortController().signal, env);
}
