/**
 * V8's memory reducer stays asleep in `hotwatch run` (src/heap-reducer.ts, issue 19): a real node process
 * loads the built heap setting as bin/hotwatch.js does, grows its old generation (what arms the reducer),
 * makes a full collection, then idles past the reducer's delays; V8's own trace says which collections ran. The same process
 * without the setting is the control: it shows the reducer's collection, so the check can fail.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/hotwatch.js';

const HEAP = path.join(REPO, 'dist/bundle/heap.js');

/** stdout of a node that (optionally) applies the run's heap setting, allocates a burst, then idles `idleMs`. */
function traceGc(applySetting: boolean, idleMs: number): Promise<string> {
  const script = `
    const v8 = await import('node:v8');
    const vm = await import('node:vm');
    ${applySetting ? `(await import(${JSON.stringify(HEAP)})).keepYoungGenerationSmall();` : ''}
    v8.setFlagsFromString('--trace-gc');
    const keep = [];
    for (let i = 0; i < 400000; i++) { const o = { i, s: 'x' + i }; if (i % 2 === 0) keep.push(o); }
    // A full collection, as the IdleCollector makes after a burst: what arms the reducer in hotwatch.
    v8.setFlagsFromString('--expose-gc');
    vm.runInNewContext('gc')();
    setTimeout(() => console.log('idle done', keep.length), ${idleMs});
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`node exited ${code}: ${err}`))));
  });
}

describe('memory reducer asleep in run (real V8 trace)', () => {
  it('no reducing collection while idle with the setting; the control shows one', async () => {
    // The reducer waits 8 s after the last full collection, 8 s more when it still sees the burst's
    // allocation rate: 20 s covers both.
    const [withSetting, control] = await Promise.all([traceGc(true, 20_000), traceGc(false, 20_000)]);
    expect(withSetting).toContain('idle done');
    expect(control).toContain('idle done');
    expect(control, 'the control: V8 reduces memory once idle').toMatch(/Mark-Compact \(reduce\)/);
    expect(withSetting, 'no collection of the memory reducer').not.toMatch(/\(reduce\)/);
  });
});
