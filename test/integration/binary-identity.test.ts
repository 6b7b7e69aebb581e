/** A built binary's identity (src/supervisor/binary-identity.ts), on real go builds. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryIdentity, goBuildId } from '../../src/supervisor/binary-identity.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTmpDir>;
const build = (text: string, out: string): string => {
  fs.writeFileSync(path.join(tmp.dir, 'main.go'), `package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(${JSON.stringify(text)}) }\n`);
  const bin = path.join(tmp.dir, out);
  execFileSync('go', ['build', '-o', bin, '.'], { cwd: tmp.dir, env: { ...process.env, GOWORK: 'off', GOFLAGS: '' } });
  return bin;
};

beforeAll(() => {
  tmp = makeTmpDir();
  fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/id\n\ngo 1.21\n');
}, 60_000);
afterAll(() => tmp.cleanup());

describe('binaryIdentity', () => {
  it('is the content part of the Go build ID `go tool buildid` prints; the same program, the same identity, comments aside', async () => {
    const a = build('v1', 'a');
    const b = build('v2', 'b');
    const c = build('v1', 'c'); // reverted
    const idA = await binaryIdentity(a);
    const full = execFileSync('go', ['tool', 'buildid', a], { encoding: 'utf8' }).trim();
    expect(idA).toBe(`go:${full.split('/').at(-1)}`);
    expect(await binaryIdentity(c)).toBe(idA);
    expect(await binaryIdentity(b)).not.toBe(idA);
    // A comment changes the inputs' hashes (the build ID's action IDs), not the program.
    fs.appendFileSync(path.join(tmp.dir, 'main.go'), '\n// a comment\n');
    const bin = path.join(tmp.dir, 'commented');
    execFileSync('go', ['build', '-o', bin, '.'], { cwd: tmp.dir, env: { ...process.env, GOWORK: 'off', GOFLAGS: '' } });
    expect(execFileSync('go', ['tool', 'buildid', bin], { encoding: 'utf8' }).trim(), 'another build ID').not.toBe(full);
    expect(await binaryIdentity(bin), 'the same program').toBe(idA);
  }, 120_000);

  it('a file without a Go build ID (a launcher script: the program it starts may change) and a missing file have no identity', async () => {
    const f = path.join(tmp.dir, 'script.sh');
    fs.writeFileSync(f, '#!/bin/sh\nexec ./bin/server\n');
    expect(await binaryIdentity(f)).toBeUndefined();
    expect(await binaryIdentity(path.join(tmp.dir, 'nope'))).toBeUndefined();
  });

  it('finds the text marker form (non-ELF binaries)', () => {
    const head = Buffer.concat([Buffer.alloc(100, 1), Buffer.from('\xff Go build ID: "abc/def"\n \xff', 'latin1')]);
    expect(goBuildId(head)).toBe('abc/def');
    expect(goBuildId(Buffer.alloc(4096))).toBeUndefined();
  });
});
