/** The polling backend (chokidar 5, usePolling) and the backend choice of createWatcher. */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWatcher } from '../../src/watch/backend.js';
import { parseMountInfo } from '../../src/os/mounts.js';
import { watch as chokidarWatch } from 'chokidar';
import { PollWatcher } from '../../src/watch/poll/poll.js';
import { inotifyFdsOfSelf, watchesOfFd } from '../../src/os/inotify-fds.js';
import { settlePolling } from '../../src/watch/poll/settle.js';
import { createTreeRules } from '../../src/watch/tree/rules.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { makeTree, watchSettings } from '../helpers/watch-tree.js';
import { closer, collector } from '../helpers/watch-collect.js';

let tmp: { dir: string; cleanup: () => void };
let root: string;
const watchers = closer();

beforeEach(() => {
  tmp = makeTmpDir('hotwatch-poll-');
  root = tmp.dir;
});
afterEach(async () => {
  await watchers.closeAll();
  tmp.cleanup();
});

const saw = (c: ReturnType<typeof collector>, p: string, description = `a change event for ${p}`) =>
  waitFor(() => c.paths().has(p), { timeoutMs: 10_000, description });

function poll(over: Parameters<typeof watchSettings>[1] = {}) {
  const c = collector();
  const w = watchers.add(
    new PollWatcher({
      settings: watchSettings(root, over),
      onEvent: c.onEvent,
      onNotice: c.onNotice,
      signal: new AbortController().signal,
    }),
  );
  return { c, w };
}

/** inotify watches held by this whole process (every thread's instance). */
const ownWatches = () => [...(inotifyFdsOfSelf() ?? [])].reduce((n, fd) => n + (watchesOfFd(fd) ?? 0), 0);

describe('poll backend', () => {
  it('CHOKIDAR_USEPOLLING=false (set for another tool) does not turn polling into inotify; the app still gets it', async () => {
    fs.mkdirSync(path.join(root, 'pkg'));
    fs.writeFileSync(path.join(root, 'pkg', 'a.go'), 'package pkg\n');
    const before = ownWatches();
    process.env.CHOKIDAR_USEPOLLING = 'false';
    process.env.CHOKIDAR_INTERVAL = '60000';
    try {
      const { c, w } = poll();
      await w.ready;
      expect(process.env.CHOKIDAR_USEPOLLING).toBe('false');
      expect(process.env.CHOKIDAR_INTERVAL).toBe('60000');
      expect(ownWatches()).toBe(before); // chokidar with usePolling false would hold one per dir and file
      fs.appendFileSync(path.join(root, 'pkg', 'a.go'), '// more\n');
      await saw(c, path.join(root, 'pkg', 'a.go'), 'the edit, polled at the configured interval (not 60 s)');
    } finally {
      delete process.env.CHOKIDAR_USEPOLLING;
      delete process.env.CHOKIDAR_INTERVAL;
    }
  });

  it('a file replaced by one of the same size and an OLDER mtime (cp -p, rsync -t, tar x of another version) is a change', async () => {
    fs.mkdirSync(path.join(root, 'pkg'));
    const file = path.join(root, 'pkg', 'a.go');
    fs.writeFileSync(file, 'package pkg\n\nconst V = "v1"\n');
    const older = path.join(tmp.dir, '..', `${path.basename(tmp.dir)}-v2.go`);
    fs.writeFileSync(older, 'package pkg\n\nconst V = "v2"\n'); // the same size
    fs.utimesSync(older, new Date('2020-01-01'), new Date('2020-01-01'));
    try {
      const { c, w } = poll();
      await w.ready;
      execFileSync('cp', ['-p', older, file]);
      expect(fs.statSync(file).mtimeMs).toBeLessThan(Date.now() - 1e9);
      await saw(c, file, 'the older, same-size version copied in with its mtime');
    } finally {
      fs.rmSync(older, { force: true });
    }
  });

  it('create, modify, delete of a .go file, new nested dirs, vanished dirs', async () => {
    fs.mkdirSync(path.join(root, 'pkg'));
    fs.writeFileSync(path.join(root, 'pkg', 'a.go'), 'package pkg\n');
    const { c, w } = poll();
    const ready = await w.ready;
    expect(ready).toMatchObject({ backend: 'poll', dirs: 2, watches: undefined });
    expect(w.stats()).toEqual({ backend: 'poll', dirs: 2, watches: undefined });

    const created = path.join(root, 'main.go');
    fs.writeFileSync(created, 'package main\n');
    await saw(c, created);
    fs.appendFileSync(path.join(root, 'pkg', 'a.go'), '// more\n');
    await saw(c, path.join(root, 'pkg', 'a.go'));
    c.clear();
    fs.rmSync(created);
    await saw(c, created, 'the deletion');

    const deep = path.join(root, 'x', 'y');
    fs.mkdirSync(deep, { recursive: true });
    fs.writeFileSync(path.join(deep, 'n.go'), 'package y\n');
    await saw(c, path.join(deep, 'n.go'), 'a file in a new nested dir');
    fs.rmSync(path.join(root, 'x'), { recursive: true });
    await saw(c, path.join(root, 'x'), 'the vanished dir');
  });

  it('a file written right after ready is never lost (chokidar start-up gap closed), 10 rounds', async () => {
    for (let i = 0; i < 10; i++) {
      const dir = path.join(root, `round${i}`);
      fs.mkdirSync(dir);
      const c = collector();
      const w = new PollWatcher({
        settings: watchSettings(dir),
        onEvent: c.onEvent,
        onNotice: c.onNotice,
        signal: new AbortController().signal,
      });
      try {
        await w.ready;
        const f = path.join(dir, 'right-after.go');
        fs.writeFileSync(f, 'package x\n');
        await saw(c, f, `round ${i}: the file written right after ready`);
      } finally {
        await w.close();
      }
    }
  });

  it('caughtUp: once it resolves, every change made before it was called is delivered (a full poll round)', async () => {
    fs.mkdirSync(path.join(root, 'pkg'));
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(root, 'pkg', `old${i}.go`), 'package pkg\n');
    const { c, w } = poll({ pollIntervalMs: 1000 });
    await w.ready;
    for (let round = 0; round < 3; round++) {
      c.clear();
      // A checkout's worth: files rewritten, created and removed, then asked at once (no event seen yet).
      const want = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const edited = path.join(root, 'pkg', `old${i}.go`);
        fs.writeFileSync(edited, `package pkg\n// round ${round} ${'x'.repeat(i)}\n`);
        const created = path.join(root, 'pkg', `new${round}-${i}.go`);
        fs.writeFileSync(created, 'package pkg\n');
        want.add(edited).add(created);
      }
      await w.caughtUp();
      const seen = c.paths();
      expect(
        [...want].filter((p) => !seen.has(p)),
        `round ${round}: changes made before caughtUp() and not delivered by then`,
      ).toEqual([]);
    }
  });

  it('a change found by polling carries when the file was written (its mtime), unless that mtime is further back than a poll could miss', async () => {
    const f = path.join(root, 'a.go');
    const g = path.join(root, 'b.go');
    fs.writeFileSync(f, 'package a\n');
    fs.writeFileSync(g, 'package a\n');
    const { c, w } = poll({ pollIntervalMs: 1000 });
    await w.ready;
    fs.writeFileSync(f, 'package a\n// edited\n');
    await saw(c, f);
    const ev = c.events.find((e) => e.kind === 'change' && e.path === f);
    expect(ev?.kind === 'change' ? ev.writtenAt : undefined, JSON.stringify(ev)).toBeDefined();
    if (ev?.kind !== 'change' || ev.writtenAt === undefined) return;
    expect(ev.at - ev.writtenAt, 'written before it was seen, within the poll interval and its margin').toBeGreaterThanOrEqual(0);
    expect(ev.at - ev.writtenAt).toBeLessThan(2500);
    // An mtime a minute back (a file server's clock behind ours, tar -x, cp -p) is not when this change was made.
    fs.writeFileSync(g, 'package a\n// edited\n');
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(g, past, past);
    await saw(c, g);
    const old = c.events.find((e) => e.kind === 'change' && e.path === g);
    expect(old?.kind === 'change' ? old.writtenAt : 'none', JSON.stringify(old)).toBeUndefined();
  });

  it('the settling re-read reports files and dirs chokidar does not know', async () => {
    fs.mkdirSync(path.join(root, 'known'));
    const fsw = chokidarWatch(root, { usePolling: true, interval: 60_000, ignoreInitial: true });
    try {
      await new Promise<void>((r) => fsw.once('ready', () => r()));
      const unknownFile = path.join(root, 'known', 'new.go');
      fs.writeFileSync(unknownFile, 'package known\n');
      fs.mkdirSync(path.join(root, 'fresh', 'deep'), { recursive: true });
      fs.writeFileSync(path.join(root, 'fresh', 'deep', 'x.go'), 'package deep\n');
      fs.writeFileSync(path.join(root, 'fresh', 'notes.txt'), '');
      fs.mkdirSync(path.join(root, 'node_modules'));
      fs.writeFileSync(path.join(root, 'node_modules', 'y.go'), '');
      const seen: string[] = [];
      await settlePolling(fsw, [root], createTreeRules(watchSettings(root)), (p) => seen.push(p));
      expect(seen.sort()).toEqual([unknownFile, path.join(root, 'fresh', 'deep', 'x.go')].sort());
      await waitFor(() => Object.keys(fsw.getWatched()).includes(path.join(root, 'fresh', 'deep')), {
        timeoutMs: 5000,
        description: 'the unknown dirs handed to chokidar',
      });
    } finally {
      await fsw.close();
    }
  });

  it('never descends excluded trees, never reports irrelevant files, ignores FIFOs', async () => {
    makeTree(path.join(root, 'node_modules'), { dirs: 50, filesPerDir: 5 });
    fs.mkdirSync(path.join(root, '.git'));
    fs.mkdirSync(path.join(root, 'src'));
    execFileSync('mkfifo', [path.join(root, 'src', 'fifo.go')]);
    const { c, w } = poll();
    const ready = await w.ready;
    expect(ready.dirs).toBe(2); // root + src
    fs.writeFileSync(path.join(root, 'node_modules', 'd0', 'f0.go'), 'changed');
    fs.writeFileSync(path.join(root, 'src', 'notes.txt'), 'x');
    fs.writeFileSync(path.join(root, 'src', 'x_test.go'), 'package src');
    const sentinel = path.join(root, 'src', 'ok.go');
    fs.writeFileSync(sentinel, 'package src\n');
    await saw(c, sentinel);
    expect([...c.paths()]).toEqual([sentinel]);
    expect(c.notices.filter((n) => n.level !== 'info')).toEqual([]);
  });

  it('does not follow symlinks out of the root and says so', async () => {
    const outside = makeTmpDir('hotwatch-outside-');
    try {
      fs.symlinkSync(outside.dir, path.join(root, 'ext'));
      const { c, w } = poll();
      await w.ready;
      expect(c.codes()).toContain('SYMLINK_OUTSIDE_ROOT');
      fs.writeFileSync(path.join(outside.dir, 'x.go'), 'package x\n');
      const sentinel = path.join(root, 'after.go');
      fs.writeFileSync(sentinel, 'package main\n');
      await saw(c, sentinel);
      expect([...c.paths()]).toEqual([sentinel]);
    } finally {
      outside.cleanup();
    }
  });
});

describe('createWatcher backend choice', () => {
  it('backend "poll" polls', async () => {
    const c = collector();
    const w = watchers.add(
      createWatcher({
        settings: watchSettings(root, { backend: 'poll' }),
        onEvent: c.onEvent,
        onNotice: c.onNotice,
        signal: new AbortController().signal,
      }),
    );
    expect(await w.ready).toMatchObject({ backend: 'poll', reason: 'watch.backend is "poll"' });
    fs.writeFileSync(path.join(root, 'main.go'), 'package main\n');
    await saw(c, path.join(root, 'main.go'));
  });

  // The mount table is injected here (a real 9p/NFS mount cannot be made on this machine); the table
  // parsing itself is tested on captured samples in test/unit/watch-mounts.test.ts.
  it('auto: a root on 9p is polled from the start, and the reason says why', async () => {
    const mounts = parseMountInfo(`27 1 254:0 / / rw - ext4 /dev/vda rw\n90 27 0:52 / ${root} rw - 9p C:\\134 rw,trans=fd\n`);
    const c = collector();
    const w = watchers.add(
      createWatcher({
        settings: watchSettings(root),
        onEvent: c.onEvent,
        onNotice: c.onNotice,
        signal: new AbortController().signal,
        mounts,
      }),
    );
    const r = await w.ready;
    expect(r.backend).toBe('poll');
    expect(r.reason).toBe('root is on 9p: inotify never sees changes made on the other side of this mount');
  });

  it('auto: a 9p mount inside the tree is polled beside the native watcher', async () => {
    fs.mkdirSync(path.join(root, 'share', 'sub'), { recursive: true });
    fs.mkdirSync(path.join(root, 'local'));
    const mounts = parseMountInfo(`27 1 254:0 / / rw - ext4 /dev/vda rw\n91 27 0:53 / ${root}/share rw - 9p share rw\n`);
    const c = collector();
    const w = watchers.add(
      createWatcher({
        settings: watchSettings(root),
        onEvent: c.onEvent,
        onNotice: c.onNotice,
        signal: new AbortController().signal,
        mounts,
      }),
    );
    const r = await w.ready;
    expect(r.backend).toBe('native');
    expect(r.dirs).toBe(2 + 2); // native: root + local; polled: share + share/sub
    expect(r.reason).toContain('polling ./share (9p)');
    expect(c.codes()).toContain('POLL_MOUNT');
    const inShare = path.join(root, 'share', 'sub', 'x.go');
    fs.writeFileSync(inShare, 'package sub\n');
    await saw(c, inShare, 'an edit in the polled mount');
    const local = path.join(root, 'local', 'y.go');
    fs.writeFileSync(local, 'package local\n');
    await saw(c, local, 'an edit in the natively watched part');
  });
});
