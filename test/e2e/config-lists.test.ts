/**
 * Issue 13, "lists extend defaults": `watch.excludeDirs: [data]` still excludes .git and node_modules
 * (counted in the kernel's inotify watches of hotwatch and its helper), "!vendor" watches vendor, and the
 * start-up says what each list is now.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotwatchSession, inotifyWatches, startHotwatch } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';

const session = hotwatchSession();

/** Two dirs in each excluded-by-default tree, one in data/, one package dir. */
function makeTree(dir: string): void {
  for (const d of ['.git/objects/aa', 'node_modules/lib/dist', 'vendor/example.com/lib', 'data/uploads', 'pkg'])
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.writeFileSync(path.join(dir, 'vendor/example.com/lib/lib.go'), 'package lib\n');
}

async function watchedDirs(config: string): Promise<{ dirs: number; watches: number; lists: string[] }> {
  makeTree(session.dir);
  fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), config);
  const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
  const ready = await hw.waitForLog((l) => l.event === 'watch.ready', 'watching is ready');
  await session.serves('v1');
  // The helper holds the watches: wait until the kernel's count matches what was armed.
  const armed = Number(ready.watches);
  await waitFor(() => inotifyWatches(hw.pid) >= armed, { description: `${armed} inotify watches held`, timeoutMs: 20_000 });
  return { dirs: Number(ready.dirs), watches: inotifyWatches(hw.pid), lists: hw.events('config.lists').map((l) => l.msg) };
}

describe('watch lists extend their defaults (e2e)', () => {
  it('excludeDirs: [data] keeps .git, node_modules and vendor excluded', async () => {
    const r = await watchedDirs('watch:\n  excludeDirs: [data]\n');
    // root and pkg/, plus the watchdog's sentinel directory .hotwatch/watchdog.
    expect(r.dirs).toBe(2);
    expect(r.watches).toBe(3);
    expect(r.lists).toEqual([
      expect.stringMatching(
        /^watch\.excludeDirs adds data to the defaults: \.git, node_modules, vendor, .*, data \(a "!name" entry drops a default\)$/,
      ),
    ]);
  }, 90_000);

  it('"!vendor" drops that default: vendor and its subdirectories are watched', async () => {
    const r = await watchedDirs('watch:\n  excludeDirs: [data, "!vendor"]\n');
    expect(r.dirs).toBe(5); // root, pkg, vendor, vendor/example.com, vendor/example.com/lib
    expect(r.watches).toBe(6);
    expect(r.lists).toEqual([expect.stringContaining('adds data to the defaults and drops vendor')]);
  }, 90_000);
});
