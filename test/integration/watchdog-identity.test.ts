/**
 * Directory identity against the real kernel: a directory deleted and recreated at once usually gets the
 * SAME inode number back (ext4, tmpfs), while the kernel dropped the old watch. (dev, ino) alone then
 * says "same dir" and the new one stays unwatched, in silence. Found by the fault suite; fixed with the
 * birth time and the parent's create/delete event. Needs `npx tsc -p .` first (the worker runs from dist/).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NativeWatcher } from '../../src/watch/native/host.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { watchSettings } from '../helpers/watch-tree.js';
import { closer, collector } from '../helpers/watch-collect.js';

let tmp: { dir: string; cleanup: () => void };
const watchers = closer();
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-ident-');
});
afterEach(async () => {
  await watchers.closeAll();
  tmp.cleanup();
});

describe('directory identity (inode numbers are reused)', () => {
  it('src/ rm -rf + mkdir, 10 times: each new src/ is watched (later edits in it are seen)', async () => {
    const root = tmp.dir;
    const src = path.join(root, 'src');
    fs.mkdirSync(src);
    const c = collector();
    const w = watchers.add(
      new NativeWatcher({ settings: watchSettings(root), onEvent: c.onEvent, onNotice: c.onNotice, signal: new AbortController().signal }),
    );
    await w.ready;
    let reused = 0;
    for (let i = 0; i < 10; i++) {
      const before = fs.statSync(src).ino;
      fs.rmSync(src, { recursive: true, force: true });
      fs.mkdirSync(src);
      if (fs.statSync(src).ino === before) reused++;
      const first = path.join(src, `first${i}.go`);
      fs.writeFileSync(first, 'package src\n');
      await waitFor(() => c.paths().has(first), { description: `round ${i}: the file written with the new src/`, timeoutMs: 5000 });
      const later = path.join(src, `later${i}.go`);
      fs.writeFileSync(later, 'package src\n');
      await waitFor(() => c.paths().has(later), {
        description: `round ${i}: a later edit in the new src/ (is it watched?)`,
        timeoutMs: 5000,
      });
    }
    console.info(`inode number reused in ${reused} of 10 rounds`);
    expect(c.notices.filter((n) => n.level !== 'info')).toEqual([]);
    // A count asked for at each look (a ping with an audit, at most one a second): once the tree is quiet
    // the heartbeat's own counts are 30 s apart, and the last one may have been taken mid-change.
    await waitFor(
      () => {
        w.worker.pingNow(true);
        return w.stats()?.watchesFresh === true && w.stats()?.watches === w.stats()?.inodes;
      },
      { description: 'the kernel holds one watch per armed directory', timeoutMs: 20_000 },
    );
  });
});
