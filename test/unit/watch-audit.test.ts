/** The coverage audit's pacing (pure: a fake clock; no watches are read, none are held). */
import { describe, expect, it } from 'vitest';
import { COST_READINGS, QUIET_COST_FACTOR, QUIET_STRETCH_MAX, WatchAudit } from '../../src/watch/native/engine/coverage/audit.js';
import { QUIET_AFTER_MS } from '../../src/watch/pace/quiet-pace.js';

function audit() {
  let t = 0;
  const a = new WatchAudit(150, () => t);
  return {
    a,
    at: (ms: number) => (t = ms),
    /** An unforced reading at the current time that takes `costMs`, on a busy tree (an event just before): whether it was fresh (measured). */
    read: (costMs: number) => {
      a.activity(t);
      return a.read(() => ((t += costMs), 3), false).fresh;
    },
  };
}

describe('WatchAudit pacing', () => {
  it('waits 1000× a read’s cost, and one descheduled read does not put the audits off', () => {
    const x = audit();
    expect(x.read(2)).toBe(true);
    expect(x.a.dueAt).toBe(2000);
    x.at(1999);
    expect(x.read(2), 'not due yet').toBe(false);
    x.at(2000);
    expect(x.read(40)).toBe(true); // this read was descheduled: 40 ms
    expect(x.a.dueAt, 'paced by the least recent cost, not the last').toBe(2000 + 2000);
  });

  it('a read that stays slow does slow the audits, once the fast ones are past', () => {
    const x = audit();
    expect(x.read(1)).toBe(true);
    let last = 0;
    for (let i = 0; i < COST_READINGS; i++) {
      last = x.a.dueAt;
      x.at(last);
      expect(x.read(10)).toBe(true);
      expect(x.a.dueAt - last, `after ${i + 1} slow reads`).toBe(i + 1 < COST_READINGS ? 1000 : 10_000);
    }
  });

  it('never more often than the minimum interval', () => {
    const x = audit();
    expect(x.read(0)).toBe(true);
    expect(x.a.dueAt).toBe(150);
  });

  it('on a quiet tree each full count doubles the wait, up to QUIET_STRETCH_MAX; an event brings the base wait back', () => {
    let t = 0;
    const a = new WatchAudit(1000, () => t);
    a.useProcess(process.pid); // this process's own inotify table: the count is real (a full one for 0 directories)
    const waits: number[] = [];
    const readAt = (ms: number) => {
      t = ms;
      const before = a.dueAt;
      expect(a.read(() => 0, false).fresh, `due at ${before}`).toBe(true);
      waits.push(a.dueAt - t);
    };
    readAt(0);
    expect(waits[0], 'busy less than QUIET_AFTER_MS ago: the base wait').toBe(1000);
    readAt(QUIET_AFTER_MS);
    for (let i = 0; i < 5; i++) readAt(a.dueAt);
    expect(waits.slice(1)).toEqual([2000, 4000, 8000, 1000 * QUIET_STRETCH_MAX, 1000 * QUIET_STRETCH_MAX, 1000 * QUIET_STRETCH_MAX]);
    a.activity(t);
    expect(a.dueAt - t, 'an event: the base wait again').toBe(1000);
  });
});

describe('WatchAudit on a quiet tree where a count is costly (a 10,000-watch table)', () => {
  it('waits QUIET_COST_FACTOR × the cost, up to the 8× cap, from the first quiet count; an event brings the base wait back', () => {
    let t = 0;
    let step = 0; // while a read runs, each clock() call advances this much: the read's measured cost
    const a = new WatchAudit(1000, () => (t += step));
    a.useProcess(process.pid);
    step = 15; // the read's two clock() calls: 15 ms apart, a count that cost 15 ms
    expect(a.read(() => 0, true).fresh).toBe(true);
    step = 0;
    const cost = 15; // the clock advanced 15 ms between the read's two calls
    const lastAt = t - cost;
    expect(a.dueAt - lastAt, 'busy (an event less than QUIET_AFTER_MS ago): 1000× the cost').toBe(1000 * cost);
    t = lastAt + QUIET_AFTER_MS;
    expect(a.dueAt - lastAt, 'quiet: QUIET_COST_FACTOR × the cost, at most 8× the base wait').toBe(
      Math.min(cost * QUIET_COST_FACTOR, 1000 * cost * QUIET_STRETCH_MAX),
    );
    expect(a.dueAt - lastAt, 'longer than the base wait').toBeGreaterThan(1000 * cost);
    a.activity(t);
    expect(a.dueAt - lastAt, 'an event: the base wait again').toBe(1000 * cost);
  });

  it('readOffThread: a fresh reading of the inodes now; its wall time (waits included) is no cost', async () => {
    let t = 0;
    const a = new WatchAudit(150, () => t);
    a.requestSoon();
    const r = await a.readOffThread(() => ((t += 500), 7)); // a slow turn meanwhile: not the count's cost
    expect(r).toEqual({ inodes: 7, watches: undefined, fresh: true });
    expect(a.dueAt, 'the base wait: no cost recorded').toBe(150);
    t = 100;
    expect(a.read(() => 7, false).fresh, 'not due before the base wait (requestSoon was answered)').toBe(false);
  });

  it('readOffThread: the helper’s own time reading the table is a cost, and paces the next counts', async () => {
    let t = 0;
    const a = new WatchAudit(1000, () => t);
    a.useProcess(undefined, async () => ((t += 500), { watches: 7, costMs: 30 })); // 500 ms of waiting, 30 ms of counting
    expect(await a.readOffThread(() => 7)).toEqual({ inodes: 7, watches: 7, fresh: true });
    expect(a.dueAt, 'busy: 1000× the count’s cost, from when it was asked').toBe(30 * 1000);
    t = QUIET_AFTER_MS;
    expect(a.dueAt, 'quiet: QUIET_COST_FACTOR × the cost, at most 8× the base wait').toBe(
      Math.min(30 * QUIET_COST_FACTOR, 30 * 1000 * QUIET_STRETCH_MAX),
    );
  });
});
