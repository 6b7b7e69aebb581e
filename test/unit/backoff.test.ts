import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/supervisor/backoff.js';

describe('Backoff', () => {
  it('doubles up to the cap and never spins', () => {
    const b = new Backoff({ initialMs: 500, maxMs: 4000, resetAfterMs: 10_000 });
    expect([b.next(10), b.next(10), b.next(10), b.next(10), b.next(10), b.next(10)]).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    expect(b.crashes).toBe(6);
  });

  it('starts over after a stable uptime', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 10_000, resetAfterMs: 5000 });
    b.next(0);
    b.next(0);
    expect(b.next(0)).toBe(400);
    expect(b.next(6000)).toBe(100);
  });
});
