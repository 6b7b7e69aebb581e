/** The snapshot diff on real files: what changed under a scope since a watermark (ctime/mtime), new and gone files. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Snapshot } from '../../src/watch/watchdog/snapshot.js';
import { scanTree } from '../../src/watch/tree/scan.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { watchSettings } from '../helpers/watch-tree.js';

let tmp: { dir: string; cleanup: () => void };
let root: string;
const sig = () => AbortSignal.timeout(10_000);

beforeEach(() => {
  tmp = makeTmpDir('hotwatch-snap-');
  root = tmp.dir;
  for (const d of ['a', 'b', 'node_modules/x']) fs.mkdirSync(path.join(root, d), { recursive: true });
  for (const f of ['main.go', 'a/one.go', 'a/two.go', 'b/three.go', 'b/readme.txt', 'node_modules/x/y.go'])
    fs.writeFileSync(path.join(root, f), 'x\n');
});
afterEach(() => tmp.cleanup());

async function seeded(): Promise<Snapshot> {
  const s = new Snapshot(watchSettings(root));
  s.seed((await scanTree(watchSettings(root), { signal: sig(), files: true })).files);
  return s;
}

describe('Snapshot', () => {
  it('seeds the relevant files only', async () => {
    expect((await seeded()).size).toBe(4);
  });

  it("the start's arming listing: kept at once, the set filled later; unseeded until then (callers assume a change)", async () => {
    const { files, dirs } = await scanTree(watchSettings(root), { signal: sig(), files: true });
    const s = new Snapshot(watchSettings(root));
    s.seedLater(files, dirs);
    expect(s.knownUnder(path.join(root, 'a')), 'not seeded yet: the caller must assume something changed').toBeUndefined();
    expect(s.size).toBe(0);
    s.fillPending();
    expect(s.size).toBe(4);
    s.fillPending(); // once
    expect(s.size).toBe(4);
    expect(s.knownUnder(path.join(root, 'a'))?.sort()).toEqual([path.join(root, 'a', 'one.go'), path.join(root, 'a', 'two.go')]);
    expect(s.takeArmingListing()).toEqual({ files, dirs });
    expect(s.takeArmingListing(), 'taken once').toBeUndefined();
    // A seed asked for meanwhile (a reload's) wins over the pending fill of the start's listing.
    const later = new Snapshot(watchSettings(root));
    later.seedLater([...files, path.join(root, 'gone.go')], dirs);
    later.seed(files);
    later.fillPending();
    expect(later.size).toBe(4);
  });

  it('a watermark in the future: only created and deleted files are reported', async () => {
    const s = await seeded();
    fs.writeFileSync(path.join(root, 'a', 'new.go'), 'x\n');
    fs.rmSync(path.join(root, 'b', 'three.go'));
    fs.writeFileSync(path.join(root, 'a', 'one.go'), 'edited\n');
    const d = await s.diff(root, Date.now() + 60_000, sig());
    expect(d?.changed).toEqual([path.join(root, 'a', 'new.go'), path.join(root, 'b', 'three.go')].sort());
    expect(s.size).toBe(4);
  });

  it('a past watermark: files modified since are reported as well; only under the scope given', async () => {
    const s = await seeded();
    const since = Date.now();
    fs.writeFileSync(path.join(root, 'a', 'one.go'), 'edited\n');
    fs.writeFileSync(path.join(root, 'b', 'three.go'), 'edited\n');
    const d = await s.diff(path.join(root, 'a'), since, sig());
    // a/two.go was written < 1 s (the timestamp slack) before the watermark, so it counts too: dedupe drops it.
    expect(d?.changed).toContain(path.join(root, 'a', 'one.go'));
    expect(d?.changed.every((p) => p.startsWith(path.join(root, 'a') + path.sep))).toBe(true);
  });

  it('no watermark (a new mount): every file under the scope; events noted are settled into the set', async () => {
    const s = await seeded();
    expect((await s.diff(path.join(root, 'b'), undefined, sig()))?.changed).toEqual([path.join(root, 'b', 'three.go')]);
    const p = path.join(root, 'b', 'four.go');
    fs.writeFileSync(p, 'x\n');
    s.note(p);
    await s.settle(sig());
    expect(s.size).toBe(5);
    expect((await s.diff(path.join(root, 'b'), Date.now() + 60_000, sig()))?.changed).toEqual([]);
  });
});
