/**
 * The IdleCollector's settling collection (src/heap.ts, issue 19 memory), in real node processes (V8's
 * flags are process-wide): after a burst and its collection, V8 keeps both 1 MB semi-spaces of the young
 * generation; one more collection SETTLE_MS later, once the allocation rate is low, hands one back. The
 * control never settles (a settle delay longer than the test) and keeps both, so the check can fail. Runs
 * the built module (dist/), as the run's bundle does.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SETTLE_MS } from '../../src/heap.js';

const run = promisify(execFile);
const MODULE = pathToFileURL(path.resolve(import.meta.dirname, '../../dist/heap.js')).href;

/** The young generation's physical size (MB) right after a burst's collection, and `waitMs` later. */
const SCRIPT = (settleMs: number, waitMs: number) => `
import v8 from 'node:v8';
import { keepYoungGenerationSmall, IdleCollector } from ${JSON.stringify(MODULE)};
keepYoungGenerationSmall();
const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').physical_space_size / 1048576;
let keep = [];
for (let i = 0; i < 400000; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 50000) keep = []; }
keep = [];
new IdleCollector(10, () => false, ${settleMs}).now();
const afterBurst = young();
await new Promise((r) => setTimeout(r, ${waitMs}));
console.log(JSON.stringify({ afterBurst, later: young() }));
`;

async function youngGeneration(settleMs: number, waitMs: number): Promise<{ afterBurst: number; later: number }> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', SCRIPT(settleMs, waitMs)], { timeout: 60_000 });
  return JSON.parse(stdout) as { afterBurst: number; later: number };
}

describe('IdleCollector settling collection (real V8)', () => {
  it('hands back one semi-space of the young generation once the thread has settled; without it both stay', async () => {
    const wait = SETTLE_MS + 2500;
    const [settled, control] = await Promise.all([youngGeneration(SETTLE_MS, wait), youngGeneration(3_600_000, wait)]);
    expect(settled.afterBurst, 'both semi-spaces in use after the burst').toBeGreaterThanOrEqual(2);
    expect(control.afterBurst).toBeGreaterThanOrEqual(2);
    expect(control.later, 'the control keeps both').toBeGreaterThanOrEqual(2);
    expect(settled.later, 'one handed back').toBeLessThanOrEqual(1.5);
  }, 60_000);
});
