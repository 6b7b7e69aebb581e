/**
 * What changed while the watches were being armed, found by timestamps on real files (watch/tree/changed-since.ts):
 * new, written and renamed-in files by name; a deletion as a rescan; irrelevant files and hotwatch's own
 * directories never a reason to build again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catchUpEvents, changedInLateRoot, changedWhileArming } from '../../src/watch/tree/changed-since.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { watchSettings } from '../helpers/watch-tree.js';

let tmp: { dir: string; cleanup: () => void };
let root: string;
let since: number;
const sig = () => AbortSignal.timeout(10_000);
const rel = (ps: string[]) => ps.map((p) => path.relative(root, p));

beforeEach(async () => {
  tmp = makeTmpDir('hotwatch-catchup-');
  root = tmp.dir;
  for (const d of ['a', 'b', 'node_modules/x']) fs.mkdirSync(path.join(root, d), { recursive: true });
  for (const f of ['main.go', 'a/one.go', 'a/two.go', 'b/three.go', 'b/readme.txt', 'node_modules/x/y.go'])
    fs.writeFileSync(path.join(root, f), 'x\n');
  // Well past the timestamps' slack: what the tree was when the "build" started.
  await new Promise((r) => setTimeout(r, 300));
  since = Date.now();
});
afterEach(() => tmp.cleanup());

describe('changedWhileArming', () => {
  it('nothing changed: nothing found', async () => {
    const c = await changedWhileArming([watchSettings(root)], since, sig());
    expect(c).toMatchObject({ files: [], dirs: [] });
    expect(c.looked).toBeGreaterThan(4);
    expect(catchUpEvents(c, 1)).toEqual([]);
  });

  it('a file written in place, a new file and a new directory: each named, no rescan', async () => {
    fs.writeFileSync(path.join(root, 'a/one.go'), 'y\n');
    fs.writeFileSync(path.join(root, 'b/new.go'), 'z\n');
    fs.mkdirSync(path.join(root, 'c'));
    fs.writeFileSync(path.join(root, 'c/four.go'), 'w\n');
    const c = await changedWhileArming([watchSettings(root)], since, sig());
    expect(rel(c.files)).toEqual(['a/one.go', 'b/new.go', 'c/four.go']);
    expect(c.dirs).toEqual([]);
    expect(catchUpEvents(c, 7)).toEqual(c.files.map((p) => ({ kind: 'change', path: p, at: 7 })));
  });

  it('a file deleted: its directory changed with nothing to show for it → a rescan', async () => {
    fs.rmSync(path.join(root, 'a/two.go'));
    const c = await changedWhileArming([watchSettings(root)], since, sig());
    expect(c.files).toEqual([]);
    expect(rel(c.dirs)).toEqual(['a']);
    const [ev] = catchUpEvents(c, 3);
    expect(ev).toMatchObject({ kind: 'rescan', at: 3 });
    expect((ev as { reason: string }).reason).toMatch(/while watching was being armed/);
  });

  it('an atomic save (temp file renamed over the file): the file, no rescan', async () => {
    fs.writeFileSync(path.join(root, 'b/.three.go.tmp'), 'new\n');
    fs.renameSync(path.join(root, 'b/.three.go.tmp'), path.join(root, 'b/three.go'));
    const c = await changedWhileArming([watchSettings(root)], since, sig());
    expect(rel(c.files)).toEqual(['b/three.go']);
    expect(c.dirs).toEqual([]);
  });

  it("excluded trees are not looked at; hotwatch's own directories explain their parent", async () => {
    fs.writeFileSync(path.join(root, 'node_modules/x/y.go'), 'changed\n');
    fs.mkdirSync(path.join(root, '.hotwatch'));
    fs.mkdirSync(path.join(root, 'out'));
    const own = [path.join(root, '.hotwatch'), path.join(root, 'out')];
    const tree = watchSettings(root, { excludeDirs: [...watchSettings(root).excludeDirs, 'out'] });
    const c = await changedWhileArming([tree], since, sig(), own);
    expect(c).toMatchObject({ files: [], dirs: [] });
    // The same directories, not ours: created last, they still explain the root's change (nothing left it after).
    expect(await changedWhileArming([tree], since, sig())).toMatchObject({ files: [], dirs: [] });
    // A file deleted after them: the root lost something, a rescan.
    await new Promise((r) => setTimeout(r, 40));
    fs.rmSync(path.join(root, 'main.go'));
    const d = await changedWhileArming([tree], since, sig());
    expect(rel(d.dirs)).toEqual(['']);
  });

  it("an entry the rules leave out, created in a watched directory (another hotwatch's .hotwatch, node_modules, a log file): no rescan", async () => {
    fs.mkdirSync(path.join(root, 'a/.hotwatch'));
    fs.writeFileSync(path.join(root, 'a/.hotwatch/state.json'), '{}'); // its own entries: its ctime moves, its birth does not
    fs.mkdirSync(path.join(root, 'b/node_modules'));
    fs.writeFileSync(path.join(root, 'app.log'), 'started\n');
    const c = await changedWhileArming([watchSettings(root)], since, sig());
    expect(c).toMatchObject({ files: [], dirs: [] });
    expect(catchUpEvents(c, 1)).toEqual([]);
    // One of them removed again: nothing is born at the directory's last change, so it is a rescan.
    await new Promise((r) => setTimeout(r, 40));
    fs.rmSync(path.join(root, 'b/node_modules'), { recursive: true });
    expect(rel((await changedWhileArming([watchSettings(root)], since, sig())).dirs)).toEqual(['b']);
  });

  it("a tree with its arming's listing is not walked again: exactly the listed paths are looked at", async () => {
    const settings = watchSettings(root);
    const listed = { dirs: [root, path.join(root, 'a')], files: [path.join(root, 'main.go'), path.join(root, 'a/one.go')] };
    fs.writeFileSync(path.join(root, 'a/one.go'), 'y\n'); // listed: found
    fs.writeFileSync(path.join(root, 'b/three.go'), 'y\n'); // not listed (the arming saw it, or a watch did): not looked at
    const c = await changedWhileArming([{ settings, listing: listed }], since, sig());
    expect(rel(c.files)).toEqual(['a/one.go']);
    expect(c).toMatchObject({ dirs: [], looked: 4, walked: 0 });
    // A deletion in a listed directory: a rescan, as with a walk (even of a file the listing did not name).
    fs.rmSync(path.join(root, 'b/readme.txt'));
    const d = await changedWhileArming([{ settings, listing: { ...listed, dirs: [...listed.dirs, path.join(root, 'b')] } }], since, sig());
    expect(rel(d.dirs)).toEqual(['b']);
    // No listing (polling, a budget scan): the tree is walked, and finds both.
    const w = await changedWhileArming([{ settings, listing: undefined }], since, sig());
    expect(rel(w.files)).toEqual(['a/one.go', 'b/three.go']);
    expect(w.walked).toBe(1);
  });

  it('every watched tree is walked', async () => {
    const other = makeTmpDir('hotwatch-catchup-mod-');
    try {
      fs.writeFileSync(path.join(other.dir, 'lib.go'), 'x\n');
      const before = Date.now();
      await new Promise((r) => setTimeout(r, 300));
      fs.writeFileSync(path.join(other.dir, 'lib.go'), 'y\n');
      const c = await changedWhileArming([watchSettings(root), watchSettings(other.dir)], before + 200, sig());
      expect(c.files).toEqual([path.join(other.dir, 'lib.go')]);
    } finally {
      other.cleanup();
    }
  });

  it('a file replaced with its mtime kept (cp -p): found by its ctime, and a rescan (content dedupe may not see it)', async () => {
    const old = new Date(Date.now() - 3_600_000);
    fs.writeFileSync(path.join(root, 'a/one.go'), 'restored\n');
    fs.utimesSync(path.join(root, 'a/one.go'), old, old);
    const c = await changedWhileArming([watchSettings(root)], since, sig());
    expect(rel(c.files)).toEqual(['a/one.go']);
    expect(rel(c.mtimeKept)).toEqual(['a/one.go']);
    expect(catchUpEvents(c, 2)).toEqual([
      { kind: 'rescan', reason: `${path.join(root, 'a/one.go')} (its mtime kept) changed while watching was being armed`, at: 2 },
    ]);
  });

  it('very many files: one rescan instead of a name each', () => {
    const files = Array.from({ length: 501 }, (_, i) => `/r/f${i}.go`);
    expect(catchUpEvents({ files, dirs: [], mtimeKept: [], looked: 501, walked: 0 }, 1)).toEqual([
      { kind: 'rescan', reason: '501 files changed while watching was being armed', at: 1 },
    ]);
  });
});

describe('changedInLateRoot (a root armed after the start)', () => {
  const tree = () => ({ settings: watchSettings(root), listing: undefined });

  it('nothing changed there since: no event, so joining costs no build', async () => {
    expect(await changedInLateRoot(tree(), since, '../lib', sig())).toEqual([]);
  });

  it('a file written there since: a change of it; a file removed: a rescan naming the root', async () => {
    fs.writeFileSync(path.join(root, 'a/one.go'), 'y\n');
    expect(await changedInLateRoot(tree(), since, '../lib', sig())).toEqual([
      { kind: 'change', path: path.join(root, 'a/one.go'), at: expect.any(Number) },
    ]);
    fs.rmSync(path.join(root, 'b/three.go'));
    const [ev, ...rest] = await changedInLateRoot(tree(), since, '../lib', sig());
    expect(rest).toEqual([]);
    expect(ev).toMatchObject({ kind: 'rescan', reason: expect.stringMatching(/changed in \.\.\/lib while it was not watched$/) });
  });

  it("'always' (re-armed after a loss) and a root that cannot be looked at: a rescan, to be sure", async () => {
    expect(await changedInLateRoot(tree(), 'always', '../lib', sig())).toEqual([
      { kind: 'rescan', reason: 'now watching ../lib: building what changed there while it was not watched', at: expect.any(Number) },
    ]);
    const gone = { settings: watchSettings(path.join(root, 'nope')), listing: undefined };
    const [ev] = await changedInLateRoot(gone, since, '../nope', sig());
    expect(ev).toMatchObject({
      kind: 'rescan',
      reason: expect.stringMatching(/^could not tell what changed in \.\.\/nope while it was not watched/),
    });
  });
});
