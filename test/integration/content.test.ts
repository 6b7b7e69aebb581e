import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentIndex, hashFile } from '../../src/pipeline/content.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTmpDir>;
beforeEach(() => (tmp = makeTmpDir()));
afterEach(() => tmp.cleanup());

const old = (p: string) => fs.utimesSync(p, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));

describe('ContentIndex (real files)', () => {
  it('a touch or same-bytes rewrite of a seeded file is unchanged; a real edit is changed', async () => {
    const a = path.join(tmp.dir, 'a.go');
    fs.writeFileSync(a, 'package a\n');
    old(a);
    const idx = new ContentIndex();
    expect(await idx.seed([a], Date.now(), new AbortController().signal)).toBe(1);
    fs.writeFileSync(a, 'package a\n');
    expect(await idx.classify([a])).toEqual({ changed: [], unchanged: [a] });
    fs.writeFileSync(a, 'package a // edited\n');
    expect(await idx.classify([a])).toEqual({ changed: [a], unchanged: [] });
    expect(await idx.classify([a])).toEqual({ changed: [], unchanged: [a] });
  });

  it('a large file (over 1 MB) is hashed in pieces, to the same verdicts: not seeded (its first save builds), then a same-bytes save is unchanged', async () => {
    const big = path.join(tmp.dir, 'asset.bin');
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    fs.writeFileSync(big, data);
    old(big);
    const idx = new ContentIndex();
    expect(await idx.seed([big], Date.now(), new AbortController().signal)).toBe(0);
    expect(await idx.classify([big])).toEqual({ changed: [big], unchanged: [] });
    fs.writeFileSync(big, data);
    expect(await idx.classify([big])).toEqual({ changed: [], unchanged: [big] });
    data[data.length - 1] = 8; // the last byte, past the last whole piece
    fs.writeFileSync(big, data);
    expect(await idx.classify([big])).toEqual({ changed: [big], unchanged: [] });
    expect(await hashFile(big)).toBe(crypto.hash('sha1', data, 'base64'));
  });

  it('after forgetAll (a rescan built what was not all seen), an edit back to an old hash counts as changed', async () => {
    const a = path.join(tmp.dir, 'a.go');
    fs.writeFileSync(a, 'package a\n');
    old(a);
    const idx = new ContentIndex();
    expect(await idx.seed([a], Date.now(), new AbortController().signal)).toBe(1);
    fs.writeFileSync(a, 'package a // built by a rescan, never classified\n');
    idx.forgetAll();
    fs.writeFileSync(a, 'package a\n');
    expect(await idx.classify([a])).toEqual({ changed: [a], unchanged: [] });
  });

  it('never indexes a file modified after seeding began (an edit racing the seed still builds)', async () => {
    const since = Date.now();
    const b = path.join(tmp.dir, 'b.go');
    fs.writeFileSync(b, 'package b\n');
    const idx = new ContentIndex();
    expect(await idx.seed([b], since, new AbortController().signal)).toBe(0);
    expect((await idx.classify([b])).changed).toEqual([b]);
  });

  it('unknown, deleted and non-regular paths count as changed', async () => {
    const idx = new ContentIndex();
    const c = path.join(tmp.dir, 'c.go');
    fs.writeFileSync(c, 'x');
    expect((await idx.classify([c])).changed).toEqual([c]);
    fs.rmSync(c);
    expect((await idx.classify([c])).changed).toEqual([c]);
    expect((await idx.classify([tmp.dir])).changed).toEqual([tmp.dir]);
  });
});
