import { describe, expect, it } from 'vitest';
import { Debouncer } from '../../src/pipeline/debounce.js';

describe('Debouncer (injected clock)', () => {
  it('is due once the quiet window passes with no event', () => {
    const d = new Debouncer({ quietMs: 50, maxWaitMs: 1000 });
    expect(d.deadline()).toBeUndefined();
    d.note(0);
    d.note(30);
    expect(d.deadline()).toBe(80);
    expect(d.take(79)).toBe(false);
    expect(d.take(80)).toBe(true);
    expect(d.pending).toBe(false);
    expect(d.take(500)).toBe(false);
  });

  it('three edits 30 ms apart make one batch', () => {
    const d = new Debouncer({ quietMs: 50, maxWaitMs: 1000 });
    let batches = 0;
    for (const t of [0, 30, 60]) {
      if (d.take(t)) batches++;
      d.note(t);
    }
    expect(d.take(109)).toBe(false);
    if (d.take(110)) batches++;
    expect(batches).toBe(1);
  });

  it('a continuous stream still builds at maxWait', () => {
    const d = new Debouncer({ quietMs: 50, maxWaitMs: 200 });
    const due: number[] = [];
    for (let t = 0; t <= 1000; t += 10) {
      if (d.take(t)) due.push(t);
      d.note(t);
    }
    expect(due).toEqual([200, 400, 600, 800, 1000]);
  });

  it('rejects maxWait shorter than quiet', () => {
    expect(() => new Debouncer({ quietMs: 100, maxWaitMs: 50 })).toThrow(/quiet/);
  });
});
