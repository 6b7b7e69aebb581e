/**
 * The start-up's marks (src/startup/timings.ts): each mark keeps its first wall-clock time and the process's
 * CPU time then, so a slow start on a loaded machine (waiting) can be told apart from a heavy one (work).
 * Fake clocks: this is the pure bookkeeping; the real line is checked in test/e2e/first-build.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { StartupTimings } from '../../src/startup/timings.js';

describe('StartupTimings', () => {
  it('records wall clock and CPU time per mark, the first call of each name only', () => {
    let wall = 10;
    let cpu = 5;
    const t = new StartupTimings(
      () => wall,
      () => cpu,
    );
    t.mark('modules');
    wall = 40.4;
    cpu = 30.6;
    t.mark('build');
    wall = 90;
    cpu = 50;
    t.mark('build'); // a later call is a no-op
    t.mark('ready');
    expect(t.fields()).toMatchObject({ modules: 10, build: 40, ready: 90 });
    expect(t.cpuFields()).toEqual({ modules: 5, build: 31, ready: 50 });
    expect(Object.keys(t.cpuFields())).toEqual(['modules', 'build', 'ready']);
  });

  it('reads the real process CPU time by default, and it only grows', () => {
    const t = new StartupTimings();
    t.mark('modules');
    let x = 0;
    for (let i = 0; i < 2e6; i++) x += i % 7;
    expect(x).toBeGreaterThan(0);
    t.mark('ready');
    const c = t.cpuFields();
    expect(c.modules).toBeGreaterThan(0);
    expect(c.ready).toBeGreaterThanOrEqual(c.modules!);
  });
});
