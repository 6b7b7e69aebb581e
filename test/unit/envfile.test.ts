/** dotenv files through util.parseEnv, with real files; every failure names the file and the fix. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstBadLine, loadEnvFiles } from '../../src/config/envfile.js';
import { HotwatchError } from '../../src/errors.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-env-');
});
afterEach(() => tmp.cleanup());
const write = (name: string, text: string): string => {
  const file = path.join(tmp.dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const errorOf = (fn: () => unknown): HotwatchError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof HotwatchError) return e;
    throw e;
  }
  throw new Error('expected a HotwatchError');
};

describe('loadEnvFiles', () => {
  it('parses comments, quotes, export and multi-line values; later files override earlier ones', () => {
    const a = write('.env', '# db\nexport DB=postgres://a\nNAME="two words"\nKEEP=1\nMULTI="line1\nline2"\nEMPTY=\n');
    const b = write('.env.local', "DB='postgres://b'\r\nEXTRA=x # trailing comment\n");
    expect(loadEnvFiles([a, b])).toEqual({
      DB: 'postgres://b',
      NAME: 'two words',
      KEEP: '1',
      MULTI: 'line1\nline2',
      EMPTY: '',
      EXTRA: 'x',
    });
    expect(loadEnvFiles([b, a]).DB).toBe('postgres://a');
    expect(loadEnvFiles([])).toEqual({});
  });

  it('a missing file is CONFIG_INVALID naming the file and the fix', () => {
    const missing = path.join(tmp.dir, 'nope.env');
    const e = errorOf(() => loadEnvFiles([missing]));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.exitCode).toBe(2);
    expect(e.format()).toBe(
      `env file ${missing} does not exist\n  fix: create it, or remove it from run.envFiles in watcher.config.yaml (paths are relative to root)`,
    );
  });

  it('a named pipe, a device or a huge file: refused at once, never read (a FIFO blocked open(2) and Ctrl-C with it)', () => {
    const fifo = path.join(tmp.dir, 'pipe.env');
    execFileSync('mkfifo', [fifo]);
    const t0 = performance.now();
    expect(errorOf(() => loadEnvFiles([fifo])).format()).toBe(
      `env file ${fifo} is a named pipe (FIFO), not a regular file\n  fix: make it a regular file of KEY=VALUE lines (hotwatch reads it at each start of the app), or remove it from run.envFiles in watcher.config.yaml`,
    );
    expect(performance.now() - t0, 'not waiting for a writer').toBeLessThan(5000);
    const zero = path.join(tmp.dir, 'zero.env');
    fs.symlinkSync('/dev/zero', zero);
    expect(errorOf(() => loadEnvFiles([zero])).format()).toMatch(
      /^env file .*zero\.env is a device, not a regular file\n {2}fix: make it a regular file/,
    );
    const big = write('big.env', `A=${'x'.repeat(1 << 20)}\n`);
    expect(errorOf(() => loadEnvFiles([big])).format()).toMatch(
      /^env file .*big\.env is 1048579 bytes, more than the 1048576 hotwatch reads\n {2}fix: /,
    );
  });

  it('a value holding a NUL byte (no process environment can carry it) is an error at its line', () => {
    const file = write('.env', 'A=1\nB=x\u0000y\n');
    const e = errorOf(() => loadEnvFiles([file]));
    expect(e.format()).toBe(
      `${file}:2:1 "B=x\\u0000y" holds a NUL byte, which no environment variable can carry\n  fix: remove it from the line`,
    );
  });

  it('a directory instead of a file', () => {
    const e = errorOf(() => loadEnvFiles([tmp.dir]));
    expect(e.format()).toMatch(new RegExp(`^env file ${tmp.dir} is a directory, not a file\\n  fix: `));
  });

  it('a line that is not KEY=VALUE (util.parseEnv would glue it into the next key) is an error at that line', () => {
    const f = write('.env', 'A=1\nthis is not a variable\nB=2\n');
    const e = errorOf(() => loadEnvFiles([f]));
    expect(e.format()).toBe(
      `${f}:2:1 "this is not a variable" is not a KEY=VALUE line\n  fix: write KEY=VALUE (a name without spaces), or start the line with # to make it a comment`,
    );
  });

  it('firstBadLine accepts what parseEnv understands and finds what it would swallow', () => {
    expect(firstBadLine('A=1\n\n  # c\nexport B=2\nC="x\n  still C\n"\nD=4')).toBe(0);
    expect(firstBadLine("K='a\nb'\nL=1")).toBe(0);
    expect(firstBadLine('A=1\nlonely')).toBe(2);
    expect(firstBadLine('=5')).toBe(1);
    expect(firstBadLine('MY VAR=1')).toBe(1);
  });
});
