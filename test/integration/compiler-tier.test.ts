/**
 * compiler-tier.ts in real node processes (V8's flags are process-wide, so each case is a process of its
 * own): TurboFan stays off through a light start, is switched on once the start-up has burnt its CPU
 * budget, and HOTWATCH_V8_OPTIMIZER forces either way. Whether a function is optimized is asked of V8
 * itself (%GetOptimizationStatus, bit 4: optimized). Runs the built module (dist/), like the watcher
 * thread's tests. The probes compile on the main thread (--no-concurrent-recompilation): a concurrent
 * job still queued on a loaded machine left a function that TurboFan was switched on for unoptimized
 * (a full-suite flake; reproduced with --concurrent-recompilation-delay=300).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { HEAVY_TREE_DIRS } from '../../src/compiler-tier.js';

const run = promisify(execFile);
const MODULE = pathToFileURL(path.resolve(import.meta.dirname, '../../dist/compiler-tier.js')).href;

/** V8 flags of every probe: optimization, when on, is done before the next line runs. */
const PROBE_FLAGS = ['--allow-natives-syntax', '--no-concurrent-recompilation', '--input-type=module', '-e'];

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
  const { stdout } = await run(process.execPath, [...PROBE_FLAGS, SCRIPT], {
    env,
    timeout: 60_000,
  });
  return JSON.parse(stdout) as { light: boolean; heavy: boolean };
}

/**
 * A tree of `dirs` directories armed by the native engine (fs.watch: no helper needed) after a light
 * start: whether a hot function is optimized afterwards, and the CPU the process used (under the CPU check's
 * budget, so only the arming's size can have switched TurboFan on).
 */
const ARMING_SCRIPT = (dirs: number, root: string) => `
import fs from 'node:fs';
import { optimizeOnlyHeavyStartUp } from ${JSON.stringify(MODULE)};
import { defaultWatchSettings } from ${JSON.stringify(pathToFileURL(path.resolve(import.meta.dirname, '../../dist/config/settings.js')).href)};
import { NativeEngine } from ${JSON.stringify(pathToFileURL(path.resolve(import.meta.dirname, '../../dist/watch/native/engine/engine.js')).href)};
import { DEFAULT_TUNING } from ${JSON.stringify(pathToFileURL(path.resolve(import.meta.dirname, '../../dist/watch/native/engine/tuning.js')).href)};
optimizeOnlyHeavyStartUp();
const root = ${JSON.stringify(root)};
for (let i = 0; i < ${dirs}; i++) fs.mkdirSync(root + '/d' + i, { recursive: true });
function hot(n) { let s = 0; for (let i = 0; i < n; i++) s += i % 7; return s; }
const optimized = () => (%GetOptimizationStatus(hot) & 16) !== 0;
const cpu0 = process.cpuUsage();
const sink = new Proxy({}, { get: () => () => undefined });
const engine = new NativeEngine(defaultWatchSettings(root), DEFAULT_TUNING, sink, {});
const ok = await engine.start();
engine.stop();
for (let k = 0; k < 3000; k++) hot(1000);
const used = process.cpuUsage(cpu0);
console.log(JSON.stringify({ ok, optimized: optimized(), cpuMs: (used.user + used.system) / 1000 }));
`;

async function armingProbe(dirs: number, mode?: string): Promise<{ ok: boolean; optimized: boolean; cpuMs: number }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hotwatch-tier-'));
  try {
    const env = { ...process.env };
    delete env.HOTWATCH_V8_OPTIMIZER;
    if (mode !== undefined) env.HOTWATCH_V8_OPTIMIZER = mode;
    const { stdout } = await run(process.execPath, [...PROBE_FLAGS, ARMING_SCRIPT(dirs, root)], {
      env,
      timeout: 60_000,
    });
    return JSON.parse(stdout) as { ok: boolean; optimized: boolean; cpuMs: number };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

describe('optimizeOnlyHeavyStartUp (real V8)', () => {
  it('arming a tree of HEAVY_TREE_DIRS directories at start switches TurboFan on before the CPU check would', async () => {
    const big = await armingProbe(HEAVY_TREE_DIRS + 100);
    expect(big.ok).toBe(true);
    // Far below the CPU check's budget (800 ms; ~100 ms used): the arming's size alone switched it on.
    expect(big.cpuMs).toBeLessThan(800);
    expect(big.optimized).toBe(true);
    const small = await armingProbe(Math.floor(HEAVY_TREE_DIRS / 4));
    expect(small).toMatchObject({ ok: true, optimized: false });
    expect(await armingProbe(HEAVY_TREE_DIRS + 100, 'off')).toMatchObject({ ok: true, optimized: false });
  }, 120_000);

  it('keeps TurboFan off through a light start and switches it on once the start is heavy', async () => {
    expect(await probe(undefined)).toEqual({ light: false, heavy: true });
  });

  it('HOTWATCH_V8_OPTIMIZER=off never switches it on; =on has it from the start', async () => {
    expect(await probe('off')).toEqual({ light: false, heavy: false });
    expect(await probe('on')).toEqual({ light: true, heavy: true });
  });
});
