/**
 * Kernel limits, mounts and overflow against the real kernel: the watcher runs in a child node process
 * (from dist/) inside `unshare -Ur` / `unshare -Urm`, where the user-namespace inotify limits can be
 * lowered and a tmpfs mounted, without touching the host. Needs `npx tsc -p .` first. The limit cases run
 * the watcher behind the watchdog with `watchdog.enabled: false` (no budget before arming): the backend
 * only reports that native watching cannot start or go on, and the watchdog falls back to polling.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { makeTree } from '../helpers/watch-tree.js';
import { childCommand, startChild, type ChildWatcher } from '../helpers/watch-child.js';

let tmp: { dir: string; cleanup: () => void };
let root: string;
const children: ChildWatcher[] = [];

beforeAll(() => {
  // These cases need user namespaces; fail loudly (never skip silently) where they are not allowed.
  try {
    execFileSync('unshare', ['-Urm', 'sh', '-c', 'echo 5 > /proc/sys/user/max_inotify_watches && mount -t tmpfs none /mnt']);
  } catch (e) {
    throw new Error(`these tests need \`unshare -Urm\` with writable /proc/sys/user/max_inotify_*: ${String(e)}`);
  }
  if (!fs.existsSync(path.join(import.meta.dirname, '../../dist/watch/backend.js'))) {
    throw new Error('dist/ is missing: run `npx tsc -p .` before these tests');
  }
});
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-limits-');
  root = tmp.dir;
});
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.stop()));
  tmp.cleanup();
});

/** The watcher in a child process, optionally inside `unshare <flags> sh -c '<setup> && node ...'`. */
function child(unshare?: { flags: string; setup: string }, over: object = {}, native: object = {}, watchdog?: object): ChildWatcher {
  const cmd = childCommand(root, over, native, watchdog);
  const c = startChild(unshare ? ['unshare', unshare.flags, 'sh', '-c', `${unshare.setup} && ${cmd}`] : ['sh', '-c', cmd]);
  children.push(c);
  return c;
}

/** The watchdog with its own checks off (no budget before arming, no sentinels): recovery stays on. */
const WATCHDOG_OFF = { enabled: false, intervalMs: 500, auditIntervalMs: 30_000, overBudget: 'poll' };
const ERROR = 50;
const WARN = 40;

const isEvent = (p: string) => (l: Record<string, unknown>) => l.type === 'event' && l.kind === 'change' && l.path === p;

describe('special mounts', () => {
  it('a tmpfs mounted inside the tree is reported (SKIP_MOUNT) and not watched', async () => {
    fs.mkdirSync(path.join(root, 'cache'));
    fs.mkdirSync(path.join(root, 'src'));
    const mnt = path.join(root, 'cache');
    const c = child({ flags: '-Urm', setup: `mount -t tmpfs none '${mnt}' && mkdir '${mnt}/a' '${mnt}/b'` });
    const ready = await c.waitLine((l) => l.type === 'ready' || l.type === 'error', 'ready');
    expect(ready).toMatchObject({ type: 'ready', backend: 'native', dirs: 2 }); // root + src; none of the tmpfs
    const n = await c.waitLine((l) => l.type === 'notice' && l.code === 'SKIP_MOUNT', 'the SKIP_MOUNT notice');
    expect(n.path).toBe(mnt);
    expect(n.message).toContain('tmpfs');
    expect(n.hint).toContain('watch.includeMounts');
    const edit = path.join(root, 'src', 'x.go');
    fs.writeFileSync(edit, 'package src\n');
    await c.waitLine(isEvent(edit), 'an edit outside the tmpfs is still seen');
  });

  it('watch.includeMounts watches the tmpfs anyway', async () => {
    fs.mkdirSync(path.join(root, 'cache'));
    const mnt = path.join(root, 'cache');
    const c = child({ flags: '-Urm', setup: `mount -t tmpfs none '${mnt}' && mkdir '${mnt}/a'` }, { includeMounts: [mnt] });
    const ready = await c.waitLine((l) => l.type === 'ready' || l.type === 'error', 'ready');
    expect(ready).toMatchObject({ type: 'ready', backend: 'native', dirs: 3 });
    expect(c.lines.filter((l) => l.code === 'SKIP_MOUNT')).toEqual([]);
  });
});

describe('inotify limits', () => {
  it('no inotify instance left (max_user_instances lowered to the usage) → the instance-limit message, polling, edits seen', async () => {
    fs.writeFileSync(path.join(root, 'main.go'), 'package main\n');
    // A fresh user namespace charges nothing yet: its usage is 0, so 0 is "lowered to the current usage".
    const c = child({ flags: '-Ur', setup: 'echo 0 > /proc/sys/user/max_inotify_instances' }, {}, {}, WATCHDOG_OFF);
    const n = await c.waitLine(
      (l) => l.type === 'log' && l.event === 'watch.fallback',
      'the fallback line with the instance-limit message',
    );
    expect(n.level).toBe(ERROR);
    expect(n.reason).toContain('inotify instance limit (user.max_inotify_instances)'); // the namespace's limit binds
    expect(n.reason).not.toMatch(/^EMFILE|too many open files/);
    expect(n.hint).toMatch(/sysctl -w user\.max_inotify_instances=\d+ \(a sysctl\.d file would not help/);
    const ready = await c.waitLine((l) => l.type === 'ready' || l.type === 'error', 'ready');
    expect(ready).toMatchObject({ type: 'ready', backend: 'poll' });
    expect(ready.reason).toContain('instance limit');
    fs.writeFileSync(path.join(root, 'main.go'), 'package main // v2\n');
    await c.waitLine(isEvent(path.join(root, 'main.go')), 'the edit seen by polling');
  });

  it('max_user_watches below the tree → the watch-limit message with the sysctl fix, polling, edits seen', async () => {
    makeTree(root, { dirs: 40, filesPerDir: 1 });
    const c2 = child({ flags: '-Ur', setup: 'echo 10 > /proc/sys/user/max_inotify_watches' }, {}, {}, WATCHDOG_OFF);
    const n = await c2.waitLine((l) => l.type === 'log' && l.event === 'watch.fallback', 'the fallback line with the watch-limit message');
    expect(n.level).toBe(ERROR);
    expect(n.reason).toContain('needs 41 watches');
    // The namespace's limit binds (the host's is far above the tree): its own fix, not a sysctl.d file.
    expect(n.hint).toMatch(/sysctl -w user\.max_inotify_watches=\d+ \(a sysctl\.d file would not help/);
    expect(n.hint).not.toContain('/etc/sysctl.d/');
    const ready = await c2.waitLine((l) => l.type === 'ready' || l.type === 'error', 'ready');
    expect(ready).toMatchObject({ type: 'ready', backend: 'poll', dirs: 41 });
    const edit = path.join(root, 'd3', 'f0.go');
    fs.writeFileSync(edit, 'package x // v2\n');
    await c2.waitLine(isEvent(edit), 'the edit seen by polling');
  });

  it('the watch limit reached later by new dirs → watch.deaf watch-limit, the watchdog falls back to polling, edits in new dirs seen', async () => {
    makeTree(root, { dirs: 5 });
    const c = child({ flags: '-Ur', setup: 'echo 8 > /proc/sys/user/max_inotify_watches' }, {}, {}, WATCHDOG_OFF);
    expect(await c.waitLine((l) => l.type === 'ready' || l.type === 'error', 'ready')).toMatchObject({ backend: 'native', dirs: 6 });
    for (let i = 0; i < 6; i++) fs.mkdirSync(path.join(root, `new${i}`));
    const n = await c.waitLine((l) => l.type === 'log' && l.event === 'watch.deaf', 'the watch-limit loss');
    // Loud once, at warn, with the fix: polling serves every edit from then on (not an outage).
    expect(n).toMatchObject({ level: WARN, scope: 'watcher', cause: 'watch-limit' });
    expect(n.detail).toContain('falling back to polling');
    expect(n.hint).toMatch(/sysctl -w user\.max_inotify_watches=\d+/);
    const polling = await c.waitLine((l) => l.type === 'log' && l.event === 'watch.fallback', 'polling started');
    expect(polling, 'the fallback after a kernel limit is a warn, the fix not repeated').toMatchObject({ level: WARN });
    expect(polling.hint).toBeUndefined();
    const edit = path.join(root, 'new5', 'x.go');
    fs.writeFileSync(edit, 'package x\n');
    await c.waitLine(isEvent(edit), 'an edit in a new dir seen by polling');
  });
});

describe('kernel queue overflow', () => {
  it('SIGSTOP (longer than the heartbeat deadline) while 20,000 files are written → ONE overflow report, no false hang, a dir created meanwhile is watched', async () => {
    fs.mkdirSync(path.join(root, 'bulk'));
    const c = child(undefined, {}, { heartbeat: { intervalMs: 100, deadlineMs: 1000 } });
    const ready = await c.waitLine((l) => l.type === 'ready' || l.type === 'error', 'ready');
    expect(ready).toMatchObject({ backend: 'native' });
    const pid = ready.pid as number;
    const stoppedAt = Date.now();
    process.kill(pid, 'SIGSTOP');
    try {
      for (let i = 0; i < 20_000; i++) fs.writeFileSync(path.join(root, 'bulk', `f${i}.txt`), '');
      fs.mkdirSync(path.join(root, 'late'));
      fs.writeFileSync(path.join(root, 'late', 'first.go'), 'package late\n');
      // The fault lasts at least 2.5 s: well past the 1 s heartbeat deadline.
      await new Promise((r) => setTimeout(r, Math.max(0, 2500 - (Date.now() - stoppedAt))));
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const r = await c.waitLine((l) => l.type === 'notice' && l.code === 'OVERFLOW_SUSPECTED', 'the overflow report');
    expect(String(r.message)).toMatch(/stalled|burst/);
    await c.waitLine(isEvent(path.join(root, 'late', 'first.go')), 'the file in the dir created while stopped');
    const after = path.join(root, 'late', 'after.go');
    fs.writeFileSync(after, 'package late\n');
    await c.waitLine(isEvent(after), 'a later edit in that dir');
    expect(c.lines.filter((l) => l.type === 'notice' && l.code === 'OVERFLOW_SUSPECTED')).toHaveLength(1);
    expect(c.lines.filter((l) => l.type === 'notice' && l.level !== 'info')).toEqual([]);
  });
});
