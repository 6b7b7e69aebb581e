/**
 * V8's memory reducer stays asleep in `hotwatch run` (src/heap-reducer.ts, issue 19): a real node process
 * loads the built heap setting as bin/hotwatch.js does, grows its old generation (what arms the reducer),
 * makes a full collection, then idles past the reducer's delays; V8's own trace says which collections ran. The same process
 * without the setting is the control: it shows the reducer's collection, so the check can fail.
 * Asleep also means no timer: an armed reducer that may not collect re-arms its 8 s timer forever, so the
 * idle main thread's context switches (/proc, that thread only) are counted against a control with only
 * the old half of the setting (`--no-incremental-marking`), which wakes every 8 s.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/hotwatch.js';

const HEAP = path.join(REPO, 'dist/bundle/heap.js');

/** stdout of a node that (optionally) applies the run's heap setting, allocates a burst, then idles `idleMs`. */
function traceGc(applySetting: boolean | 'incremental-only', idleMs: number, countWakeups = false): Promise<string> {
  const setting =
    applySetting === 'incremental-only'
      ? `v8.setFlagsFromString('--no-incremental-marking');`
      : applySetting
        ? `(await import(${JSON.stringify(HEAP)})).keepYoungGenerationSmall();`
        : '';
  const script = `
    const v8 = await import('node:v8');
    const vm = await import('node:vm');
    const fs = await import('node:fs');
    ${setting}
    v8.setFlagsFromString('--trace-gc');
    const keep = [];
    for (let i = 0; i < 400000; i++) { const o = { i, s: 'x' + i }; if (i % 2 === 0) keep.push(o); }
    // A full collection, as the IdleCollector makes after a burst: what arms the reducer in hotwatch.
    v8.setFlagsFromString('--expose-gc');
    vm.runInNewContext('gc')();
    ${
      countWakeups
        ? `// The main thread's wake-ups from 6 s into the idle spell (the start-up's compiler check ends at 5 s) to its end.
    // Voluntary switches only: each is the thread going back to sleep after a wake-up. Involuntary ones are
    // preemptions by other load (the control runs beside it), which said nothing about this thread's timers.
    const switches = () => Number(/^voluntary_ctxt_switches:\\s+(\\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
    let from = 0;
    setTimeout(() => { from = switches(); }, 6000);
    setTimeout(() => console.log('idle done', keep.length, 'wakeups', switches() - from), ${idleMs});`
        : `setTimeout(() => console.log('idle done', keep.length), ${idleMs});`
    }
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`node exited ${code}: ${err}`))));
  });
}

describe('memory reducer asleep in run (real V8 trace)', () => {
  it('no reducing collection while idle with the setting; the control shows one', async () => {
    // The reducer waits 8 s after the last full collection, 8 s more each time it still sees an allocation
    // rate or a busy machine: 34 s gives it four rounds (20 s, two rounds, once missed it under the full suite).
    const [withSetting, control] = await Promise.all([traceGc(true, 34_000), traceGc(false, 34_000)]);
    expect(withSetting).toContain('idle done');
    expect(control).toContain('idle done');
    expect(control, 'the control: V8 reduces memory once idle').toMatch(/Mark-Compact \(reduce\)/);
    expect(withSetting, 'no collection of the memory reducer').not.toMatch(/\(reduce\)/);
  });

  it.runIf(process.platform === 'linux')('the idle main thread does not wake for the reducer; the control wakes every 8 s', async () => {
    const wakeups = (out: string) => Number(/wakeups (\d+)/.exec(out)?.[1] ?? Number.NaN);
    const [withSetting, control] = await Promise.all([traceGc(true, 26_000, true), traceGc('incremental-only', 26_000, true)]);
    // The control's reducer wakes at least twice in 20 s (each wake is an eventfd round trip: 2+ switches).
    expect(wakeups(control), control).toBeGreaterThanOrEqual(2);
    // With the setting nothing is due in the window but the test's own last timer (its wake is counted before it).
    expect(wakeups(withSetting), withSetting).toBeLessThanOrEqual(1);
  });
});
