import { describe, expect, it } from 'vitest';
import { LiveChanges } from '../../src/pipeline/live-changes.js';

describe('LiveChanges (what sizes the debounce window)', () => {
  it('counts events and open writes per file; a dismissed file leaves both counts', () => {
    const live = new LiveChanges();
    live.note('/m/a.go', 0, false);
    live.note('/m/a.go', 1, true);
    live.note('/m/b.go', 2, false);
    expect(live.events).toBe(3);
    expect(live.open).toBe(1); // b's write is not known complete; a's is
    expect(live.span()).toBe(2);
    expect(live.dismiss('/m/b.go')).toBe(true);
    expect(live.events).toBe(2);
    expect(live.open).toBe(0);
    expect(live.span()).toBe(1);
    expect(live.dismiss('/m/b.go')).toBe(false); // already gone
  });

  it('a dismissed file written again counts from its new event only', () => {
    const live = new LiveChanges();
    for (let t = 0; t < 5; t++) live.note('/m/a.go', t, t === 4);
    live.dismiss('/m/a.go');
    live.note('/m/a.go', 50, false);
    expect(live.events).toBe(1);
    expect(live.open).toBe(1);
    expect(live.span()).toBe(0);
  });

  it('pathless events are never dismissed and never known complete', () => {
    const live = new LiveChanges();
    live.note('', 0, true);
    live.note('', 3, true);
    expect(live.dismiss('')).toBe(false);
    expect(live.events).toBe(2);
    expect(live.open).toBe(1);
    live.clear();
    expect([live.events, live.open, live.span()]).toEqual([0, 0, 0]);
  });
});
