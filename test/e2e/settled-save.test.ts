/**
 * A lone save whose write the inotify helper saw finish (IN_CLOSE_WRITE, or a rename into place) builds
 * after `debounce.settledQuiet` instead of waiting out `loneQuiet`; a file still open for writing never
 * takes that path. The windows here are stretched to seconds so each path is told apart by a wide
 * margin, not by a few milliseconds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goMain, hotwatchSession, startHotwatch, writeGoApp, type Hotwatch } from '../helpers/hotwatch.js';

const LONE = 3000;
// settledQuiet set as well: a file that sets loneQuiet alone turns the fast path off.
const CONFIG = `debounce:\n  settledQuiet: 5ms\n  loneQuiet: ${LONE}ms\n  quiet: ${LONE}ms\n  maxWait: 6s\n`;

const session = hotwatchSession((dir) => {
  writeGoApp(dir, 'v1');
  fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), CONFIG);
});
const { serves } = session;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** ms from `since` (epoch) to the first build.start logged after index `from`. */
async function buildStartsAfter(h: Hotwatch, from: number, since: number): Promise<number> {
  const l = await h.waitForLog((x) => x.event === 'build.start', 'a build starts', { from });
  return Date.parse(String(l.time)) - since;
}

describe('a save the helper saw complete', () => {
  it('builds without waiting out loneQuiet; a file still open for writing is never built half-written', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await serves('v1');
    const ready = hw.events('watch.ready')[0];
    expect(String(ready?.reason), 'the helper holds the watches').toMatch(/hotwatch-inotify/);
    await sleep(LONE + 500); // out of the initial build's continuation window

    // 1. One write, closed at once: the fast path (5 ms) instead of the 3 s lone window.
    let mark = hw.logs.length;
    let t0 = Date.now();
    fs.writeFileSync(path.join(session.dir, 'main.go'), goMain('v2'));
    expect(await buildStartsAfter(hw, mark, t0), 'build started long before loneQuiet').toBeLessThan(LONE - 1000);
    await serves('v2');
    await sleep(LONE + 500);

    // 2. Half a file, held open 1 s, then the rest: the half is never built (it would not compile).
    mark = hw.logs.length;
    const full = goMain('v3');
    const fd = fs.openSync(path.join(session.dir, 'main.go'), 'w');
    fs.writeSync(fd, full.slice(0, full.length / 2));
    t0 = Date.now();
    await sleep(1000);
    expect(hw.events('build.start', mark), 'no build while the file is open for writing').toEqual([]);
    fs.writeSync(fd, full.slice(full.length / 2));
    fs.closeSync(fd);
    await serves('v3');
    expect(hw.events('build.start', mark)).toHaveLength(1);
    expect(hw.events('build.failed', mark)).toEqual([]);
    expect(hw.events('build.canceled', mark)).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
  });

  it('without the helper (fs.watch reports no close) a save waits for loneQuiet', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port), HOTWATCH_INOTIFY_HELPER: 'off' } }));
    await serves('v1');
    await sleep(LONE + 500);
    const mark = hw.logs.length;
    const t0 = Date.now();
    fs.writeFileSync(path.join(session.dir, 'main.go'), goMain('v2'));
    expect(await buildStartsAfter(hw, mark, t0)).toBeGreaterThanOrEqual(LONE - 100);
    await serves('v2');
  });
});

const defaults = hotwatchSession((dir) => writeGoApp(dir, 'v1'));

describe('a file still open for writing, with the default windows (15 ms lone save, 50 ms quiet)', () => {
  it('a generator redirected into it (emptied at once, written and closed 1.5 s later) builds once, the whole file', async () => {
    const hw = (defaults.hw = startHotwatch([], { cwd: defaults.dir, env: { PORT: String(defaults.port) } }));
    await defaults.serves('v1');
    await sleep(500);
    const mark = hw.logs.length;
    // What `go run ./gen > main.go` does: the shell truncates the file, the generator prints once compiled.
    const fd = fs.openSync(path.join(defaults.dir, 'main.go'), 'w');
    await sleep(1500);
    expect(hw.events('build.start', mark), 'no build of the emptied file').toEqual([]);
    fs.writeSync(fd, goMain('v2'));
    fs.closeSync(fd);
    await defaults.serves('v2');
    expect(hw.events('build.start', mark)).toHaveLength(1);
    expect(hw.events('build.failed', mark)).toEqual([]);
  });

  it('a generator redirected into a NEW file (created empty, written and closed 1.5 s later) builds once, the whole file', async () => {
    const hw = (defaults.hw = startHotwatch([], { cwd: defaults.dir, env: { PORT: String(defaults.port) } }));
    await defaults.serves('v1');
    await sleep(500);
    const mark = hw.logs.length;
    // The first `go run ./gen > gen.go`: the shell creates gen.go empty (IN_CREATE, no write yet).
    const fd = fs.openSync(path.join(defaults.dir, 'gen.go'), 'w');
    await sleep(1500);
    expect(hw.events('build.start', mark), 'no build of the empty new file').toEqual([]);
    fs.writeSync(fd, 'package main\n\nconst generated = "g1"\n');
    fs.closeSync(fd);
    await hw.waitForLog((l) => l.event === 'build.done' || l.event === 'build.same-binary', 'the whole file builds', { from: mark });
    await sleep(500);
    expect(hw.events('build.start', mark)).toHaveLength(1);
    expect(hw.events('build.failed', mark)).toEqual([]);
  });

  it('a writer that keeps it open past the wait: built as it is, said at info; its close is checked again', async () => {
    const hw = (defaults.hw = startHotwatch([], { cwd: defaults.dir, env: { PORT: String(defaults.port) } }));
    await defaults.serves('v1');
    await sleep(500);
    const mark = hw.logs.length;
    const fd = fs.openSync(path.join(defaults.dir, 'main.go'), 'w');
    fs.writeSync(fd, goMain('v2'));
    const said = await hw.waitForLog((l) => l.event === 'batch.still-writing', 'the open file is said', { from: mark, timeoutMs: 20_000 });
    expect(said.files).toEqual(['main.go']);
    expect(String(said.msg)).toMatch(/^main\.go still open for writing 3 s after the last write/);
    await defaults.serves('v2'); // the whole file was there: it builds
    const builds = hw.events('build.start', mark).length;
    fs.closeSync(fd);
    await sleep(2000);
    // Its close is an event: checked again, same bytes as built, so nothing to rebuild (at most one build).
    expect(hw.events('build.start', mark).length).toBeLessThanOrEqual(builds + 1);
    await defaults.serves('v2');
  });
});
