/** The pace of the periodic checks on a quiet tree, and the timer they share (issue 19; pure, fake clock where it can be). */
import { describe, expect, it } from 'vitest';
import { QuietPace } from '../../src/watch/pace/quiet-pace.js';
import { alignedDelay, WakeTimer } from '../../src/watch/pace/wake-timer.js';

describe('QuietPace', () => {
  it('stays at its base while the tree was busy less than quietAfterMs ago, then the first clean round goes to max at once', () => {
    const p = new QuietPace(1000, 30_000, 10_000, 0);
    p.clean(5000);
    expect(p.everyMs, 'busy 5 s ago: base').toBe(1000);
    expect(p.quiet).toBe(false);
    const seen: number[] = [];
    for (let t = 10_000; seen.length < 7; t += 1000) {
      p.clean(t);
      seen.push(p.everyMs);
    }
    expect(seen).toEqual([30_000, 30_000, 30_000, 30_000, 30_000, 30_000, 30_000]);
    expect(p.quiet).toBe(true);
  });

  it('activity or an anomaly: the base at once, and wake() says it was slowed down (the caller checks now)', () => {
    const p = new QuietPace(1000, 30_000, 10_000, 0);
    expect(p.wake(1), 'not slowed down').toBe(false);
    for (let t = 20_000; t < 30_000; t += 1000) p.clean(t);
    expect(p.wake(31_000)).toBe(true);
    expect(p.everyMs).toBe(1000);
    p.clean(32_000);
    expect(p.everyMs, 'quiet again only quietAfterMs after the wake').toBe(1000);
    p.clean(41_000);
    expect(p.everyMs).toBe(30_000);
  });

  it('a max below the base keeps the base (tests shrink intervals)', () => {
    const p = new QuietPace(50_000, 30_000, 0, 0);
    p.clean(1);
    expect(p.everyMs).toBe(50_000);
  });
});

describe('WakeTimer', () => {
  it('rounds long waits up to whole seconds of wall time, keeps short ones exact', () => {
    const now = performance.now();
    expect(alignedDelay(500, now)).toBe(500);
    const d = alignedDelay(5000, now);
    expect(d).toBeGreaterThanOrEqual(5000);
    expect(d).toBeLessThan(6000);
    expect(Math.round(performance.timeOrigin + now + d) % 1000).toBe(0);
  });

  it('long waits due in the same second fire in the same turn of the event loop; cancel and atMost work', async () => {
    const fired: Array<[string, number]> = [];
    const a = new WakeTimer((planned) => fired.push(['a', planned]));
    const b = new WakeTimer((planned) => fired.push(['b', planned]));
    const c = new WakeTimer(() => fired.push(['c', 0]));
    const now = performance.now();
    // Two due times within one second of wall time, both 2 s or more ahead (the grid's threshold).
    const second = Math.ceil((performance.timeOrigin + now + 2500) / 1000) * 1000 - performance.timeOrigin;
    a.set(second - 400, now);
    b.set(second - 100, now);
    c.set(second - 400, now);
    c.cancel();
    expect(a.dueAt).toBe(b.dueAt); // both rounded to the same second
    const short = new WakeTimer(() => fired.push(['short', performance.now()]));
    short.set(now + 10_000, now);
    short.atMost(now + 20, now);
    short.atMost(now + 60_000, now); // later: ignored
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, second - performance.now() + 800)); // the grid second, and some
    expect(fired.map(([n]) => n)).toEqual(['short', 'a', 'b']);
    expect(fired[0]![1] - t0).toBeLessThan(1500);
    expect(fired[1]![1]).toBe(fired[2]![1]);
    expect(a.dueAt).toBe(Number.POSITIVE_INFINITY);
  }, 15_000);
});
