/**
 * Test-only fault injection for the built CLI, read ONLY when HOTWATCH_TEST_FAULTS is set (the suite in
 * test/faults/ uses it). "name=value" items separated by commas:
 *   deafen-after=<duration>  close every inotify watch of the native watcher underneath it (silent)
 *   hang-after=<duration>    busy-loop the native watcher thread forever
 *   rearm-fails=<n>          the next n re-arm attempts of the watchdog fail
 *   fallback-fails=<n>       the next n fallbacks to polling fail (with rearm-fails: no recovery works)
 *   drop-events=<name>       the native watcher drops every raw event for an entry of this name (a lost
 *                            create event, as in a kernel-queue overflow)
 * A bad item is an error (exit 2), never ignored. The watcher-thread faults fire once the watcher is
 * first ready, each logging `watchdog.fault` (warn) when it fires, so a test can time detection from it.
 */
import { HotwatchError } from '../../errors.js';
import { parseDuration } from '../../config/duration.js';
import type { WatchControl } from '../backend.js';
import type { WorkerFault } from '../native/protocol.js';
import type { HealthLog } from './health-log.js';

export interface TestFaults {
  deafenAfterMs?: number;
  hangAfterMs?: number;
  rearmFails?: number;
  fallbackFails?: number;
  dropEventsNamed?: string;
}

export const FAULTS_ENV = 'HOTWATCH_TEST_FAULTS';

const bad = (msg: string) =>
  new HotwatchError('FLAG_INVALID', `${FAULTS_ENV}: ${msg}`, {
    hint: 'use deafen-after=<duration>, hang-after=<duration>, rearm-fails=<n>, fallback-fails=<n>, drop-events=<name>, separated by commas (test-only)',
  });

/** Parses the variable's value; undefined when it is not set. Pure. */
export function parseFaults(value: string | undefined): TestFaults | undefined {
  if (value === undefined) return undefined;
  const out: TestFaults = {};
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = item.indexOf('=');
    if (eq < 0) throw bad(`"${item}" has no value (name=value)`);
    const name = item.slice(0, eq).trim();
    const v = item.slice(eq + 1).trim();
    if (name === 'deafen-after' || name === 'hang-after') {
      const ms = parseDuration(v);
      if (ms === undefined) throw bad(`${name}=${v}: not a duration (e.g. "3s", "500ms")`);
      if (name === 'deafen-after') out.deafenAfterMs = ms;
      else out.hangAfterMs = ms;
    } else if (name === 'drop-events') {
      if (!v || v.includes('/')) throw bad(`drop-events=${v}: expected a file or directory name`);
      out.dropEventsNamed = v;
    } else if (name === 'rearm-fails' || name === 'fallback-fails') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw bad(`${name}=${v}: expected a whole number`);
      if (name === 'rearm-fails') out.rearmFails = n;
      else out.fallbackFails = n;
    } else {
      throw bad(`unknown fault "${name}"`);
    }
  }
  return out;
}

/** The rearm-fails and fallback-fails faults: the next n re-arm attempts (and native retries), or fallbacks to polling, fail. */
export class FaultPlan {
  private rearmFailsLeft = 0;
  private fallbackFailsLeft = 0;

  /** The faults parsed from HOTWATCH_TEST_FAULTS (none: nothing fails). */
  load(f: TestFaults | undefined): void {
    this.rearmFailsLeft = f?.rearmFails ?? 0;
    this.fallbackFailsLeft = f?.fallbackFails ?? 0;
  }

  /** True when this fallback to polling must fail (one fewer left). */
  failFallback(): boolean {
    if (this.fallbackFailsLeft <= 0) return false;
    this.fallbackFailsLeft--;
    return true;
  }

  /** True when this attempt must fail (one fewer left). */
  failRearm(): boolean {
    if (this.rearmFailsLeft <= 0) return false;
    this.rearmFailsLeft--;
    return true;
  }
}

/** Fires deafen-after and hang-after in the native watcher thread, once the watcher is first ready. */
export function scheduleFaults(f: TestFaults | undefined, w: WatchControl, log: HealthLog, signal: AbortSignal): void {
  if (!f) return;
  const at = (ms: number | undefined, name: string, fault: WorkerFault, detail: string): void => {
    if (ms === undefined) return;
    w.ready.then(
      () => {
        const t = setTimeout(() => {
          if (signal.aborted) return;
          if (w.inject(fault)) log.fault(name, detail);
          else
            log.warn(
              { event: 'watchdog.fault', fault: name, applied: false },
              `test-only fault ${name} not applied: the native watcher is not running`,
            );
        }, ms);
        t.unref();
        signal.addEventListener('abort', () => clearTimeout(t), { once: true });
      },
      () => undefined, // not ready: no fault to inject
    );
  };
  at(
    f.deafenAfterMs,
    'deafen-after',
    'close-watches',
    'every inotify watch of the native watcher closed underneath it (it still believes it is armed)',
  );
  at(
    f.hangAfterMs,
    'hang-after',
    'hang',
    'the native watcher now hangs (its inotify helper is stopped; with HOTWATCH_ENGINE_THREAD=worker, its thread busy-loops)',
  );
}
