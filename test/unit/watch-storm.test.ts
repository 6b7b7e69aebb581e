import { describe, expect, it } from 'vitest';
import { MAX_STORM_WINDOWS, QUIET_SHARE, StormDetector } from '../../src/watch/native/engine/storm-detector.js';

const T = { stormEvents: 20, stormWindowMs: 1000, stallMs: 1500 };
/** `n` raw events; the overflow reasons they returned. */
const events = (d: StormDetector, n: number) => Array.from({ length: n }, () => d.raw()).filter((r) => r !== undefined);

describe('StormDetector', () => {
  it('a burst above the threshold gives one overflow report, and one reconcile once two quiet windows pass', () => {
    const d = new StormDetector(T, 0);
    expect(events(d, 20)).toEqual([]);
    expect(d.raw()).toMatch(/^burst of more than 20 filesystem events within 1000ms/);
    expect(events(d, 5), 'same storm: no second report').toEqual([]);
    expect(d.inStorm).toBe(true);
    expect(d.tick(250)).toEqual({});
    expect(d.tick(1000)).toEqual({}); // window of 26 events: still a storm
    expect(events(d, 10)).toEqual([]);
    expect(d.tick(2000)).toEqual({}); // 10 events: below the threshold, but not quiet
    expect(d.inStorm).toBe(true);
    expect(events(d, T.stormEvents / QUIET_SHARE)).toEqual([]);
    expect(d.tick(3000)).toEqual({}); // 2 events: quiet, but one window is not the end
    expect(d.inStorm).toBe(true);
    expect(d.tick(4000)).toEqual({ reconcile: true }); // a second quiet window: over
    expect(d.inStorm).toBe(false);
    expect(d.tick(5000)).toEqual({});
  });

  it('a writer slowed below the threshold, or stalled for one window, does not split its burst', () => {
    const d = new StormDetector(T, 0);
    expect(events(d, 21)).toHaveLength(1); // storm
    expect(d.tick(1000)).toEqual({});
    events(d, 1); // the writer stalled: 1 event in this window
    expect(d.tick(2000)).toEqual({});
    for (let w = 3; w <= 5; w++) {
      expect(events(d, 15), 'slowed to 15 a window: the same storm').toEqual([]);
      expect(d.tick(w * 1000)).toEqual({});
    }
    expect(events(d, 30), 'full speed again: still the same storm').toEqual([]);
    expect(d.tick(6000)).toEqual({});
    expect(d.tick(7000)).toEqual({});
    expect(d.tick(8000)).toEqual({ reconcile: true });
  });

  it('events spread over windows never make a storm', () => {
    const d = new StormDetector(T, 0);
    for (let w = 1; w <= 5; w++) {
      expect(events(d, 20)).toEqual([]);
      expect(d.tick(w * 1000)).toEqual({});
    }
  });

  it('a stall gives one overflow report; the backlog burst after it does not give another', () => {
    const d = new StormDetector(T, 0);
    expect(d.tick(250)).toEqual({});
    const v = d.tick(5000);
    expect(v.overflow).toMatch(/^the watcher's event loop stalled for 4750ms/);
    expect(v.reconcile).toBeUndefined();
    expect(events(d, 40)).toEqual([]);
    expect(d.tick(5250)).toEqual({});
    expect(d.tick(6000)).toEqual({}); // 40 events in the window: backlog still draining
    expect(d.tick(7000)).toEqual({});
    expect(d.tick(8000)).toEqual({ reconcile: true });
  });

  it('a stall during a burst adds no report', () => {
    const d = new StormDetector(T, 0);
    expect(events(d, 21)).toHaveLength(1);
    expect(d.tick(3000)).toEqual({});
    expect(d.tick(4000)).toEqual({});
    expect(d.tick(5000)).toEqual({ reconcile: true });
  });

  it('a storm never outlasts MAX_STORM_WINDOWS: steady traffic between the two levels gets its reconcile', () => {
    const d = new StormDetector(T, 0);
    expect(events(d, 21)).toHaveLength(1);
    let w = 1;
    for (; w < MAX_STORM_WINDOWS; w++) {
      expect(events(d, 10)).toEqual([]); // not quiet, not a storm by itself
      expect(d.tick(w * 1000), `window ${w}`).toEqual({});
    }
    expect(events(d, 10)).toEqual([]);
    expect(d.tick(w * 1000)).toEqual({ reconcile: true });
    expect(d.inStorm).toBe(false);
    expect(events(d, 10), 'the same traffic after it: no storm').toEqual([]);
    expect(d.tick(++w * 1000)).toEqual({});
    expect(events(d, 21), 'a burst above the threshold: the next storm').toHaveLength(1);
  });

  it('a tiny threshold still has a quiet level of one event', () => {
    const d = new StormDetector({ ...T, stormEvents: 3 }, 0);
    expect(events(d, 4)).toHaveLength(1);
    expect(d.tick(1000)).toEqual({});
    events(d, 1);
    expect(d.tick(2000)).toEqual({});
    events(d, 1);
    expect(d.tick(3000)).toEqual({ reconcile: true });
  });
});
