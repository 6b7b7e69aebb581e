import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  effectiveInstanceLimit,
  effectiveWatchLimit,
  inotifyUsageByUser,
  inotifyUsageOf,
  parseFdinfoWatches,
  parseProcInt,
  parseStatusEuid,
  readInotifyLimits,
} from '../../src/os/inotify.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { isAlive, waitFor } from '../helpers/wait.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/proc');
const fdinfo = (name: string) => fs.readFileSync(path.join(FIX, 'fdinfo', name), 'utf8');

describe('parseFdinfoWatches (captured fdinfo of several kernels)', () => {
  it.each([
    ['linux-6.18-3-watches.txt', 3],
    ['linux-6.18-empty.txt', 0],
    ['linux-3.10-rhel7.txt', 2],
    ['linux-4.19-no-exportfs.txt', 4],
    ['linux-5.15-wsl2.txt', 1],
    ['fanotify-5.10.txt', 0],
    ['regular-file.txt', 0],
  ])('%s has %i watches', (file, n) => {
    expect(parseFdinfoWatches(fdinfo(file))).toBe(n);
  });

  it('ignores CRLF and leading spaces, counts nothing in an empty text', () => {
    expect(parseFdinfoWatches('pos:\t0\r\n  inotify wd:1 ino:2 sdev:3 mask:fc6\r\ninotify wd:2 ino:3\r\n')).toBe(2);
    expect(parseFdinfoWatches('')).toBe(0);
  });
});

describe('small parsers', () => {
  it('parseProcInt', () => {
    expect(parseProcInt('8192\n')).toBe(8192);
    expect(parseProcInt(' 16384 ')).toBe(16384);
    expect(parseProcInt('')).toBeUndefined();
    expect(parseProcInt('abc')).toBeUndefined();
    expect(parseProcInt(undefined)).toBeUndefined();
    expect(parseProcInt('99999999999999999999')).toBeUndefined();
  });
  it('parseStatusEuid reads the effective uid', () => {
    expect(parseStatusEuid('Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t1\t1\t1\t1\n')).toBe(0);
    expect(parseStatusEuid('Name:\tx\n')).toBeUndefined();
  });
});

describe('readInotifyLimits on fixture layouts', () => {
  const layout = (name: string) => readInotifyLimits(path.join(FIX, 'layouts', name));
  it('reads every field of a modern kernel', () => {
    const l = layout('linux-6.18-vm');
    expect(l).toEqual({
      maxUserInstances: 128,
      maxUserWatches: 192536,
      maxQueuedEvents: 16384,
      userNs: { maxInotifyInstances: 128, maxInotifyWatches: 192536 },
    });
    expect(effectiveWatchLimit(l)).toBe(192536);
  });
  it('an old kernel without user-namespace limits leaves them undefined', () => {
    const l = layout('rhel-7-kernel-3.10');
    expect(l.maxUserWatches).toBe(8192);
    expect(l.userNs).toEqual({ maxInotifyInstances: undefined, maxInotifyWatches: undefined });
    expect(effectiveWatchLimit(l)).toBe(8192);
    expect(effectiveInstanceLimit(l)).toBe(128);
  });
  it('a lowered user-namespace limit wins', () => {
    expect(effectiveWatchLimit(layout('userns-lowered'))).toBe(100);
  });
  it('no /proc at all (macOS): everything undefined, no throw', () => {
    const l = layout('macos-no-proc');
    expect(l.maxUserWatches).toBeUndefined();
    expect(effectiveWatchLimit(l)).toBeUndefined();
    expect(inotifyUsageByUser(0, { procDir: path.join(FIX, 'layouts', 'macos-no-proc', 'nope') })).toEqual({
      instances: 0,
      watches: 0,
      top: [],
      processes: 0,
      unreadable: 0,
    });
    expect(inotifyUsageOf(1, path.join(FIX, 'layouts', 'macos-no-proc'))).toBeUndefined();
  });
});

describe('real /proc of this machine', () => {
  let child: ChildProcess | undefined;
  let tmp: { dir: string; cleanup: () => void };
  let pid = 0;

  beforeAll(async () => {
    tmp = makeTmpDir();
    for (const d of ['a', 'b', 'c']) fs.mkdirSync(path.join(tmp.dir, d));
    // A real process holding one inotify instance with 4 watches (root + 3 dirs), reporting its pid.
    const script = `
      const fs = require('node:fs'); const path = require('node:path');
      const root = process.argv[1];
      const ws = [root, ...['a','b','c'].map((d) => path.join(root, d))].map((d) => fs.watch(d));
      process.stdout.write('ready ' + process.pid + '\\n');
      setInterval(() => {}, 1000);`;
    child = spawn(process.execPath, ['-e', script, tmp.dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    pid = await waitFor(() => Number(/ready (\d+)/.exec(out)?.[1]) || undefined, {
      timeoutMs: 10_000,
      description: 'watcher child reports ready',
    });
  });

  afterAll(async () => {
    if (child?.pid) {
      child.kill('SIGKILL');
      await waitFor(() => !isAlive(child!.pid!), { timeoutMs: 5000, description: 'watcher child gone' });
    }
    tmp?.cleanup();
  });

  it('reads the real limits', () => {
    const l = readInotifyLimits();
    expect(l.maxUserWatches).toBeGreaterThan(0);
    expect(l.maxUserInstances).toBeGreaterThan(0);
    expect(l.maxQueuedEvents).toBeGreaterThan(0);
  });

  it('counts the watches of one process', () => {
    expect(inotifyUsageOf(pid)).toEqual({ instances: 1, watches: 4 });
    expect(inotifyUsageOf(999_999_999)).toBeUndefined();
    // This test process holds none (vitest runs no watchers in forks).
    expect(inotifyUsageOf('self')).toEqual({ instances: 0, watches: 0 });
  });

  it('counts the user and names the consumer with its command line', () => {
    const u = inotifyUsageByUser(process.getuid!(), { topN: 1000 });
    expect(u.instances).toBeGreaterThanOrEqual(1);
    expect(u.watches).toBeGreaterThanOrEqual(4);
    const mine = u.top.find((c) => c.pid === pid);
    expect(mine).toMatchObject({ instances: 1, watches: 4 });
    expect(mine!.cmd).toContain(process.execPath);
    // Another uid sees none of it.
    expect(inotifyUsageByUser(54_321).top.find((c) => c.pid === pid)).toBeUndefined();
  });
});

describe('parseFdinfoWatches: the kernel prints wd in hex', () => {
  it('counts wd:a and wd:fff lines', () => {
    const text = [
      'pos:\t0',
      'flags:\t02004000',
      'inotify wd:fff ino:3c4b9 sdev:fe00000 mask:fc6 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:b9c4030000000000',
      'inotify wd:a ino:13 sdev:fe00000 mask:fc6 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:1300000000000000',
      'inotify wd:9 ino:14 sdev:fe00000 mask:fc6 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:1400000000000000',
    ].join('\n');
    expect(parseFdinfoWatches(text)).toBe(3);
  });
});
