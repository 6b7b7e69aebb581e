/**
 * compiler-tier.ts in real node processes (V8's flags are process-wide, so each case is a process of its
 * own): TurboFan stays off through a light start, is switched on once the start-up has burnt its CPU
 * budget, and HOTWATCH_V8_OPTIMIZER forces either way. Whether a function is optimized is asked of V8
 * itself (%GetOptimizationStatus, bit 4: optimized). Runs the built module (dist/), like the watcher
 * thread's tests.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const MODULE = pathToFileURL(path.resolve(import.meta.dirname, '../../dist/compiler-tier.js')).href;

/** Whether a hot function is optimized after a light start, then after ~1 s of CPU (and a check's tick). */
const SCRIPT = `
import { optimizeOnlyHeavyStartUp } from ${JSON.stringify(MODULE)};
optimizeOnlyHeavyStartUp();
function hot(n) { let s = 0; for (let i = 0; i < n; i++) s += i % 7; return s; }
const optimized = () => (%GetOptimizationStatus(hot) & 16) !== 0;
for (let k = 0; k < 3000; k++) hot(1000);
const light = optimized();
const t0 = process.cpuUsage();
while ((process.cpuUsage(t0).user + process.cpuUsage(t0).system) / 1000 < 1000) hot(1000);
await new Promise((r) => setTimeout(r, 300));
for (let k = 0; k < 3000; k++) hot(1000);
console.log(JSON.stringify({ light, heavy: optimized() }));
`;

async function probe(mode: string | undefined): Promise<{ light: boolean; heavy: boolean }> {
  const env = { ...process.env };
  delete env.HOTWATCH_V8_OPTIMIZER;
  if (mode !== undefined) env.HOTWATCH_V8_OPTIMIZER = mode;
  const { stdout } = await run(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', SCRIPT], {
    env,
    timeout: 60_000,
  });
  return JSON.parse(stdout) as { light: boolean; heavy: boolean };
}

describe('optimizeOnlyHeavyStartUp (real V8)', () => {
  it('keeps TurboFan off through a light start and switches it on once the start is heavy', async () => {
    expect(await probe(undefined)).toEqual({ light: false, heavy: true });
  });

  it('HOTWATCH_V8_OPTIMIZER=off never switches it on; =on has it from the start', async () => {
    expect(await probe('off')).toEqual({ light: false, heavy: false });
    expect(await probe('on')).toEqual({ light: true, heavy: true });
  });
});
