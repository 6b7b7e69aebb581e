/**
 * The start walks the tree once (issue 19): the arming walk lists the relevant files it reads, and the
 * watchdog's snapshot is seeded from them instead of from a scan before arming. What it lists must be
 * exactly what that scan listed: excluded dirs, data files, symlinks and sentinel files left out.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NativeWatcher } from '../../src/watch/native/host.js';
import { scanTree } from '../../src/watch/tree/scan.js';
import { createWatchdog } from '../../src/watch/watchdog/watchdog.js';
import type { Watcher } from '../../src/watch/types.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { watchSettings } from '../helpers/watch-tree.js';

let tmp: { dir: string; cleanup: () => void };
let root: string;
let watchers: Watcher[] = [];

beforeEach(() => {
  tmp = makeTmpDir('hotwatch-armfiles-');
  root = path.join(tmp.dir, 'mod');
  for (const d of ['pkg/a', 'pkg/b/c', 'node_modules/x', 'vendor/v', '.git/objects', 'web'])
    fs.mkdirSync(path.join(root, d), { recursive: true });
  const files = ['go.mod', 'main.go', 'pkg/a/a.go', 'pkg/a/a_test.go', 'pkg/b/c/c.go', 'pkg/b/notes.txt', 'node_modules/x/x.go'];
  for (const f of [...files, 'vendor/v/v.go', '.git/objects/o.go', 'web/index.html', 'web/data.json'])
    fs.writeFileSync(path.join(root, f), 'x\n');
  fs.symlinkSync(path.join(root, 'main.go'), path.join(root, 'pkg', 'link.go'));
});
afterEach(async () => {
  for (const w of watchers) await w.close();
  watchers = [];
  tmp.cleanup();
});

const scanned = async () => (await scanTree(watchSettings(root), { signal: AbortSignal.timeout(10_000), files: true })).files;

describe('the arming walk lists the files it reads', () => {
  it('the native watcher hands them over before ready, once: the same list a scan gives', async () => {
    const given: string[][] = [];
    const ac = new AbortController();
    const w = new NativeWatcher({
      settings: watchSettings(root),
      onEvent: () => undefined,
      onNotice: () => undefined,
      signal: ac.signal,
      onStartFiles: (files) => given.push(files),
    });
    watchers.push(w);
    await w.ready;
    expect(given).toHaveLength(1);
    expect([...given[0]!].sort()).toEqual(await scanned());
    expect(given[0]).toContain(path.join(root, 'pkg', 'b', 'c', 'c.go'));
    expect(given[0]).not.toContain(path.join(root, 'pkg', 'link.go'));
  });

  it('a level wider than one round trip (600 sibling dirs: the next chunk is asked for while one is read): every dir watched, every file listed', async () => {
    const wide = path.join(root, 'wide');
    for (let i = 0; i < 600; i++) {
      fs.mkdirSync(path.join(wide, `d${i}`, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(wide, `d${i}`, 'sub', 'x.go'), 'x\n');
    }
    const given: string[][] = [];
    const w = new NativeWatcher({
      settings: watchSettings(root),
      onEvent: () => undefined,
      onNotice: () => undefined,
      signal: new AbortController().signal,
      onStartFiles: (files) => given.push(files),
    });
    watchers.push(w);
    const ready = await w.ready;
    const scan = await scanTree(watchSettings(root), { signal: AbortSignal.timeout(10_000), files: true });
    expect(ready.dirs).toBe(scan.dirs.length);
    expect([...given[0]!].sort()).toEqual(scan.files);
  });

  it("the watchdog's snapshot is seeded from them just after ready: knownFiles lists what a scan lists", async () => {
    const w = createWatchdog({
      settings: watchSettings(root),
      watchdog: { enabled: true, intervalMs: 200, auditIntervalMs: 30_000, overBudget: 'poll' },
      onEvent: () => undefined,
      log: pino({ level: 'silent' }),
      signal: new AbortController().signal,
      env: {},
    });
    watchers.push(w);
    await w.ready;
    // Filled on the turn after ready is said (watchdog.ts: the seed no longer delays ready), from the listing.
    const expected = await scanned();
    await waitFor(() => (w.knownFiles?.(1000)?.length ?? 0) > 0, { description: 'the snapshot seeded', timeoutMs: 5_000 });
    expect([...(w.knownFiles?.(1000) ?? [])].sort()).toEqual(expected);
  });
});
