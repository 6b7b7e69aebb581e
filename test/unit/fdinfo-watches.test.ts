/**
 * The watch count of an fdinfo file, read from a reused 64 KB buffer (src/os/fdinfo-watches.ts), agrees
 * with the whole-text parser on every captured kernel's fdinfo, on lines cut by the buffer's edge, on a
 * file of 10,000 watches (~1 MB, what another program can hold), and on a line longer than the buffer.
 * (Why: reading such a file whole raised glibc's trim threshold for the rest of the run; measured in
 * the README, Benchmark, not asserted here: it depends on the C library.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { watchesInFdinfo } from '../../src/os/fdinfo-watches.js';
import { parseFdinfoWatches } from '../../src/os/inotify.js';
import { makeTmpDir } from '../helpers/tmp.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/proc/fdinfo');
const tmp = makeTmpDir();
afterAll(() => tmp.cleanup());

const line = (wd: number) =>
  `inotify wd:${wd.toString(16)} ino:${(0xc36c0d + wd).toString(16)} sdev:fe00000 mask:fce ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:3272c3003f\n`;
const write = (name: string, text: string) => {
  const f = path.join(tmp.dir, name);
  fs.writeFileSync(f, text);
  return f;
};

describe('watchesInFdinfo', () => {
  it.each(fs.readdirSync(FIX))('agrees with the whole-text parser on %s', (name) => {
    const file = path.join(FIX, name);
    expect(watchesInFdinfo(file)).toBe(parseFdinfoWatches(fs.readFileSync(file, 'utf8')));
  });

  it('10,000 watches (~1.2 MB, lines cut at every 64 KB edge), and no final newline', () => {
    const text = `pos:\t0\nflags:\t02004000\nmnt_id:\t15\nino:\t1057\n${Array.from({ length: 10_000 }, (_, i) => line(i + 1)).join('')}`;
    expect(text.length).toBeGreaterThan(1_000_000);
    expect(watchesInFdinfo(write('big', text))).toBe(10_000);
    expect(watchesInFdinfo(write('no-final-newline', text.slice(0, -1)))).toBe(10_000);
    expect(parseFdinfoWatches(text)).toBe(10_000);
  });

  it('a line longer than the buffer is judged on its start; the lines after it still count', () => {
    const long = `inotify wd:1 ${'x'.repeat(200_000)}\n`;
    const junk = `${'y'.repeat(150_000)} inotify wd:2\n`;
    const text = `pos:\t0\n${long}${junk}  inotify wd:3 ino:1\r\n${line(4)}`;
    expect(watchesInFdinfo(write('long', text))).toBe(parseFdinfoWatches(text));
    expect(watchesInFdinfo(write('long', text))).toBe(3);
  });

  it('an empty file has none; a missing one is undefined', () => {
    expect(watchesInFdinfo(write('empty', ''))).toBe(0);
    expect(watchesInFdinfo(path.join(tmp.dir, 'missing'))).toBeUndefined();
  });
});
