import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentIndex } from '../../src/pipeline/content.js';
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
