/**
 * Test-only fault injection for the built CLI, read ONLY when HOTWATCH_TEST_FAULTS is set (the suite in
 * test/faults/ uses it). "name=value" items separated by commas:
 *   deafen-after=<duration>  close every inotify watch of the native watcher underneath it (silent)
 *   hang-after=<duration>    busy-loop the native watcher thread forever
 *   rearm-fails=<n>          the next n re-arm attempts of the watchdog fail
 *   drop-events=<name>       the native watcher drops every raw event for an entry of this name (a lost
 *                            create event, as in a kernel-queue overflow)
 * A bad item is an error (exit 2), never ignored.
 */
import { HotwatchError } from '../../errors.js';
import { parseDuration } from '../../config/duration.js';

export interface TestFaults {
  deafenAfterMs?: number;
  hangAfterMs?: number;
  rearmFails?: number;
  dropEventsNamed?: string;
}

export const FAULTS_ENV = 'HOTWATCH_TEST_FAULTS';

const bad = (msg: string) =>
  new HotwatchError('FLAG_INVALID', `${FAULTS_ENV}: ${msg}`, {
    hint: 'use deafen-after=<duration>, hang-after=<duration>, rearm-fails=<n>, drop-events=<name>, separated by commas (test-only)',
  });

/** Parses the variable's value; undefined when it is not set. Pure. */
export function parseFaults(value: string | undefined): TestFaults | undefined {
  if (value === undefined) return undefined;
  const out: TestFaults = {};
  for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
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
    } else if (name === 'rearm-fails') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw bad(`rearm-fails=${v}: expected a whole number`);
      out.rearmFails = n;
    } else {
      throw bad(`unknown fault "${name}"`);
    }
  }
  return out;
}
