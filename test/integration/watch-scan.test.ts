/** scanTree on real trees: what a watcher needs (used by doctor and the content index). */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMountInfo } from '../../src/os/mounts.js';
import { scanTree } from '../../src/watch/tree/scan.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { makeTree, watchSettings } from '../helpers/watch-tree.js';

let tmp: { dir: string; cleanup: () => void };
let root: string;
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-scan-');
  root = tmp.dir;
});
afterEach(() => tmp.cleanup());

const signal = () => AbortSignal.timeout(30_000);

describe('scanTree', () => {
  it('lists the dirs to watch, never excluded trees, and the relevant files when asked', async () => {
    const made = makeTree(path.join(root, 'src'), { dirs: 20, filesPerDir: 2 });
    makeTree(path.join(root, 'node_modules'), { dirs: 30, filesPerDir: 1 });
    fs.mkdirSync(path.join(root, '.git', 'objects'), { recursive: true });
    fs.mkdirSync(path.join(root, '.hotwatch', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(root, 'go.mod'), 'module x\n');
    fs.writeFileSync(path.join(root, 'main_test.go'), 'package main\n');
    execFileSync('mkfifo', [path.join(root, 'fifo.go')]);
    const r = await scanTree(watchSettings(root), { signal: signal(), files: true });
    expect(r.dirs).toEqual([root, path.join(root, 'src'), ...made].sort());
    expect(r.files).toEqual([path.join(root, 'go.mod'), ...made.flatMap((d) => [path.join(d, 'f0.go'), path.join(d, 'f1.go')])].sort());
    expect(r.notices).toEqual([]);
    const noFiles = await scanTree(watchSettings(root), { signal: signal() });
    expect(noFiles.files).toEqual([]);
    expect(noFiles.dirs).toEqual(r.dirs);
  });

  it('symlinks: a loop is harmless, one outside the root gives one notice, one inside is covered', async () => {
    const outside = makeTmpDir('hotwatch-outside-');
    try {
      fs.mkdirSync(path.join(root, 'a'));
      fs.symlinkSync(path.join(root, 'a'), path.join(root, 'a', 'loop'));
      fs.symlinkSync(path.join(root, 'a'), path.join(root, 'inside'));
      fs.symlinkSync(outside.dir, path.join(root, 'out1'));
      fs.symlinkSync('missing', path.join(root, 'dangling'));
      const r = await scanTree(watchSettings(root), { signal: signal() });
      expect(r.dirs).toEqual([root, path.join(root, 'a')]);
      expect(r.notices.map((n) => [n.code, n.path])).toEqual([['SYMLINK_OUTSIDE_ROOT', path.join(root, 'out1')]]);
    } finally {
      outside.cleanup();
    }
  });

  it('special mounts from the mount table: tmpfs skipped with the fix, 9p listed for polling, includeMounts honoured', async () => {
    for (const d of ['cache/x', 'share/y', 'kept/z', 'src']) fs.mkdirSync(path.join(root, d), { recursive: true });
    const mounts = parseMountInfo(
      [
        '27 1 254:0 / / rw - ext4 /dev/vda rw',
        `50 27 0:40 / ${root}/cache rw - tmpfs none rw`,
        `51 27 0:41 / ${root}/share rw - 9p share rw,trans=virtio`,
        `52 27 0:42 / ${root}/kept rw - tmpfs none rw`,
      ].join('\n'),
    );
    const s = watchSettings(root, { includeMounts: [path.join(root, 'kept')] });
    const r = await scanTree(s, { signal: signal(), mounts });
    expect(r.dirs).toEqual([root, 'kept', 'kept/z', 'src'].map((d) => (d === root ? d : path.join(root, d))));
    expect(r.skippedMounts).toEqual([
      { path: path.join(root, 'cache'), fsType: 'tmpfs', reason: expect.stringContaining('usually holds scratch or build output') },
    ]);
    expect(r.pollMounts).toEqual([
      { path: path.join(root, 'share'), fsType: '9p', reason: expect.stringContaining('do not produce inotify events') },
    ]);
    const skip = r.notices.find((n) => n.code === 'SKIP_MOUNT');
    expect(skip?.hint).toContain('"cache" to watch.includeMounts');
    const native = await scanTree(s, { signal: signal(), mounts, descendPollMounts: true });
    expect(native.dirs).toContain(path.join(root, 'share', 'y'));
    expect(native.pollMounts).toEqual([]);
  });

  it('a tmpfs holding Go sources (generated code the build compiles) is watched all the same, said at info', async () => {
    for (const d of ['gen/api', 'scratch/deep']) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.writeFileSync(path.join(root, 'gen/api/api.go'), 'package api\n');
    fs.writeFileSync(path.join(root, 'scratch/deep/x.json'), '{}\n');
    const mounts = parseMountInfo(
      [
        '27 1 254:0 / / rw - ext4 /dev/vda rw',
        `50 27 0:40 / ${root}/gen rw - tmpfs none rw`,
        `51 27 0:41 / ${root}/scratch rw - tmpfs none rw`,
      ].join('\n'),
    );
    const r = await scanTree(watchSettings(root), { signal: signal(), mounts });
    expect(r.dirs).toEqual([root, path.join(root, 'gen'), path.join(root, 'gen/api')]);
    expect(r.skippedMounts.map((m) => m.path)).toEqual([path.join(root, 'scratch')]);
    expect(r.notices.find((n) => n.code === 'MOUNT_HOLDS_GO')).toMatchObject({
      level: 'info',
      message: 'watching ./gen although it is a tmpfs mount: it holds Go sources, which the build may compile',
    });
  });

  it('an unreadable root rejects with ROOT_UNREADABLE; an aborted signal rejects', async () => {
    await expect(scanTree(watchSettings(path.join(root, 'nope')), { signal: signal() })).rejects.toMatchObject({ code: 'ROOT_UNREADABLE' });
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(scanTree(watchSettings(root), { signal: ac.signal })).rejects.toThrow('stop');
  });
});
