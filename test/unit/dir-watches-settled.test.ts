/**
 * DirWatches says when its map is ahead of the kernel: while watches are being made (the helper answers
 * later), a coverage audit would count directories the kernel was not yet asked for as lost. The opener
 * here is a stand-in for the helper's round trip (its answer held until the test releases it).
 */
import { describe, expect, it } from 'vitest';
import { DirWatches } from '../../src/watch/native/engine/dir-watches.js';
import type { WatchOpener } from '../../src/watch/native/engine/openers.js';

function heldOpener() {
  let release!: () => void;
  const answered = new Promise<void>((r) => (release = r));
  const opener: WatchOpener = { open: () => ({ close: () => undefined }), settle: () => answered };
  return { opener, release };
}

describe('DirWatches.settled', () => {
  it('is false while armMany waits for the watches to be made, true once they are', async () => {
    const h = heldOpener();
    const w = new DirWatches(
      () => undefined,
      () => undefined,
      h.opener,
    );
    expect(w.settled).toBe(true);
    const arming = w.armMany([
      { dir: '/r', st: { dev: 1, ino: 1 } },
      { dir: '/r/pkg', st: { dev: 1, ino: 2 } },
    ]);
    expect(w.distinctInodes(), 'the map already lists both').toBe(2);
    expect(w.settled).toBe(false);
    h.release();
    expect((await arming).size).toBe(0);
    expect(w.settled).toBe(true);
  });

  it('is true again when making the watches failed outright', async () => {
    const w = new DirWatches(
      () => undefined,
      () => undefined,
      { open: () => ({ close: () => undefined }), settle: () => Promise.reject(new Error('helper gone')) },
    );
    await expect(w.armMany([{ dir: '/r', st: { dev: 1, ino: 1 } }])).rejects.toThrow('helper gone');
    expect(w.settled).toBe(true);
  });
});

describe('DirWatches.distinctInodes (what the kernel holds watches for)', () => {
  it('counts a (device, inode) pair once, whatever paths share it, and the same inode on two devices twice', async () => {
    const h = heldOpener();
    const w = new DirWatches(
      () => undefined,
      () => undefined,
      h.opener,
    );
    const arming = w.armMany([
      { dir: '/r', st: { dev: 1, ino: 1 } },
      { dir: '/r/a', st: { dev: 1, ino: 2 } },
      { dir: '/r/bind-of-a', st: { dev: 1, ino: 2 } }, // a bind mount: one kernel watch for two paths
      { dir: '/r/mnt', st: { dev: 2, ino: 2 } }, // another filesystem's inode 2
      { dir: '/r/big', st: { dev: 1, ino: 2 ** 40 } }, // an inode number past the unboxed range
    ]);
    h.release();
    await arming;
    expect(w.size).toBe(5);
    expect(w.distinctInodes()).toBe(4);
  });
});
