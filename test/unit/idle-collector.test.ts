import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { IdleCollector } from '../../src/heap.js';

const usedMb = (): number => v8.getHeapStatistics().used_heap_size / 1048576;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('IdleCollector (a real V8 collection)', () => {
  it('collects the garbage of a burst once idle, and waits while busy', async () => {
    let busy = true;
    const c = new IdleCollector(20, () => busy);
    let garbage: unknown[] | undefined = Array.from({ length: 300_000 }, (_, i) => ({ i, s: `x${i}` }));
    expect(garbage.length).toBe(300_000);
    garbage = undefined;
    const before = usedMb();
    c.soon();
    await sleep(150); // several periods, all busy: no collection yet
    expect(usedMb(), 'nothing collected while busy').toBeGreaterThan(before - 5);
    busy = false;
    await sleep(150);
    expect(usedMb(), 'the burst collected once idle').toBeLessThan(before - 10);
    c.cancel();
  });
});
