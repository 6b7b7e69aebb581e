import { describe, expect, it } from 'vitest';
import { Ring } from '../../src/pipeline/ring.js';
import type { WatchEvent } from '../../src/pipeline/events.js';

const ch = (path: string, at = 0): WatchEvent => ({ kind: 'change', path, at });

describe('Ring', () => {
  it('drains events oldest first and empties', () => {
    const r = new Ring(4);
    r.push(ch('/a'));
    r.push(ch('/b'));
    expect(r.drain().map((e) => (e.kind === 'change' ? e.path : e.kind))).toEqual(['/a', '/b']);
    expect(r.size).toBe(0);
    expect(r.drain()).toEqual([]);
  });

  it('wraps around after partial drains', () => {
    const r = new Ring(3);
    for (const p of ['/1', '/2', '/3']) r.push(ch(p));
    r.drain();
    for (const p of ['/4', '/5']) r.push(ch(p));
    expect(r.drain().map((e) => (e.kind === 'change' ? e.path : ''))).toEqual(['/4', '/5']);
  });

  it('collapses overflow into exactly one rescan marker after the kept events', () => {
    const r = new Ring(2);
    expect(r.push(ch('/a', 1))).toBe(true);
    expect(r.push(ch('/b', 2))).toBe(true);
    expect(r.push(ch('/c', 3))).toBe(false);
    expect(r.push(ch('/d', 4))).toBe(false);
    expect(r.overflowed).toBe(true);
    const out = r.drain();
    expect(out).toHaveLength(3);
    expect(out[2]).toMatchObject({ kind: 'rescan', at: 3, dropped: 2 });
    expect((out[2] as { reason: string }).reason).toMatch(/2 events beyond its capacity of 2/);
    expect(r.overflowed).toBe(false);
    expect(r.drain()).toEqual([]);
  });

  it('rejects a non-positive capacity', () => {
    expect(() => new Ring(0)).toThrow(RangeError);
  });
});
