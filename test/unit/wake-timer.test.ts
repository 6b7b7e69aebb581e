/**
 * The shared grid of long waits (src/watch/pace/wake-timer.ts, issue 19): a long wait may end early at an
 * instant the grid already wakes for, up to half the wait, so quiet checks of different phases share one
 * wake-up; never later than asked (rounded up to the next whole second); and a timer set again by another
 * one of the same wake does not also run at the old instant. Real timers (a few seconds), because the grid
 * is Node's own timer and the point is how many times it wakes.
 */
import { describe, expect, it } from 'vitest';
import { WakeTimer } from '../../src/watch/pace/wake-timer.js';

interface Fired {
  at: number;
  plannedAt: number;
}

function timer(): { t: WakeTimer; fired: Promise<Fired> } {
  let resolve!: (f: Fired) => void;
  const fired = new Promise<Fired>((r) => (resolve = r));
  const t = new WakeTimer((plannedAt) => resolve({ at: performance.now(), plannedAt }));
  return { t, fired };
}

describe('WakeTimer on the shared grid (real timers)', () => {
  it('a long wait shares an earlier wake already on the grid within half of it, and is told the time it asked for', async () => {
    const a = timer();
    const b = timer();
    const now = performance.now();
    a.t.set(now + 3000, now);
    b.t.set(now + 4500, now); // a's wake (within 3–4 s) lies in b's last half: shared
    expect(b.t.dueAt).toBe(a.t.dueAt);
    const [fa, fb] = await Promise.all([a.fired, b.fired]);
    expect(fa.at).toBeGreaterThanOrEqual(now + 3000 - 5);
    expect(Math.abs(fb.at - fa.at), 'one wake-up for both').toBeLessThan(50);
    expect(fb.at, 'b ran early').toBeLessThan(now + 4500);
    expect(fb.plannedAt, 'b is told the time it asked for: its checks count as due').toBeGreaterThanOrEqual(now + 4500);
  });

  it('a wait whose last half holds no wake of the grid keeps its own time (rounded up to the second), never earlier', async () => {
    const a = timer();
    const b = timer();
    const now = performance.now();
    a.t.set(now + 2000, now);
    b.t.set(now + 6500, now); // its last half starts at +3.25 s, after a's wake (+2–3 s): not shared
    expect(b.t.dueAt).toBeGreaterThanOrEqual(now + 6500);
    const fb = await b.fired;
    expect(fb.at).toBeGreaterThanOrEqual(now + 6500 - 5);
    expect(fb.at).toBeLessThan(now + 6500 + 1000 + 500);
    await a.fired;
  });

  it('a timer that another one of the same wake sets again does not also run at the old instant', async () => {
    let bRuns = 0;
    const b = new WakeTimer(() => bRuns++);
    const a = new WakeTimer(() => b.set(performance.now() + 10_000)); // as the sentinel round's ping moves the heartbeat's
    const now = performance.now();
    a.set(now + 2500, now);
    b.set(now + 2500, now);
    expect(b.dueAt).toBe(a.dueAt);
    await new Promise((r) => setTimeout(r, a.dueAt - performance.now() + 300));
    expect(bRuns, 'b was moved to later by a before its turn').toBe(0);
    expect(b.dueAt).toBeGreaterThan(performance.now() + 8000);
    b.cancel();
  });

  it('short waits stay exact and off the grid', async () => {
    const a = timer();
    const now = performance.now();
    a.t.set(now + 300, now);
    expect(a.t.dueAt).toBe(now + 300);
    const fa = await a.fired;
    expect(fa.at).toBeGreaterThanOrEqual(now + 295);
  });
});
