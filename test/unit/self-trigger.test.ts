/** The self-triggering build guard (src/supervisor/self-trigger.ts): pure, times given. */
import { describe, expect, it } from 'vitest';
import { SelfTriggerGuard } from '../../src/supervisor/self-trigger.js';

/** One cycle: build from t to t+400, app starts at t+410; returns the next free time. */
function cycle(g: SelfTriggerGuard, t: number): number {
  g.buildStarted(t);
  g.buildEnded(t + 400);
  g.appStarted(t + 410);
  return t + 410;
}

describe('SelfTriggerGuard', () => {
  it('an app writing the same file 5 ms after each start: a loop after 5 cycles, named once, then held', () => {
    const g = new SelfTriggerGuard({ afterStartMs: 1000, cycles: 5 });
    let t = 0;
    const verdicts = [];
    for (let i = 0; i < 5; i++) {
      t = cycle(g, t);
      verdicts.push(g.judge(['/r/gen.go'], t + 5));
      t += 60;
    }
    expect(verdicts.slice(0, 4).every((v) => v.kind === 'build')).toBe(true);
    expect(verdicts[4]).toEqual({ kind: 'loop', files: ['/r/gen.go'], cycles: 5 });
    expect(g.judge(['/r/gen.go'], t - 50)).toEqual({ kind: 'held', files: ['/r/gen.go'] }); // written again by that start
    expect(g.judge(['/r/gen.go'], t + 10_000)).toEqual({ kind: 'build' }); // a person's edit, long after any start
  });

  it('a build step writing during the build counts too', () => {
    const g = new SelfTriggerGuard({ afterStartMs: 1000, cycles: 3 });
    let t = 0;
    let v;
    for (let i = 0; i < 3; i++) {
      g.buildStarted(t);
      v = g.judge(['/r/zz_generated.go', '/r/other.go'].slice(0, i === 1 ? 2 : 1), t + 100); // written mid-build
      g.buildEnded(t + 400);
      g.appStarted(t + 410);
      t += 1000;
    }
    expect(v).toEqual({ kind: 'loop', files: ['/r/zz_generated.go'], cycles: 3 });
  });

  it('an edit of anything else builds; the loop file its cycle writes stays held; edited by hand later, it builds', () => {
    const g = new SelfTriggerGuard({ afterStartMs: 1000, cycles: 2 });
    let t = cycle(g, 0);
    g.judge(['/r/gen.go'], t + 5);
    t = cycle(g, t + 100);
    expect(g.judge(['/r/gen.go'], t + 5).kind).toBe('loop');
    expect(g.judge(['/r/main.go', '/r/gen.go'], t + 50_000)).toEqual({ kind: 'build' });
    t = cycle(g, t + 50_100);
    // The log said "no more builds for it": the loop does not start over after each edit of main.go.
    expect(g.judge(['/r/gen.go'], t + 5)).toEqual({ kind: 'held', files: ['/r/gen.go'] });
    expect(g.judge(['/r/gen.go'], t + 60_000)).toEqual({ kind: 'build' }); // a person's edit, long after the cycle
  });

  it('a second loop among other files is found after the first, and only its files are named', () => {
    const g = new SelfTriggerGuard({ afterStartMs: 1000, cycles: 2 });
    let t = cycle(g, 0);
    g.judge(['/r/gen.go'], t + 5);
    t = cycle(g, t + 100);
    expect(g.judge(['/r/gen.go'], t + 5).kind).toBe('loop');
    t = cycle(g, t + 100);
    expect(g.judge(['/r/gen.go', '/r/stamp.go'], t + 5)).toEqual({ kind: 'build' });
    t = cycle(g, t + 100);
    expect(g.judge(['/r/gen.go', '/r/stamp.go'], t + 5)).toEqual({ kind: 'loop', files: ['/r/stamp.go'], cycles: 2 });
    t = cycle(g, t + 100);
    expect(g.judge(['/r/gen.go', '/r/stamp.go'], t + 5).kind).toBe('held');
  });

  it('a person saving the same file long after each start is never a loop', () => {
    const g = new SelfTriggerGuard({ afterStartMs: 1000, cycles: 3 });
    let t = 0;
    for (let i = 0; i < 20; i++) {
      t = cycle(g, t);
      expect(g.judge(['/r/main.go'], t + 2500).kind).toBe('build');
      t += 3000;
    }
  });

  it('different files each cycle (a person editing around) break the run', () => {
    const g = new SelfTriggerGuard({ afterStartMs: 1000, cycles: 3 });
    let t = 0;
    for (const f of ['/r/a.go', '/r/b.go', '/r/c.go', '/r/d.go']) {
      t = cycle(g, t);
      expect(g.judge([f], t + 200).kind).toBe('build');
      t += 300;
    }
  });

  it('a change before the build started is not caused by it', () => {
    const g = new SelfTriggerGuard({ afterStartMs: 1000, cycles: 1 });
    g.buildStarted(1000);
    expect(g.judge(['/r/a.go'], 999).kind).toBe('build');
    expect(g.judge(['/r/a.go'], 1001).kind).toBe('loop');
  });
});
