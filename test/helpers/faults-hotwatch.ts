/**
 * Runs the built CLI for the fault cases, optionally behind a wrapper command (`unshare -Urm sh -c ...`),
 * and kills everything a case started.
 */
import { pidsWithEnvMarker, startHotwatch, type Hotwatch } from './hotwatch.js';
import { isAlive, waitFor } from './wait.js';
import type { FaultApp } from './faults-app.js';

export interface StartOptions {
  /** Command placed in front of `node bin/hotwatch.js run ...` (e.g. from nsWrap). */
  wrap?: string[];
  /** Extra flags for `hotwatch run` (the config and JSON logs are always passed). */
  args?: string[];
  env?: Record<string, string>;
}

/** Starts `hotwatch run --log-format json --config <app.config>` in app.root, with the app's marker. */
export function startWrapped(app: FaultApp, opts: StartOptions = {}): Hotwatch {
  const hw = startHotwatch(['--config', app.config, ...(opts.args ?? [])], {
    cwd: app.root,
    env: { ...app.env, ...opts.env },
    wrap: opts.wrap,
    waitTimeoutMs: 45_000,
  });
  app.logTail = () => hw.stderr().slice(-4000);
  return hw;
}

/**
 * Ends a case: SIGCONT + SIGTERM hotwatch (bounded, then SIGKILL), then SIGKILL every process still
 * carrying the case's marker (the app, builds, namespace helpers), and waits until none is left.
 */
export async function stopEverything(hw: Hotwatch | undefined, app: FaultApp): Promise<void> {
  if (hw) await hw.stop('SIGTERM');
  for (const pid of pidsWithEnvMarker('FAULTS_MARKER', app.marker)) {
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await waitFor(() => pidsWithEnvMarker('FAULTS_MARKER', app.marker).every((p) => !isAlive(p)), {
    description: `every process of this case (marker ${app.marker}) is gone`,
    timeoutMs: 10_000,
  });
}
