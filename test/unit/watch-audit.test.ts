/** The coverage audit's pacing (pure: a fake clock; no watches are read, none are held). */
import { describe, expect, it } from 'vitest';
import { COST_READINGS, WatchAudit } from '../../src/watch/native/engine/coverage/audit.js';

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
});
