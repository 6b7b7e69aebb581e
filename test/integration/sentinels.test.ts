/**
 * Sentinel files against the real filesystem: never written through a symlink or over a file that is
 * not ours, never through a symlinked `.hotwatch`, and a full (or read-only) filesystem is said, with the
 * reason, and tried again, never given up in silence.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SENTINEL_PREFIX } from '../../src/watch/tree/filter.js';
import { ensureSentinelDir, SentinelFiles } from '../../src/watch/watchdog/sentinel-files.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTmpDir>;
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-sentinels-');
});
afterEach(() => tmp.cleanup());

describe('sentinel files', () => {
  it('a symlink planted at the next sentinel name is neither followed nor replaced; the next name is used', () => {
    const dir = ensureSentinelDir(path.join(tmp.dir));
    const victim = path.join(tmp.dir, 'victim.txt');
    fs.writeFileSync(victim, 'precious\n');
    fs.symlinkSync(victim, path.join(dir, `${SENTINEL_PREFIX}-${process.pid}-1`));
    const s = new SentinelFiles();
    s.add({ scope: 'root', path: tmp.dir, dir });
    expect(s.write(tmp.dir)).toBe('failed');
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.lstatSync(path.join(dir, `${SENTINEL_PREFIX}-${process.pid}-1`)).isSymbolicLink()).toBe(true);
    expect(s.write(tmp.dir)).toBe('written');
    expect(fs.existsSync(path.join(dir, `${SENTINEL_PREFIX}-${process.pid}-2`))).toBe(true);
    s.close();
    expect(fs.existsSync(path.join(dir, `${SENTINEL_PREFIX}-${process.pid}-2`)), 'removed on close').toBe(false);
  });

  it('close() never throws for a sentinel it cannot remove (a read-only .hotwatch): it returns it, to be said', () => {
    const dir = ensureSentinelDir(path.join(tmp.dir));
    const s = new SentinelFiles();
    s.add({ scope: 'root', path: tmp.dir, dir });
    expect(s.write(tmp.dir)).toBe('written');
    const file = path.join(dir, `${SENTINEL_PREFIX}-${process.pid}-1`);
    // What rmSync cannot remove, even as root: a non-empty directory where the file was.
    fs.rmSync(file);
    fs.mkdirSync(file);
    fs.writeFileSync(path.join(file, 'x'), 'x');
    const kept = s.close();
    expect(kept).toHaveLength(1);
    expect(kept[0]).toContain(file);
  });

  it('a .hotwatch that is a symlink (or a file) is refused: nothing is created through it', () => {
    const elsewhere = makeTmpDir('hotwatch-elsewhere-');
    try {
      fs.symlinkSync(elsewhere.dir, path.join(tmp.dir, '.hotwatch'));
      expect(() => ensureSentinelDir(tmp.dir)).toThrow(/not a directory/);
      expect(fs.readdirSync(elsewhere.dir)).toEqual([]);
    } finally {
      elsewhere.cleanup();
    }
    const other = makeTmpDir('hotwatch-sentinels-');
    try {
      fs.writeFileSync(path.join(other.dir, '.hotwatch'), 'a file of the user');
      expect(() => ensureSentinelDir(other.dir)).toThrow();
      expect(fs.readFileSync(path.join(other.dir, '.hotwatch'), 'utf8')).toBe('a file of the user');
    } finally {
      other.cleanup();
    }
  });

  it('a full filesystem: unwritable with the reason and the fix, then written again once there is space (unshare -Urm, 64 KiB tmpfs)', () => {
    const mnt = path.join(tmp.dir, 'mnt');
    fs.mkdirSync(mnt);
    const mod = path.resolve('dist/watch/watchdog/sentinel-files.js');
    const script = `
      import fs from 'node:fs';
      const { SentinelFiles } = await import(${JSON.stringify(mod)});
      const dir = process.argv[1];
      const s = new SentinelFiles();
      s.add({ scope: 'root', path: dir, dir });
      const fill = dir + '/fill';
      try { fs.writeFileSync(fill, Buffer.alloc(1 << 20)); } catch {}
      const out = { full: s.write(dir), why: s.lastError(dir) };
      fs.rmSync(fill);
      out.after = s.write(dir);
      out.whyAfter = s.lastError(dir) ?? null;
      s.close();
      console.log(JSON.stringify(out));
    `;
    const stdout = execFileSync(
      'unshare',
      [
        '-Urm',
        'sh',
        '-c',
        'mount -t tmpfs -o size=64k none "$1" && exec "$2" --input-type=module -e "$3" "$1"',
        'sh',
        mnt,
        process.execPath,
        script,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    const out = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(out.full).toBe('unwritable');
    expect(out.why).toMatch(/ENOSPC.*full: free some space/);
    expect(out.after).toBe('written');
    expect(out.whyAfter).toBeNull();
  });
});
