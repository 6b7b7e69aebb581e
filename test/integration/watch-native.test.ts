/** The native backend against real files and the real kernel: events, new dirs, excludes, watch counts. */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWatcher } from '../../src/watch/backend.js';
import { NativeWatcher } from '../../src/watch/native/host.js';
import { watchesWithHelpers } from '../../src/os/inotify-fds.js';

/** Watches of this process and its inotify helper (the native backend's watches live there on Linux). */
const watchesOfSelf = (): number | undefined => watchesWithHelpers('self');
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { makeTree, watchSettings } from '../helpers/watch-tree.js';
import { closer, collector } from '../helpers/watch-collect.js';

let tmp: { dir: string; cleanup: () => void };
let root: string;
const watchers = closer();

beforeEach(() => {
  tmp = makeTmpDir('hotwatch-watch-');
  root = tmp.dir;
});
afterEach(async () => {
  await watchers.closeAll();
  tmp.cleanup();
});

function native(over: Parameters<typeof watchSettings>[1] = {}, extra: Partial<ConstructorParameters<typeof NativeWatcher>[0]> = {}) {
  const c = collector();
  const ac = new AbortController();
  const w = watchers.add(
    new NativeWatcher({ settings: watchSettings(root, over), onEvent: c.onEvent, onNotice: c.onNotice, signal: ac.signal, ...extra }),
  );
  return { c, w, ac };
}

const sawPath = (c: ReturnType<typeof collector>, p: string, description = `a change event for ${p}`) =>
  waitFor(() => c.paths().has(p), { timeoutMs: 10_000, description });

describe('native backend: file events', () => {
  it('create, modify, delete and rename of a .go file each give a change event', async () => {
    fs.mkdirSync(path.join(root, 'pkg'));
    fs.writeFileSync(path.join(root, 'pkg', 'old.go'), 'package pkg\n');
    const { c, w } = native();
    const ready = await w.ready;
    expect(ready.backend).toBe('native');
    expect(ready.dirs).toBe(2);

    const created = path.join(root, 'main.go');
    fs.writeFileSync(created, 'package main\n');
    await sawPath(c, created);

    c.clear();
    fs.appendFileSync(path.join(root, 'pkg', 'old.go'), '// edit\n');
    await sawPath(c, path.join(root, 'pkg', 'old.go'));

    c.clear();
    fs.renameSync(path.join(root, 'pkg', 'old.go'), path.join(root, 'pkg', 'new.go'));
    await sawPath(c, path.join(root, 'pkg', 'old.go'), 'the rename source');
    await sawPath(c, path.join(root, 'pkg', 'new.go'), 'the rename target');

    c.clear();
    fs.rmSync(created);
    await sawPath(c, created, 'the deletion');
  });

  it('ignores irrelevant files, test files and hotwatch output, and reports each relevant path once per burst', async () => {
    const { c, w } = native();
    await w.ready;
    fs.mkdirSync(path.join(root, '.hotwatch', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(root, 'README.md'), 'x');
    fs.writeFileSync(path.join(root, 'a_test.go'), 'package a');
    fs.writeFileSync(path.join(root, '.hotwatch', 'bin', 'x.go'), 'x');
    const marker = path.join(root, 'marker.go');
    for (let i = 0; i < 5; i++) fs.writeFileSync(marker, `package m // ${i}\n`);
    await sawPath(c, marker);
    const all = c.events.flatMap((e) => (e.kind === 'change' ? [e.path] : []));
    expect(all.every((p) => p === marker)).toBe(true);
    expect(all.length).toBeLessThan(5); // coalesced
  });
});

describe('native backend: directories', () => {
  it('arms nested dirs created after ready and reports files written before their watch existed', async () => {
    const { c, w } = native();
    await w.ready;
    const deep = path.join(root, 'a', 'b', 'c');
    fs.mkdirSync(deep, { recursive: true });
    fs.writeFileSync(path.join(deep, 'early.go'), 'package c\n');
    await sawPath(c, path.join(deep, 'early.go'));
    // A file written later in the new dir is seen through the new watch.
    const late = path.join(deep, 'late.go');
    fs.writeFileSync(late, 'package c\n');
    await sawPath(c, late);
  });

  it('un-watches a deleted dir, reports its path, and watches a new dir under the old name', async () => {
    fs.mkdirSync(path.join(root, 'svc', 'inner'), { recursive: true });
    const { c, w } = native();
    await w.ready;
    fs.rmSync(path.join(root, 'svc'), { recursive: true });
    await sawPath(c, path.join(root, 'svc'), 'the vanished dir');
    fs.mkdirSync(path.join(root, 'svc'));
    fs.writeFileSync(path.join(root, 'svc', 'x.go'), 'package svc\n');
    await sawPath(c, path.join(root, 'svc', 'x.go'));
    c.clear();
    fs.writeFileSync(path.join(root, 'svc', 'y.go'), 'package svc\n');
    await sawPath(c, path.join(root, 'svc', 'y.go'));
  });

  it('the root deleted and recreated → ROOT_GONE, then re-armed (ROOT_REARMED) with its new files reported', async () => {
    fs.mkdirSync(path.join(root, 'pkg'));
    const { c, w } = native();
    await w.ready;
    fs.rmSync(root, { recursive: true });
    await waitFor(() => c.codes().includes('ROOT_GONE'), { timeoutMs: 10_000, description: 'the ROOT_GONE notice' });
    fs.mkdirSync(path.join(root, 'pkg'), { recursive: true });
    fs.writeFileSync(path.join(root, 'pkg', 'back.go'), 'package pkg\n');
    await sawPath(c, path.join(root, 'pkg', 'back.go'), 'the file of the recreated root');
    expect(c.codes()).toContain('ROOT_REPLACED');
    const rearmed = await waitFor(() => c.notices.find((n) => n.code === 'ROOT_REARMED'), {
      timeoutMs: 10_000,
      description: 'the ROOT_REARMED notice',
    });
    expect(rearmed.health).toMatchObject({ kind: 'rearmed', scope: 'root', cause: 'root-missing' });
    const later = path.join(root, 'pkg', 'later.go');
    fs.writeFileSync(later, 'package pkg\n');
    await sawPath(c, later, 'an edit after re-arming');
  });

  it('a dir moved out of the tree stops reporting (no phantom events), the moved-in one is watched', async () => {
    const outside = makeTmpDir('hotwatch-outside-');
    try {
      fs.mkdirSync(path.join(root, 'mod'));
      const { c, w } = native();
      await w.ready;
      fs.renameSync(path.join(root, 'mod'), path.join(outside.dir, 'mod'));
      await sawPath(c, path.join(root, 'mod'), 'the moved-out dir');
      fs.mkdirSync(path.join(outside.dir, 'incoming'));
      fs.writeFileSync(path.join(outside.dir, 'incoming', 'in.go'), 'package in\n');
      fs.renameSync(path.join(outside.dir, 'incoming'), path.join(root, 'incoming'));
      await sawPath(c, path.join(root, 'incoming', 'in.go'), 'the file of the moved-in dir');
      c.clear();
      fs.writeFileSync(path.join(outside.dir, 'mod', 'ghost.go'), 'package mod\n');
      const sentinel = path.join(root, 'incoming', 'after.go');
      fs.writeFileSync(sentinel, 'package in\n');
      await sawPath(c, sentinel);
      expect([...c.paths()].some((p) => p.includes('ghost'))).toBe(false);
    } finally {
      outside.cleanup();
    }
  });

  it('excluded node_modules (20,000 files) and .git cost no watch: watches = watched dirs', async () => {
    const made = makeTree(path.join(root, 'internal'), { dirs: 30, filesPerDir: 1 });
    makeTree(path.join(root, 'node_modules'), { dirs: 2000, filesPerDir: 10 });
    makeTree(path.join(root, '.git', 'objects'), { dirs: 300, filesPerDir: 2 });
    expect(watchesOfSelf() ?? 0).toBe(0);
    const { w } = native();
    const ready = await w.ready;
    const expected = made.length + 2; // + root + internal
    expect(ready.dirs).toBe(expected);
    const held = watchesOfSelf();
    if (held === undefined) throw new Error('/proc/self/fdinfo is not readable here: this test needs Linux');
    expect(held).toBeGreaterThanOrEqual(expected);
    expect(held).toBeLessThanOrEqual(expected + 2);
    expect(ready.watches).toBe(expected);
    // Excluded dirs created after ready cost nothing either; a normal one costs one watch.
    fs.mkdirSync(path.join(root, 'node_modules', 'late', 'deeper'), { recursive: true });
    fs.mkdirSync(path.join(root, 'internal', 'fresh'));
    await waitFor(() => w.stats()?.dirs === expected + 1, { timeoutMs: 10_000, description: 'the fresh dir armed' });
    expect(watchesOfSelf()).toBe(expected + 1);
    await w.close();
    await waitFor(() => watchesOfSelf() === 0, { timeoutMs: 5000, description: 'every watch released after close()' });
  });
});

describe('native backend: what is not followed', () => {
  it('a symlink loop does not hang the scan', async () => {
    fs.mkdirSync(path.join(root, 'a'));
    fs.symlinkSync(path.join(root, 'a'), path.join(root, 'a', 'loop'));
    fs.symlinkSync('self', path.join(root, 'self'));
    const { c, w } = native();
    const ready = await w.ready;
    expect(ready.dirs).toBe(2);
    expect(c.codes()).not.toContain('SYMLINK_OUTSIDE_ROOT');
  });

  it('a symlink to a dir outside: one notice, no events from outside', async () => {
    const outside = makeTmpDir('hotwatch-outside-');
    try {
      fs.symlinkSync(outside.dir, path.join(root, 'ext'));
      const { c, w } = native();
      await w.ready;
      const n = c.notices.filter((x) => x.code === 'SYMLINK_OUTSIDE_ROOT');
      expect(n).toHaveLength(1);
      expect(n[0]!.path).toBe(path.join(root, 'ext'));
      expect(n[0]!.message).toContain(outside.dir);
      fs.writeFileSync(path.join(outside.dir, 'x.go'), 'package x\n');
      const sentinel = path.join(root, 'after.go');
      fs.writeFileSync(sentinel, 'package main\n');
      await sawPath(c, sentinel);
      expect([...c.paths()].filter((p) => p !== sentinel)).toEqual([]);
    } finally {
      outside.cleanup();
    }
  });

  it('FIFOs and sockets are ignored', async () => {
    execFileSync('mkfifo', [path.join(root, 'pipe.go')]);
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(path.join(root, 'sock.go'), r));
    try {
      const { c, w } = native();
      const ready = await w.ready;
      expect(ready.dirs).toBe(1);
      execFileSync('mkfifo', [path.join(root, 'pipe2')]);
      const sentinel = path.join(root, 'after.go');
      fs.writeFileSync(sentinel, 'package main\n');
      await sawPath(c, sentinel);
      expect(c.notices.filter((n) => n.level !== 'info')).toEqual([]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('createWatcher', () => {
  it('auto picks native on a local filesystem and says why', async () => {
    const c = collector();
    const w = watchers.add(
      createWatcher({ settings: watchSettings(root), onEvent: c.onEvent, onNotice: c.onNotice, signal: new AbortController().signal }),
    );
    const r = await w.ready;
    expect(r.backend).toBe('native');
    expect(r.reason).toMatch(/inotify, one watch per directory/);
    expect(w.stats?.()).toMatchObject({ backend: 'native', dirs: 1, watches: 1 });
    fs.writeFileSync(path.join(root, 'main.go'), 'package main\n');
    await sawPath(c, path.join(root, 'main.go'));
  });

  it('close() is idempotent and aborting the signal closes the watcher', async () => {
    const ac = new AbortController();
    const c = collector();
    const w = createWatcher({ settings: watchSettings(root), onEvent: c.onEvent, onNotice: c.onNotice, signal: ac.signal });
    await w.ready;
    ac.abort();
    await w.close();
    await w.close();
    await waitFor(() => watchesOfSelf() === 0, { timeoutMs: 5000, description: 'watches released after abort' });
  });

  it('a missing root rejects ready with ROOT_UNREADABLE naming the path', async () => {
    const c = collector();
    const missing = path.join(root, 'missing');
    const w = watchers.add(
      createWatcher({ settings: watchSettings(missing), onEvent: c.onEvent, onNotice: c.onNotice, signal: new AbortController().signal }),
    );
    await expect(w.ready).rejects.toMatchObject({ code: 'ROOT_UNREADABLE', message: expect.stringContaining(missing) });
  });
});

describe('native backend: coverage sweep (directories that should be watched vs watched)', () => {
  it('a directory whose create event was lost is found, watched, its files reported, and the loss said', async () => {
    const { c, w } = native({}, { testHooks: { dropEventsNamed: 'lost' }, tuning: { sweepEveryMs: 200, sweepMinAgeMs: 300 } });
    await w.ready;
    const lost = path.join(root, 'lost');
    fs.mkdirSync(lost);
    fs.writeFileSync(path.join(lost, 'a.go'), 'package lost\n');
    await waitFor(() => c.notices.some((n) => n.code === 'WATCH_COVERAGE_LOST'), {
      timeoutMs: 10_000,
      description: 'the coverage-shortfall notice',
    });
    const n = c.notices.find((x) => x.code === 'WATCH_COVERAGE_LOST')!;
    expect(n.health).toMatchObject({ kind: 'deaf', scope: 'dir', cause: 'coverage-shortfall' });
    expect(n.message).toContain(lost);
    await sawPath(c, path.join(lost, 'a.go'), 'the file written in the unwatched directory');
    c.clear();
    fs.writeFileSync(path.join(lost, 'b.go'), 'package lost\n');
    await sawPath(c, path.join(lost, 'b.go'), 'a later edit there (the directory is watched now)');
    expect(c.codes()).not.toContain('WATCH_COVERAGE_LOST'); // said once
  });

  it('directories that are merely new (their events on the way) or excluded are never reported as lost', async () => {
    const { c, w } = native({}, { tuning: { sweepEveryMs: 50, sweepMinAgeMs: 300 } });
    await w.ready;
    for (let i = 0; i < 20; i++) {
      fs.mkdirSync(path.join(root, `d${i}`, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(root, `d${i}`, 'sub', 'x.go'), 'package sub\n');
    }
    fs.mkdirSync(path.join(root, 'node_modules', 'm'), { recursive: true });
    await sawPath(c, path.join(root, 'd19', 'sub', 'x.go'));
    await new Promise((r) => setTimeout(r, 1000)); // several sweeps over every directory
    expect(c.codes()).not.toContain('WATCH_COVERAGE_LOST');
    expect(w.stats().dirs).toBe(41);
  });
});
