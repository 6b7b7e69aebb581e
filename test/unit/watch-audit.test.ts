/** The coverage audit's pacing (pure: a fake clock; no watches are read, none are held). */
import { describe, expect, it } from 'vitest';
import { COST_READINGS, QUIET_STRETCH_MAX, WatchAudit } from '../../src/watch/native/engine/coverage/audit.js';
import { QUIET_AFTER_MS } from '../../src/watch/pace/quiet-pace.js';

function audit() {
  let t = 0;
  const a = new WatchAudit(150, () => t);
  return {
    a,
    at: (ms: number) => (t = ms),
    /** An unforced reading at the current time that takes `costMs`: whether it was fresh (measured). */
    read: (costMs: number) => a.read(() => ((t += costMs), 3), false).fresh,
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
