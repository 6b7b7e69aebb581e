/**
 * Issue 2, "what it must show" 4 and 5: a 2,000-file rewrite costs one or two builds and the final
 * version serves; excluded trees (node_modules with 20,000 files, .git) cost no inotify watch.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { parallelWriter } from '../helpers/parallel-write.js';
import { waitFor } from '../helpers/wait.js';
import { freePort, goMain, httpGet, inotifyWatches, startHotwatch, type Hotwatch } from '../helpers/hotwatch.js';

let tmp: ReturnType<typeof makeTmpDir>;
let hw: Hotwatch | undefined;
let port: number;

beforeEach(async () => {
  tmp = makeTmpDir();
  port = await freePort();
  fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/storm\n\ngo 1.22\n');
});

afterEach(async () => {
  if (hw) expect((await hw.stop()).code).toBe(0);
  hw = undefined;
  tmp.cleanup();
});

const genFile = (i: number, v: number) => `package gen\n\nconst C${i} = ${v}\n`;

describe('storms and budgets (e2e)', () => {
  it('2,000 files rewritten within 1 s → one or two builds, and the final version serves', async (ctx) => {
    const gen = path.join(tmp.dir, 'internal/gen');
    fs.mkdirSync(gen, { recursive: true });
    for (let i = 0; i < 2000; i++) fs.writeFileSync(path.join(gen, `c${i}.go`), genFile(i, 1));
    const main = (v: string) => goMain(v, { imports: ['example.com/storm/internal/gen'], extraMain: '_ = gen.C0' });
    fs.writeFileSync(path.join(tmp.dir, 'main.go'), main('v1'));
    hw = startHotwatch([], { cwd: tmp.dir, env: { PORT: String(port) } });
    await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: 'v1 serves', timeoutMs: 120_000 });
    await hw.waitForLog((l) => l.event === 'app.listening', 'v1 listens');

    // The input is 2,000 files rewritten within 1 s. On a starved machine (two CPU hogs and a
    // second test run on 2 cores) one writer thread took 1.0–2.4 s: four write them, as a parallel
    // checkout does, at the ordinary priority (raised to nice -15, one writer starved hotwatch for 200 ms
    // at a time, which no checkout does). An attempt that still took longer is not the case asked about
    // (a slower stream, whose builds maxWait bounds): it is done again, up to 4 times, and the test skips
    // itself, saying so, if the machine never wrote them within 1 s.
    const took: number[] = [];
    for (let v = 2; v <= 5; v++) {
      const files: Array<[string, string]> = Array.from({ length: 2000 }, (_, i) => [path.join(gen, `c${i}.go`), genFile(i, v)]);
      const writer = await parallelWriter([...files, [path.join(tmp.dir, 'main.go'), main(`v${v}`)]]);
      const mark = hw.logs.length;
      took.push(Math.round(await writer.write()));

      await waitFor(async () => (await httpGet(port)) === `v=v${v}`, { description: `v${v} serves`, timeoutMs: 120_000 });
      await hw.lastBuildListens(mark, `the last build's app (v${v}) listens`);
      if (took.at(-1)! >= 1000) continue;
      const builds = hw.events('build.start', mark).length;
      expect(builds).toBeGreaterThanOrEqual(1);
      const starts = hw.events('build.start', mark).map((e) => `${String(e.trigger)} rescan=${JSON.stringify(e.rescan)}`);
      expect(builds, `builds started: ${starts.join(' | ')}`).toBeLessThanOrEqual(2);
      expect(hw.events('build.done', mark).length).toBeLessThanOrEqual(2);
      return;
    }
    ctx.skip(`this machine never rewrote the 2,000 files within 1 s (ms per attempt: ${JSON.stringify(took)}): the case was not tested`);
  }, 300_000);

  it('node_modules (20,000 files) and .git cost no watches: watches ≤ watched dirs + a small constant', async () => {
    // 25 source directories…
    const srcDirs = ['.'];
    for (let i = 0; i < 5; i++)
      for (let j = 0; j < 4; j++) {
        const d = `pkg${i}/sub${j}`;
        fs.mkdirSync(path.join(tmp.dir, d), { recursive: true });
        fs.writeFileSync(path.join(tmp.dir, d, 'x.go'), `package sub${j}\n`);
        srcDirs.push(d);
      }
    for (let i = 0; i < 5; i++) srcDirs.push(`pkg${i}`);
    // …and 20,000 files in 400 directories under node_modules, plus a .git with 100 directories.
    for (let i = 0; i < 400; i++) {
      const d = path.join(tmp.dir, 'node_modules', `mod${i}`, 'lib');
      fs.mkdirSync(d, { recursive: true });
      for (let f = 0; f < 50; f++) fs.writeFileSync(path.join(d, `f${f}.js`), '');
    }
    for (let i = 0; i < 100; i++) fs.mkdirSync(path.join(tmp.dir, '.git', 'objects', `o${i}`), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'main.go'), goMain('v1'));

    hw = startHotwatch([], { cwd: tmp.dir, env: { PORT: String(port) } });
    const ready = await hw.waitForLog((l) => l.event === 'watch.ready', 'the watcher is ready');
    await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: 'v1 serves', timeoutMs: 60_000 });
    const watches = inotifyWatches(hw.pid);
    expect(ready.backend).toBe('native');
    expect(ready.dirs).toBe(srcDirs.length);
    expect(watches).toBeGreaterThanOrEqual(srcDirs.length);
    expect(watches).toBeLessThanOrEqual(srcDirs.length + 3);
  }, 180_000); // its set-up writes 20,000 files: beside two CPU hogs and a second test run that took most of 60 s
});
