/**
 * Compiler output once (e2e, real go build): a failed build's errors are printed once, under the BUILD
 * FAILED line that counts them, each `file:line:col` resolving from the directory hotwatch was started in
 * (here the module's grandparent, with --root sub/dir). Checked in the human format, the one a person
 * reads: the output is not streamed line by line at info as well.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, freePort, goMain, httpGet, startHotwatch, writeGoApp } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let tmp: ReturnType<typeof makeTmpDir>;
let mod: string;
beforeEach(() => {
  tmp = makeTmpDir();
  mod = path.join(tmp.dir, 'sub', 'dir');
  fs.mkdirSync(mod, { recursive: true });
  writeGoApp(mod, 'v1');
});
afterEach(() => tmp.cleanup());

const occurrences = (text: string, needle: string): number => text.split(needle).length - 1;

describe('compiler output (e2e)', () => {
  it('each error appears once, under BUILD FAILED with the count, its path resolving from where hotwatch was started', async () => {
    const port = await freePort();
    const p = spawn(process.execPath, [BIN, 'run', '--log-format', 'pretty', '--root', 'sub/dir'], {
      cwd: tmp.dir,
      env: { ...process.env, PORT: String(port), NO_COLOR: '1' },
    });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
    try {
      await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: `v1 serves\n${err}`, timeoutMs: 60_000 });
      const before = err.length;
      // Two errors in main.go: two undefined names.
      const broken = goMain('v2').replace('func main() {', 'func main() {\n\t_ = undefinedOne\n\t_ = undefinedTwo');
      fs.writeFileSync(path.join(mod, 'main.go'), broken);
      await waitFor(() => err.slice(before).includes('BUILD FAILED'), { description: `the build fails\n${err}`, timeoutMs: 60_000 });
      // The failure is one record: everything it prints is in the output by now.
      const out = err.slice(before);
      const failure = out.slice(out.indexOf('BUILD FAILED'));
      expect(failure.split('\n')[0]).toMatch(/BUILD FAILED \(exit 1, \d+ms, 2 errors\): the previous version keeps serving$/);
      for (const name of ['undefinedOne', 'undefinedTwo']) {
        expect(occurrences(out, `undefined: ${name}`), `"undefined: ${name}" once in:\n${out}`).toBe(1);
        const line = out.split('\n').find((l) => l.includes(`undefined: ${name}`))!;
        const file = /^\s*(\S+?):\d+:\d+: /.exec(line)?.[1];
        expect(file, line).toBe(path.join('sub', 'dir', 'main.go'));
        expect(fs.existsSync(path.join(tmp.dir, file!)), `${file} from ${tmp.dir}`).toBe(true);
      }
      expect(await httpGet(port)).toBe('v=v1');
      fs.writeFileSync(path.join(mod, 'main.go'), goMain('v3'));
      await waitFor(async () => (await httpGet(port)) === 'v=v3', { description: `v3 serves\n${err}`, timeoutMs: 60_000 });
    } finally {
      p.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 90_000);
});

describe('a build that succeeds and prints (a cgo #warning, -gcflags=-m, a linker deprecation) (e2e)', () => {
  it('its lines are shown at info, once, after it: go build prints nothing when all is well', async () => {
    fs.writeFileSync(path.join(mod, 'main.go'), goMain('v1'));
    fs.writeFileSync(
      path.join(mod, 'build.sh'),
      '#!/bin/sh\necho "ld: warning: -bind_at_load is deprecated" >&2\nexec go build -o .hotwatch/bin/app .\n',
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(mod, 'watcher.config.yaml'), "build:\n  cmd: './build.sh'\n");
    const port = await freePort();
    const hw = startHotwatch([], { cwd: mod, env: { PORT: String(port) } });
    try {
      const said = await hw.waitForLog((l) => l.event === 'build.output-ok', 'the output of the good build is said', { timeoutMs: 60_000 });
      expect(said.level).toBe(30);
      expect(String(said.msg)).toBe('the build succeeded and printed:\n    ld: warning: -bind_at_load is deprecated');
      await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: 'v1 serves', timeoutMs: 60_000 });
    } finally {
      await hw.stop();
    }
  }, 120_000);
});

describe('a build.cmd that exits 0 without writing build.output (e2e)', () => {
  it('is a failed build that says so, once: not a "gone" binary built again', async () => {
    fs.writeFileSync(path.join(mod, 'watcher.config.yaml'), "build:\n  cmd: 'go build -o ./tmp/elsewhere .'\n  output: tmp/main\n");
    const hw = startHotwatch([], { cwd: mod, env: { PORT: String(await freePort()) } });
    try {
      const failed = await hw.waitForLog((l) => l.event === 'build.failed', 'the build is said to fail');
      expect(String(failed.msg)).toContain('hotwatch: build.cmd exited 0 but did not write build.output (tmp/main)');
      await new Promise((r) => setTimeout(r, 1_500));
      expect(hw.events('build.start')).toHaveLength(1);
      expect(hw.events('app.binary-gone')).toEqual([]);
    } finally {
      await hw.stop();
    }
  }, 60_000);
});

describe('a build.cmd that writes elsewhere, with an old binary at build.output (a run without the config left it) (e2e)', () => {
  it('is said at each build, naming the old binary and the fix, never "the same binary: nothing to restart"; the fix applied serves', async () => {
    fs.writeFileSync(path.join(mod, 'main.go'), goMain('old'));
    execFileSync('go', ['build', '-o', '.hotwatch/bin/app', '.'], { cwd: mod });
    fs.writeFileSync(path.join(mod, 'main.go'), goMain('v1'));
    await new Promise((r) => setTimeout(r, 1_500)); // older than the build by more than the slack
    // A build script (make build, ./build.sh): what it writes is not in build.cmd for the start-up to see.
    fs.writeFileSync(path.join(mod, 'build.sh'), '#!/bin/sh\nexec go build -o bin/server .\n', { mode: 0o755 });
    fs.writeFileSync(path.join(mod, 'watcher.config.yaml'), "build:\n  cmd: './build.sh'\n");
    const port = await freePort();
    const hw = startHotwatch([], { cwd: mod, env: { PORT: String(port) } });
    try {
      const said = await hw.waitForLog((l) => l.event === 'build.output-unwritten', 'the unwritten output is said');
      expect(said.level).toBe(40);
      expect(String(said.msg)).toMatch(
        /^build\.cmd exited 0 but did not write build\.output \(\.hotwatch\/bin\/app, last written .*, before this build\): the app runs that old binary/,
      );
      expect(String(said.msg)).toContain('set build.output to that file');
      await waitFor(async () => (await httpGet(port)) === 'v=old', { description: 'the old binary runs (as said)', timeoutMs: 60_000 });
      const from = hw.logs.length;
      fs.writeFileSync(path.join(mod, 'main.go'), goMain('v2'));
      await hw.waitForLog((l) => l.event === 'build.output-unwritten', 'said again at the next build', { from });
      expect(hw.events('build.same-binary')).toEqual([]);
    } finally {
      await hw.stop();
    }
    // The fix as written: build.output is the file it writes.
    fs.writeFileSync(path.join(mod, 'watcher.config.yaml'), "build:\n  cmd: './build.sh'\n  output: bin/server\n");
    const fixed = startHotwatch([], { cwd: mod, env: { PORT: String(port) } });
    try {
      await waitFor(async () => (await httpGet(port)) === 'v=v2', { description: 'the edited code serves', timeoutMs: 60_000 });
      expect(fixed.events('build.output-unwritten')).toEqual([]);
    } finally {
      await fixed.stop();
    }
  }, 120_000);
});

describe('a make-like build.cmd that is "up to date" for a file its rule does not name, saved right after a build that wrote (e2e)', () => {
  it('is said as not written, however soon after the binary was written: never "the same binary"', async () => {
    fs.writeFileSync(path.join(mod, 'main.go'), goMain('v1', { extraMain: 'fmt.Println(note)' }));
    fs.writeFileSync(path.join(mod, 'note.go'), 'package main\n\nconst note = "n1"\n');
    // make with a rule on main.go only: it builds when main.go is newer than the binary, else writes nothing.
    fs.writeFileSync(
      path.join(mod, 'build.sh'),
      '#!/bin/sh\n[ -e bin/app ] && [ ! main.go -nt bin/app ] && exit 0\nexec go build -o bin/app .\n',
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(mod, 'watcher.config.yaml'), "build:\n  cmd: './build.sh'\n  output: bin/app\n");
    const port = await freePort();
    const hw = startHotwatch([], { cwd: mod, env: { PORT: String(port) } });
    try {
      await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: 'v1 serves', timeoutMs: 60_000 });
      let from = hw.logs.length;
      fs.writeFileSync(path.join(mod, 'main.go'), goMain('v2', { extraMain: 'fmt.Println(note)' }));
      await hw.waitForLog((l) => l.event === 'app.start', 'v2 starts', { from, timeoutMs: 60_000 });
      // At once: the binary was written well under a second before this build starts.
      from = hw.logs.length;
      fs.writeFileSync(path.join(mod, 'note.go'), 'package main\n\nconst note = "n2"\n');
      await hw.waitForLog((l) => l.event === 'build.output-unwritten', 'the unwritten output is said', { from, timeoutMs: 60_000 });
      expect(hw.events('build.same-binary', from)).toEqual([]);
    } finally {
      await hw.stop();
    }
  }, 120_000);
});

describe('a `go` first on PATH that exits 0 and writes nothing (a wrapper, not Go) (e2e)', () => {
  it('the default build is a failed build naming the command and what to check, not "build ok" then a missing binary', async () => {
    const bin = path.join(path.dirname(mod), 'fakego');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'go'), '#!/bin/sh\necho "go: all good"\nexit 0\n', { mode: 0o755 });
    fs.rmSync(path.join(mod, 'watcher.config.yaml'), { force: true });
    const hw = startHotwatch([], { cwd: mod, env: { PORT: String(await freePort()), PATH: `${bin}:${process.env.PATH}` } });
    try {
      const failed = await hw.waitForLog((l) => l.event === 'build.failed', 'the build is said to fail');
      expect(String(failed.msg)).toMatch(
        /hotwatch: `go build .*` exited 0 but did not write \.hotwatch\/bin\/app: the `go` it ran may not be Go's toolchain/,
      );
      expect(hw.events('build.done')).toEqual([]);
      expect(hw.events('app.start')).toEqual([]);
    } finally {
      await hw.stop();
    }
  }, 60_000);
});

describe('build.output in a watched directory, with watch.include ["**"] (air: bin = "./server", include_ext = ["*"]) (e2e)', () => {
  it('the binary the build writes never triggers a build: one build per edit', async () => {
    fs.writeFileSync(path.join(mod, 'watcher.config.yaml'), 'build:\n  output: server\nwatch:\n  include: ["**"]\n');
    const port = await freePort();
    const hw = startHotwatch([], { cwd: mod, env: { PORT: String(port) } });
    try {
      await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: 'v1 serves', timeoutMs: 60_000 });
      await new Promise((r) => setTimeout(r, 1_500));
      expect(hw.events('build.start')).toHaveLength(1);
      writeGoApp(mod, 'v2');
      await waitFor(async () => (await httpGet(port)) === 'v=v2', { description: 'v2 serves', timeoutMs: 60_000 });
      await new Promise((r) => setTimeout(r, 1_500));
      expect(hw.events('build.start').map((l) => l.trigger)).toEqual(['initial build', 'main.go']);
    } finally {
      await hw.stop();
    }
  }, 90_000);
});
