/**
 * Fires the test-only faults of HOTWATCH_TEST_FAULTS (faults.ts) once the watcher is first ready:
 * each logs `watchdog.fault` (warn) when it fires, so a test can time detection from it.
 */
import type { WatchControl } from '../backend.js';
import type { TestFaults } from './faults.js';
import type { HealthLog } from './health-log.js';

export function scheduleFaults(f: TestFaults | undefined, w: WatchControl, hl: HealthLog, signal: AbortSignal): void {
  if (!f) return;
  const at = (ms: number | undefined, name: string, fire: () => string | undefined): void => {
    if (ms === undefined) return;
    w.ready.then(
      () => {
        const t = setTimeout(() => {
          if (signal.aborted) return;
          const detail = fire();
          if (detail) hl.fault(name, detail);
          else hl.warn({ event: 'watchdog.fault', fault: name, applied: false }, `test-only fault ${name} not applied: the native watcher is not running`);
        }, ms);
        t.unref();
        signal.addEventListener('abort', () => clearTimeout(t), { once: true });
      },
      () => undefined, // not ready: no fault to inject
    );
  };
  at(f.deafenAfterMs, 'deafen-after', () => {
    const n = w.native();
    n?.inject('close-watches');
    return n && 'every inotify watch of the native watcher closed underneath it (it still believes it is armed)';
  });
  at(f.hangAfterMs, 'hang-after', () => {
    const n = w.native();
    n?.inject('hang');
    return n && 'the native watcher thread now busy-loops forever';
  });
}
