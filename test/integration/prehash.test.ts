import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSmallFile } from '../../src/pipeline/content.js';
import { PreHasher } from '../../src/pipeline/prehash.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTmpDir>;
beforeEach(() => (tmp = makeTmpDir()));
afterEach(() => tmp.cleanup());

/** Lets the pre-hasher's slices run (setImmediate turns). */
const turns = () => new Promise((r) => setTimeout(r, 20));

describe('PreHasher (real files): hashes read while the window is open', () => {
  it('a file read after its last event is known, with the hash of its bytes', async () => {
    const a = path.join(tmp.dir, 'a.go');
    fs.writeFileSync(a, 'package a\n');
    const pre = new PreHasher();
    pre.note(a, performance.now());
    await turns();
    const known = pre.take();
    expect(known.get(a)).toBe(hashSmallFile(a));
    expect(known.has(a)).toBe(true);
    // take() forgets: the next batch starts empty.
    expect(pre.take().size).toBe(0);
  });

  it('an event after the read makes the early hash unknown: the file is read again at the check', async () => {
    const a = path.join(tmp.dir, 'a.go');
    fs.writeFileSync(a, 'package a\n');
    const pre = new PreHasher();
    pre.note(a, performance.now());
    await turns();
    fs.writeFileSync(a, 'package a // second write\n');
    pre.note(a, performance.now()); // the watcher reports the write, dated after it
    expect(pre.take().has(a)).toBe(false);
  });

  it('a read that began before the newest event is never used, even once done (the write may have missed it)', async () => {
    const a = path.join(tmp.dir, 'a.go');
    fs.writeFileSync(a, 'package a\n');
    const pre = new PreHasher();
    // An event dated after any read this test can do: every read began before it.
    pre.note(a, performance.now() + 60_000);
    await turns();
    expect(pre.take().has(a)).toBe(false);
  });

  it('a vanished file is known as gone (undefined), and a re-created one read again', async () => {
    const a = path.join(tmp.dir, 'a.go');
    const pre = new PreHasher();
    pre.note(a, performance.now());
    await turns();
    let known = pre.take();
    expect(known.has(a)).toBe(true);
    expect(known.get(a)).toBeUndefined();
    fs.writeFileSync(a, 'package a\n');
    pre.note(a, performance.now());
    await turns();
    known = pre.take();
    expect(known.get(a)).toBe(hashSmallFile(a));
  });

  it('clear() drops pending reads', async () => {
    const a = path.join(tmp.dir, 'a.go');
    fs.writeFileSync(a, 'package a\n');
    const pre = new PreHasher();
    pre.note(a, performance.now());
    pre.clear();
    await turns();
    expect(pre.take().size).toBe(0);
  });
});
