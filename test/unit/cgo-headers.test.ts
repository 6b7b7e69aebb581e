import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CgoHeaderDirs, headerDigest, includeDirsOf } from '../../src/os/cgo-headers.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTmpDir> | undefined;
afterEach(() => tmp?.cleanup());

describe('includeDirsOf: the include directories a cgo package names, other than its own', () => {
  it.each([
    [['-I/src/app/include'], ['/src/app/include']],
    [['-I', '/src/app/include', '-DX=1', '-O2'], ['/src/app/include']],
    [
      ['-isystem', '/opt/x/include', '-iquote/src/q', '-idirafter', 'rel'],
      ['/opt/x/include', '/src/q', '/src/app/pkg/rel'],
    ],
    [['-I/src/app/pkg', '-I.', '-I/src/app/include', '-I/src/app/include'], ['/src/app/include']], // its own dir, and once
    [['-Wall', '-L/usr/lib', '-I'], []], // a flag without its value
  ])('%j', (flags, dirs) => {
    expect(includeDirsOf(flags, '/src/app/pkg')).toEqual(dirs);
  });
});

describe('headerDigest and CgoHeaderDirs: what each build keys on', () => {
  it('the digest follows the headers (content, names, any depth), not other files or symlinks', () => {
    tmp = makeTmpDir();
    const inc = path.join(tmp.dir, 'include');
    fs.mkdirSync(path.join(inc, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(inc, 'sub', 'a.h'), '#define A 1\n');
    const d1 = headerDigest([inc]);
    expect(d1).toMatch(/^[0-9a-f]{16}$/);
    expect(headerDigest([inc])).toBe(d1);
    fs.writeFileSync(path.join(inc, 'README.md'), 'not a header\n');
    fs.symlinkSync('/etc/hostname', path.join(inc, 'planted.h'));
    expect(headerDigest([inc])).toBe(d1);
    fs.writeFileSync(path.join(inc, 'sub', 'a.h'), '#define A 2\n');
    const d2 = headerDigest([inc]);
    expect(d2).not.toBe(d1);
    fs.writeFileSync(path.join(inc, 'b.hpp'), '// new\n');
    expect(headerDigest([inc])).not.toBe(d2);
  });

  it('set says when builds so far did not key on the directories; envFor adds the digest after the build own CGO_CPPFLAGS', async () => {
    tmp = makeTmpDir();
    const inc = path.join(tmp.dir, 'include');
    fs.mkdirSync(inc);
    fs.writeFileSync(path.join(inc, 'a.h'), '#define A 1\n');
    const c = new CgoHeaderDirs();
    const signal = new AbortController().signal;
    expect(await c.envFor({ CGO_CPPFLAGS: '-DOWN' }, tmp.dir, signal)).toEqual({});
    expect(c.set([])).toBe(false);
    expect(c.set([inc])).toBe(true);
    expect(c.set([inc, inc])).toBe(false); // the same set
    const env = await c.envFor({ CGO_CPPFLAGS: '-DOWN=1' }, tmp.dir, signal);
    expect(env.CGO_CPPFLAGS).toBe(`-DOWN=1 -DHOTWATCH_CGO_HEADERS=${headerDigest([inc])}`);
    // Without one in the environment: go's own value (go env), here none.
    const fromGo = await c.envFor({ ...process.env, CGO_CPPFLAGS: undefined, GOENV: 'off' }, tmp.dir, signal);
    expect(fromGo.CGO_CPPFLAGS).toBe(`-DHOTWATCH_CGO_HEADERS=${headerDigest([inc])}`);
  });
});
