import { describe, expect, it } from 'vitest';
import { StormDetector } from '../../src/watch/storm-detector.js';

const T = { stormEvents: 3, stormWindowMs: 1000, stallMs: 1500 };

describe('StormDetector', () => {
  it('a burst above the threshold gives one rescan, and one reconcile once two quiet windows pass', () => {
    const d = new StormDetector(T, 0);
    expect([d.raw(), d.raw(), d.raw()]).toEqual([undefined, undefined, undefined]);
    expect(d.raw()).toMatch(/^burst of more than 3 filesystem events within 1000ms/);
    expect(d.raw()).toBeUndefined(); // same storm: no second rescan
    expect(d.inStorm).toBe(true);
    expect(d.tick(250)).toEqual({});
    expect(d.tick(1000)).toEqual({}); // window of 5 events: still a storm
    for (let i = 0; i < 10; i++) expect(d.raw()).toBeUndefined();
    expect(d.tick(2000)).toEqual({}); // 10 events in the second window: still stormy
    d.raw();
    expect(d.tick(3000)).toEqual({}); // 1 event: quiet, but one window is not the end
    expect(d.inStorm).toBe(true);
    expect(d.tick(4000)).toEqual({ reconcile: true }); // a second quiet window: over
    expect(d.inStorm).toBe(false);
    expect(d.tick(5000)).toEqual({});
  });

  it('one slow window inside a burst does not split it into two storms', () => {
    const d = new StormDetector(T, 0);
    for (let i = 0; i < 4; i++) d.raw(); // storm
    expect(d.tick(1000)).toEqual({});
    d.raw(); // the writer stalled: 1 event in this window
    expect(d.tick(2000)).toEqual({});
    for (let i = 0; i < 10; i++) expect(d.raw(), 'the same storm: no second rescan').toBeUndefined();
    expect(d.tick(3000)).toEqual({});
    expect(d.tick(4000)).toEqual({});
    expect(d.tick(5000)).toEqual({ reconcile: true });
  });

  it('events spread over windows never make a storm', () => {
    const d = new StormDetector(T, 0);
    for (let w = 1; w <= 5; w++) {
      expect([d.raw(), d.raw(), d.raw()]).toEqual([undefined, undefined, undefined]);
      expect(d.tick(w * 1000)).toEqual({});
    }
  });

  it('a stall gives one rescan; the backlog burst after it does not give another', () => {
    const d = new StormDetector(T, 0);
    expect(d.tick(250)).toEqual({});
    const v = d.tick(5000);
    expect(v.rescan).toMatch(/^the watcher's event loop stalled for 4750ms/);
    expect(v.reconcile).toBeUndefined();
    for (let i = 0; i < 20; i++) expect(d.raw()).toBeUndefined();
    expect(d.tick(5250)).toEqual({});
    expect(d.tick(6000)).toEqual({}); // 20 events in the window: backlog still draining
    expect(d.tick(7000)).toEqual({});
    expect(d.tick(8000)).toEqual({ reconcile: true });
  });

  it('a stall during a burst adds no rescan', () => {
    const d = new StormDetector(T, 0);
    for (let i = 0; i < 4; i++) d.raw();
    expect(d.tick(3000)).toEqual({});
    expect(d.tick(4000)).toEqual({});
    expect(d.tick(5000)).toEqual({ reconcile: true });
  });
});
