/**
 * A binary built for another system (GOOS left set in the shell) is named before it is run, by its first
 * bytes: Linux would refuse it and execvp run it as a shell script ("Syntax error"), said as a crash.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { foreignBinary } from '../../src/supervisor/foreign-binary.js';
import { makeTmpDir } from '../helpers/tmp.js';

const tmp = makeTmpDir('hotwatch-foreign-');
afterAll(() => tmp.cleanup());

describe.runIf(process.platform === 'linux')('foreignBinary', () => {
  it('names a Windows or macOS executable built by real go; an ELF, a script and a missing file are left to the kernel', () => {
    fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/f\n\ngo 1.22\n');
    fs.writeFileSync(path.join(tmp.dir, 'main.go'), 'package main\n\nfunc main() {}\n');
    const build = (goos: string, out: string): string => {
      execFileSync('go', ['build', '-o', out, '.'], {
        cwd: tmp.dir,
        env: { ...process.env, GOOS: goos, GOARCH: 'amd64', CGO_ENABLED: '0' },
      });
      return out;
    };
    expect(foreignBinary(build('windows', path.join(tmp.dir, 'win')))).toBe('a Windows (PE) executable');
    expect(foreignBinary(build('darwin', path.join(tmp.dir, 'mac')))).toBe('a macOS (Mach-O) executable');
    expect(foreignBinary(build('linux', path.join(tmp.dir, 'linux')))).toBeUndefined();
    fs.writeFileSync(path.join(tmp.dir, 'run.sh'), '#!/bin/sh\nexec ./linux\n');
    expect(foreignBinary(path.join(tmp.dir, 'run.sh'))).toBeUndefined();
    expect(foreignBinary(path.join(tmp.dir, 'missing'))).toBeUndefined();
  }, 120_000);
});
