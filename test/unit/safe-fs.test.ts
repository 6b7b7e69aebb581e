/**
 * src/os/safe-fs.ts and src/supervisor/output-path.ts: never through a symlink, never into another user's
 * directory, modes exact whatever the umask. Real files (the property is about the kernel's answers).
 */
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import { UntrustedPathError, ensureOwnDir, hashOwnFile, readOwnFile, writeFileReplacing } from '../../src/os/safe-fs.js';
import { checkBuiltOutput, prepareOutput } from '../../src/supervisor/output-path.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { OTHER_UID, requireRoot } from '../helpers/trust.js';

let tmp: { dir: string; cleanup: () => void };
let outside: string;
const at = (...p: string[]): string => path.join(tmp.dir, ...p);
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-safe-fs-');
  outside = at('outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'keep'), 'keep');
});
afterEach(() => tmp.cleanup());

const problem = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    if (e instanceof UntrustedPathError) return e.problem.kind;
    throw e;
  }
  return undefined;
};

describe('safe-fs', () => {
  it("ensureOwnDir: creates with the exact mode under any umask, fixes a wider one, refuses a symlink, a file, another user's directory", () => {
    const old = process.umask(0);
    try {
      expect(ensureOwnDir(at('a'), 0o700)).toEqual({ created: true });
      expect(fs.statSync(at('a')).mode & 0o7777).toBe(0o700);
    } finally {
      process.umask(old);
    }
    fs.mkdirSync(at('open'));
    fs.chmodSync(at('open'), 0o777);
    expect(ensureOwnDir(at('open'), 0o700)).toEqual({ created: false, wasOpen: 0o777 });
    expect(fs.statSync(at('open')).mode & 0o7777).toBe(0o700);
    fs.symlinkSync(outside, at('link'));
    expect(problem(() => ensureOwnDir(at('link'), 0o700))).toBe('symlink');
    expect(fs.statSync(outside).mode & 0o7777).not.toBe(0o700);
    fs.writeFileSync(at('file'), '');
    expect(problem(() => ensureOwnDir(at('file'), 0o700))).toBe('not-dir');
  });

  it("ensureOwnDir: another user's directory is refused and left as it is", () => {
    requireRoot();
    fs.mkdirSync(at('theirs'), { mode: 0o755 });
    fs.chownSync(at('theirs'), OTHER_UID, OTHER_UID);
    expect(problem(() => ensureOwnDir(at('theirs'), 0o700))).toBe('owner');
    expect(fs.statSync(at('theirs')).mode & 0o7777).toBe(0o755);
  });

  it('writeFileReplacing: replaces a symlink (the target untouched), exact mode, no temp file left', () => {
    fs.symlinkSync(path.join(outside, 'keep'), at('state.json'));
    const old = process.umask(0);
    try {
      writeFileReplacing(tmp.dir, 'state.json', '{}', 0o600);
    } finally {
      process.umask(old);
    }
    expect(fs.lstatSync(at('state.json')).isFile()).toBe(true);
    expect(fs.statSync(at('state.json')).mode & 0o7777).toBe(0o600);
    expect(fs.readFileSync(path.join(outside, 'keep'), 'utf8')).toBe('keep');
    expect(fs.readdirSync(tmp.dir).sort()).toEqual(['outside', 'state.json']);
  });

  it('readOwnFile: absent → undefined; a symlink or a FIFO is refused without blocking', () => {
    expect(readOwnFile(at('none'))).toBeUndefined();
    fs.symlinkSync(path.join(outside, 'keep'), at('link'));
    expect(problem(() => readOwnFile(at('link')))).toBe('symlink');
    execFileSync('mkfifo', [at('fifo')]);
    expect(problem(() => readOwnFile(at('fifo')))).toBe('not-file');
    fs.writeFileSync(at('mine'), 'x');
    expect(readOwnFile(at('mine'))?.toString()).toBe('x');
  });

  it('hashOwnFile: the digest of the whole file read in pieces; refuses what readOwnFile refuses', () => {
    expect(hashOwnFile(at('none'), 'sha256')).toBeUndefined();
    // 3 MB and a bit: many 64 KB pieces and a short last one, each byte position distinct.
    const data = Buffer.alloc(3 * 1024 * 1024 + 12_345);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 16)) & 0xff;
    fs.writeFileSync(at('big'), data);
    expect(hashOwnFile(at('big'), 'sha256')).toBe(crypto.createHash('sha256').update(data).digest('hex'));
    fs.writeFileSync(at('empty'), '');
    expect(hashOwnFile(at('empty'), 'sha256')).toBe(crypto.createHash('sha256').digest('hex'));
    fs.symlinkSync(at('big'), at('big-link'));
    expect(problem(() => hashOwnFile(at('big-link'), 'sha256'))).toBe('symlink');
    execFileSync('mkfifo', [at('fifo2')]);
    expect(problem(() => hashOwnFile(at('fifo2'), 'sha256'))).toBe('not-file');
  });
});

describe('output-path', () => {
  const out = () => at('.hotwatch', 'bin', 'app');

  it('.hotwatch/bin a symlink: removed (not its target) and made a real 0700 directory', () => {
    fs.mkdirSync(at('.hotwatch'), { mode: 0o700 });
    fs.symlinkSync(outside, at('.hotwatch', 'bin'));
    prepareOutput(tmp.dir, out(), silentLogger());
    expect(fs.lstatSync(at('.hotwatch', 'bin')).isDirectory()).toBe(true);
    expect(fs.statSync(at('.hotwatch', 'bin')).mode & 0o7777).toBe(0o700);
    expect(fs.readdirSync(outside)).toEqual(['keep']);
  });

  it('the output a symlink, a FIFO or a hard link: removed before the build; a regular file of ours: kept', () => {
    fs.mkdirSync(at('.hotwatch', 'bin'), { recursive: true, mode: 0o700 });
    const plants: Array<() => void> = [
      () => fs.symlinkSync(path.join(outside, 'keep'), out()),
      () => execFileSync('mkfifo', [out()]),
      () => fs.linkSync(path.join(outside, 'keep'), out()),
    ];
    for (const plant of plants) {
      plant();
      prepareOutput(tmp.dir, out(), silentLogger());
      expect(fs.lstatSync(out(), { throwIfNoEntry: false }), 'the planted entry is gone').toBeUndefined();
    }
    expect(fs.readFileSync(path.join(outside, 'keep'), 'utf8')).toBe('keep');
    fs.writeFileSync(out(), 'old binary');
    prepareOutput(tmp.dir, out(), silentLogger());
    expect(fs.readFileSync(out(), 'utf8')).toBe('old binary');
  });

  it('the output a directory: an empty one in .hotwatch/ is removed; one with files is refused, saying how the build then starts', () => {
    fs.mkdirSync(out(), { recursive: true, mode: 0o700 });
    prepareOutput(tmp.dir, out(), silentLogger());
    expect(fs.lstatSync(out(), { throwIfNoEntry: false })).toBeUndefined();
    fs.mkdirSync(out(), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(out(), 'kept'), 'x');
    expect(() => prepareOutput(tmp.dir, out(), silentLogger())).toThrow(`build.output ${out()} is a directory`);
    try {
      prepareOutput(tmp.dir, out(), silentLogger());
    } catch (e) {
      expect((e as { hint?: string }).hint).toBe(
        `remove it (rm -r ${out()}) or set build.output to a file path (e.g. ${path.join(out(), 'app')}), then save any file or press r to build`,
      );
    }
    expect(fs.readFileSync(path.join(out(), 'kept'), 'utf8')).toBe('x');
  });

  it('a build.output outside .hotwatch/ (the user’s place): a symlink, a FIFO, a socket or a device is refused, never removed', () => {
    const user = at('bin', 'app');
    fs.mkdirSync(at('bin'));
    const plants: Array<[() => void, RegExp]> = [
      [() => fs.symlinkSync(path.join(outside, 'keep'), user), /is a symlink \(to .*keep\): hotwatch runs the binary .* will not remove/],
      [() => execFileSync('mkfifo', [user]), /is not a regular file: hotwatch runs the binary/],
    ];
    for (const [plant, said] of plants) {
      plant();
      expect(() => prepareOutput(tmp.dir, user, silentLogger())).toThrow(said);
      expect(fs.lstatSync(user, { throwIfNoEntry: false }), 'left where it was').toBeDefined();
      fs.unlinkSync(user);
    }
    expect(() => prepareOutput(tmp.dir, '/dev/null', silentLogger())).toThrow(/build.output \/dev\/null is not a regular file/);
    expect(fs.statSync('/dev/null').isCharacterDevice(), '/dev/null is still a device').toBe(true);
    fs.writeFileSync(user, 'old binary');
    prepareOutput(tmp.dir, user, silentLogger());
    expect(fs.readFileSync(user, 'utf8')).toBe('old binary');
  });

  it('after the build: a Go archive (go build -o of a library) is said as such, not run (it was "not executable: chmod +x")', () => {
    fs.mkdirSync(at('.hotwatch', 'bin'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(out(), '!<arch>\n__.PKGDEF       0           0     0     644     1234      `\n');
    expect(() => checkBuiltOutput(out())).toThrow(
      /wrote a Go archive .* not a program: the package it builds is a library, not package main/,
    );
  });

  it('after the build: a symlink is refused, a world-writable binary made 0755', () => {
    fs.mkdirSync(at('.hotwatch', 'bin'), { recursive: true, mode: 0o700 });
    fs.symlinkSync(path.join(outside, 'keep'), out());
    expect(() => checkBuiltOutput(out())).toThrow(/is a symlink .*not running it/);
    fs.unlinkSync(out());
    fs.writeFileSync(out(), 'bin');
    fs.chmodSync(out(), 0o777);
    checkBuiltOutput(out());
    expect(fs.statSync(out()).mode & 0o7777).toBe(0o755);
  });
});
