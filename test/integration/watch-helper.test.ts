/**
 * The inotify helper (hotwatch-inotify) that holds the native watcher's watches on Linux, against the real
 * kernel: it is built and used, a real IN_Q_OVERFLOW reaches the engine, a killed helper is reported (and
 * replaced by a re-arm), and with the helper turned off fs.watch takes over (and says so).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { helperChildren, watchesOfProcess, watchesWithHelpers } from '../../src/os/inotify-fds.js';
import { inotifyHelper } from '../../src/watch/native/helper/build.js';
import { NativeWatcher } from '../../src/watch/native/host.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { makeTree, watchSettings } from '../helpers/watch-tree.js';
import { closer, collector } from '../helpers/watch-collect.js';

let tmp: { dir: string; cleanup: () => void };
let root: string;
const watchers = closer();
const stopped: number[] = [];

beforeEach(() => {
  tmp = makeTmpDir('hotwatch-helper-');
  root = tmp.dir;
});
afterEach(async () => {
  for (const pid of stopped.splice(0)) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
  }
  await watchers.closeAll();
  tmp.cleanup();
});

function native(extra: Partial<ConstructorParameters<typeof NativeWatcher>[0]> = {}) {
  const c = collector();
  const ac = new AbortController();
  const w = watchers.add(
    new NativeWatcher({ settings: watchSettings(root), onEvent: c.onEvent, onNotice: c.onNotice, signal: ac.signal, ...extra }),
  );
  return { c, w };
}

const sawPath = (c: ReturnType<typeof collector>, p: string, description = `a change event for ${p}`) =>
  waitFor(() => c.paths().has(p), { timeoutMs: 10_000, description });

describe('inotify helper (Linux)', () => {
  it('holds every watch: this process holds none, the helper one per directory, and they go with close()', async () => {
    const made = makeTree(path.join(root, 'internal'), { dirs: 40, filesPerDir: 1 });
    const helper = await inotifyHelper();
    if (!('path' in helper)) throw new Error(`the helper should be available here: ${helper.unavailable}`);
    const { c, w } = native();
    const ready = await w.ready;
    expect(ready.reason).toContain('hotwatch-inotify');
    expect(c.codes()).not.toContain('INOTIFY_HELPER_UNAVAILABLE');
    const kids = helperChildren('self');
    expect(kids).toHaveLength(1);
    expect(watchesOfProcess('self')).toBe(0);
    expect(watchesOfProcess(kids[0]!)).toBe(made.length + 2); // + root + internal
    await w.close();
    await waitFor(() => helperChildren('self').length === 0, { timeoutMs: 5000, description: 'the helper gone after close()' });
    expect(watchesWithHelpers('self')).toBe(0);
  });

  it('a real kernel queue overflow (helper stopped during 40,000 events) → IN_Q_OVERFLOW seen, one overflow report, edits after it still seen', async () => {
    const limit = Number(fs.readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8'));
    const dir = path.join(root, 'gen');
    fs.mkdirSync(dir);
    const { c, w } = native();
    await w.ready;
    const [pid] = helperChildren('self');
    process.kill(pid!, 'SIGSTOP');
    stopped.push(pid!);
    // Each new file is IN_CREATE + IN_MODIFY: twice the queue's length overflows it for sure.
    for (let i = 0; i < limit; i++) fs.writeFileSync(path.join(dir, `f${i}.go`), 'package gen\n');
    process.kill(pid!, 'SIGCONT');
    await waitFor(() => c.notices.some((n) => n.code === 'OVERFLOW_SUSPECTED' && n.message.includes('IN_Q_OVERFLOW')), {
      timeoutMs: 20_000,
      description: 'the overflow notice naming IN_Q_OVERFLOW',
    });
    expect(c.notices.filter((n) => n.code === 'OVERFLOW_SUSPECTED' && n.message.includes('IN_Q_OVERFLOW'))).toHaveLength(1);
    const after = path.join(dir, 'after.go');
    fs.writeFileSync(after, 'package gen\n');
    await sawPath(c, after, 'an edit after the overflow');
  });

  it('the helper killed → WATCHER_CRASHED reported for the watchdog; its re-arm gives a fresh helper with every watch again, events resume', async () => {
    makeTree(path.join(root, 'pkg'), { dirs: 5, filesPerDir: 1 });
    const { c, w } = native();
    const ready = await w.ready;
    const [first] = helperChildren('self');
    process.kill(first!, 'SIGKILL');
    await waitFor(() => c.codes().includes('WATCHER_CRASHED'), { timeoutMs: 10_000, description: 'WATCHER_CRASHED' });
    const crashed = c.notices.find((n) => n.code === 'WATCHER_CRASHED')!;
    expect(crashed.message).toMatch(/inotify helper .*SIGKILL/);
    expect(crashed.health).toEqual({ kind: 'deaf', scope: 'watcher', cause: 'backend-error', selfHealing: false });
    await w.rearmNow(10_000);
    const [second] = helperChildren('self');
    expect(second).not.toBe(first);
    expect(watchesOfProcess(second!)).toBe(ready.dirs);
    const p = path.join(root, 'pkg', 'later.go');
    fs.writeFileSync(p, 'package pkg\n');
    await sawPath(c, p, 'an edit after the restart');
  });

  it('re-arms replace the helper without leaving zombies behind (each old helper is reaped)', async () => {
    const { w } = native();
    await w.ready;
    for (let i = 0; i < 3; i++) await w.rearmNow(10_000);
    // Children of every thread (the helper is the watcher thread's child).
    const zombies = (): number[] =>
      fs
        .readdirSync(`/proc/${process.pid}/task`)
        .flatMap((t) => fs.readFileSync(`/proc/${process.pid}/task/${t}/children`, 'utf8').split(' '))
        .filter((p) => p.trim() !== '')
        .filter((p) => {
          try {
            return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8'));
          } catch {
            return false;
          }
        })
        .map(Number);
    expect(zombies()).toEqual([]);
    expect(helperChildren('self')).toHaveLength(1);
  });

  it('HOTWATCH_INOTIFY_HELPER=off → fs.watch holds the watches (in this process), said in an info notice', async () => {
    const helper = await inotifyHelper({ ...process.env, HOTWATCH_INOTIFY_HELPER: 'off' });
    expect(helper).toEqual({ unavailable: 'turned off by HOTWATCH_INOTIFY_HELPER=off' });
    const { c, w } = native({ helper });
    const ready = await w.ready;
    expect(ready.reason).toContain('fs.watch');
    const n = c.notices.find((x) => x.code === 'INOTIFY_HELPER_UNAVAILABLE');
    expect(n?.level).toBe('info');
    expect(helperChildren('self')).toHaveLength(0);
    expect(watchesOfProcess('self')).toBe(ready.dirs);
    const p = path.join(root, 'main.go');
    fs.writeFileSync(p, 'package main\n');
    await sawPath(c, p);
  });

  it('a helper that cannot be built → fs.watch, with a warning that names why and the fix', async () => {
    const cache = makeTmpDir('hotwatch-helper-cache-');
    try {
      // No go on PATH: the build fails; the watcher must still work, loudly degraded.
      const helper = await inotifyHelper({ ...process.env, HOTWATCH_CACHE_DIR: cache.dir, PATH: '/nonexistent' });
      expect('unavailable' in helper && helper.unavailable).toMatch(/go is not on PATH/);
      const { c, w } = native({ helper });
      await w.ready;
      const n = c.notices.find((x) => x.code === 'INOTIFY_HELPER_UNAVAILABLE');
      expect(n?.level).toBe('warn');
      expect(n?.hint).toMatch(/go build/);
    } finally {
      cache.cleanup();
    }
  });
});
