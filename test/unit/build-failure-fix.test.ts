import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log/logger.js';
import type { BuildResult } from '../../src/supervisor/build.js';
import { reportBuildFailure } from '../../src/supervisor/report-build.js';
import { makeTmpDir } from '../helpers/tmp.js';

/** The BUILD FAILED line for `output`, as logged. */
function failedLine(output: string): string {
  let said = '';
  const log = { error: (_f: unknown, msg: string) => (said = msg) } as unknown as Logger;
  const res = { ok: false, exitCode: 1, timedOut: false, durationMs: 120, output } as unknown as BuildResult;
  reportBuildFailure(log, res, true, { onFailure: 'keep-running', buildDir: '/r', cwd: '/r' });
  return said;
}

describe('BUILD FAILED: a failure of the machine gets its fix', () => {
  it('cgo without a C compiler', () => {
    const line = failedLine('# runtime/cgo\ncgo: C compiler "gcc" not found: exec: "gcc": executable file not found in $PATH\n');
    expect(line).toMatch(
      /\n {2}fix: install a C compiler \(gcc: e\.g\. apt install gcc, apk add build-base\), or build without cgo .*CGO_ENABLED: "0"/,
    );
  });

  it("go's build cache it cannot write (pre-warmed in an image, owned by root): GOCACHE, whichever it is", () => {
    let said = '';
    const log = { error: (_f: unknown, msg: string) => (said = msg) } as unknown as Logger;
    const output = 'open /opt/gocache/aa/aa71f00d-d: permission denied\n';
    const res = { ok: false, exitCode: 1, timedOut: false, durationMs: 58, output } as unknown as BuildResult;
    const ctx = { onFailure: 'keep-running' as const, buildDir: '/r', cwd: '/r', buildEnv: () => ({ GOCACHE: '/opt/gocache' }) };
    reportBuildFailure(log, res, true, ctx);
    expect(said).toContain(
      "\n  fix: go's build cache /opt/gocache cannot be written (permission denied), and no save can fix it: set GOCACHE",
    );
    // The same words about a file elsewhere are the code's business.
    reportBuildFailure(log, { ...res, output: 'open /r/data/x.json: permission denied\n' }, true, ctx);
    expect(said).not.toContain('fix:');
  });

  it('a build stopped by build.timeout: the timeout, not the code', () => {
    let said = '';
    const log = { error: (_f: unknown, msg: string) => (said = msg) } as unknown as Logger;
    const res = { ok: false, exitCode: undefined, timedOut: true, durationMs: 10_052, output: '' } as unknown as BuildResult;
    reportBuildFailure(log, res, false, { onFailure: 'keep-running', buildDir: '/r', cwd: '/r' });
    expect(said).toMatch(
      /\n {2}fix: the build ran longer than build\.timeout \(10 s\) and was stopped: the code may be fine .*Raise build\.timeout/,
    );
  });

  it('a compiler error of the code gets none (go says what is wrong)', () => {
    expect(failedLine('./main.go:3:1: syntax error: unexpected }\n')).not.toContain('fix:');
  });
});

describe('BUILD FAILED: an environment go cannot work in says so, and that no save fixes it (real go)', () => {
  const tmp = makeTmpDir();
  afterAll(() => tmp.cleanup());
  fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/env\n\ngo 1.22\n');
  fs.writeFileSync(path.join(tmp.dir, 'main.go'), 'package main\n\nfunc main() {}\n');
  const goBuild = (env: NodeJS.ProcessEnv): string => {
    const r = spawnSync('go', ['build', '-o', path.join(tmp.dir, 'app'), '.'], { cwd: tmp.dir, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).not.toBe(0);
    return r.stderr;
  };
  const { HOME: _home, XDG_CACHE_HOME: _xdg, GOCACHE: _cache, ...withoutHome } = process.env;

  it.each([
    ['GOFLAGS', { ...process.env, GOFLAGS: '-junkflag' }],
    ['GOTOOLCHAIN', { ...process.env, GOTOOLCHAIN: 'go9.99' }],
    ['GOCACHE, or HOME', withoutHome],
    // A HOME go cannot make its cache in (`docker run --user 1000` with HOME=/): /proc/self stands for one.
    ['GOCACHE (a writable directory), or HOME', { ...withoutHome, HOME: '/proc/self' }],
    ['TMPDIR, or GOTMPDIR', { ...process.env, TMPDIR: '/nonexistent', GOTMPDIR: '' }],
  ])('%s', (variable, env) => {
    expect(failedLine(goBuild(env))).toContain(
      `\n  fix: this comes from the environment go runs in (${variable}), and no save can fix it: set ${variable} in build.env (a config edit applies at once), or correct it in your shell`,
    );
  });
});

describe('BUILD FAILED: a full disk says where, and what holds its space (real go, a 1 MB tmpfs in a mount namespace)', () => {
  it('names the file go could not write', () => {
    const tmp = makeTmpDir();
    try {
      fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/full\n\ngo 1.22\n');
      fs.writeFileSync(path.join(tmp.dir, 'main.go'), 'package main\n\nfunc main() {}\n');
      const out = path.join(tmp.dir, 'out');
      fs.mkdirSync(out);
      const r = spawnSync('unshare', ['-Urm', 'sh', '-c', `mount -t tmpfs -o size=1m none ${out} && go build -o ${out}/app .`], {
        cwd: tmp.dir,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, r.stderr).not.toBe(0);
      expect(failedLine(r.stderr)).toContain(
        `\n  fix: the disk go writes to is full (${out}/app): free space there (df -h shows where); the running app's binary keeps its space until the app stops`,
      );
    } finally {
      tmp.cleanup();
    }
  });
});

describe('BUILD FAILED: a cgo package built with CGO_ENABLED=0 (real go)', () => {
  it('says its files import "C" and where CGO_ENABLED=0 comes from, only when it is in force', () => {
    const tmp = makeTmpDir();
    try {
      fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/cg\n\ngo 1.22\n');
      fs.writeFileSync(path.join(tmp.dir, 'main.go'), 'package main\n\n// #include <stdio.h>\nimport "C"\n\nfunc main() {}\n');
      const r = spawnSync('go', ['build', '-o', path.join(tmp.dir, 'app'), '.'], {
        cwd: tmp.dir,
        env: { ...process.env, CGO_ENABLED: '0' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, r.stderr).not.toBe(0);
      const line = (env: NodeJS.ProcessEnv): string => {
        let said = '';
        const log = { error: (_f: unknown, msg: string) => (said = msg) } as unknown as Logger;
        const res = { ok: false, exitCode: 1, timedOut: false, durationMs: 120, output: r.stderr } as unknown as BuildResult;
        reportBuildFailure(log, res, true, { onFailure: 'keep-running', buildDir: tmp.dir, cwd: tmp.dir, buildEnv: () => env });
        return said;
      };
      expect(line({ CGO_ENABLED: '0' })).toContain(
        '\n  fix: its files import "C", and CGO_ENABLED=0 is set (in your environment, or build.env)',
      );
      expect(line({ CGO_ENABLED: '1' })).not.toContain('fix:');
    } finally {
      tmp.cleanup();
    }
  });
});
