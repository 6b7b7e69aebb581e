/**
 * preflight: the main package (the `cmd/server` layout), and `go` required only when a build needs it.
 * Real temp modules, the real `go` on PATH (go list), real loadSettings (positions in the config file).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { HotwatchError } from '../../src/errors.js';
import { findMainPackages, preflight } from '../../src/preflight.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-preflight-');
  write('go.mod', 'module example.com/app\n\ngo 1.22\n');
});
afterEach(() => tmp.cleanup());

const MAIN = 'package main\n\nfunc main() {}\n';
function write(rel: string, text: string): void {
  const file = path.join(tmp.dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}
const settings = () => loadSettings({ cwd: tmp.dir, isTTY: false });
async function failure(): Promise<HotwatchError> {
  const e = await preflight(await settings()).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof HotwatchError)) throw new Error(`expected a HotwatchError, got ${String(e)}`);
  expect(e.exitCode).toBe(2);
  return e;
}

describe('build.package must be a main package', () => {
  it('a library at the root: names the main packages, shallow first, skipping what go build skips', async () => {
    write('lib.go', '// Package app is a library.\npackage app\n');
    write('cmd/tool/main.go', MAIN);
    write('cmd/server/main.go', `/* the server */\n${MAIN}`);
    write('internal/gen/gen.go', `//go:build ignore\n\n${MAIN}`); // a generator, not a program
    write('internal/gen/z.go', 'package gen\n');
    for (const skipped of ['testdata/t', 'vendor/v', '_old', '.hidden', 'node_modules/m', 'nested']) write(`${skipped}/main.go`, MAIN);
    write('nested/go.mod', 'module example.com/nested\n');
    const e = await failure();
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.format()).toBe(
      `build.package ".": ${tmp.dir} is package app (a library), not package main: there is no program to build and run\n` +
        '  fix: name the one to run: hotwatch run --package ./cmd/server, or write a config that names it: hotwatch init --main ./cmd/server (or hotwatch init --all: every one, as apps) (main packages under the root: ./cmd/server, ./cmd/tool)',
    );
    // With a config file, the fix is in it.
    write('watcher.config.yaml', 'run:\n  args: []\n');
    expect((await failure()).hint).toBe(
      'set build.package: ./cmd/server in watcher.config.yaml (main packages under the root: ./cmd/server, ./cmd/tool)',
    );
  });

  it('a go.work root: the main packages of its modules are found (they hold a go.mod), not those of a module outside it', async () => {
    fs.rmSync(path.join(tmp.dir, 'go.mod'));
    write('go.work', 'go 1.22\n\nuse (\n\t./app\n\t"./lib" // the library\n)\n');
    write('app/go.mod', 'module example.com/app\n\ngo 1.22\n');
    write('app/main.go', MAIN);
    write('lib/go.mod', 'module example.com/lib\n\ngo 1.22\n');
    write('lib/lib.go', 'package lib\n');
    write('lib/cmd/gen/main.go', MAIN);
    write('other/go.mod', 'module example.com/other\n\ngo 1.22\n');
    write('other/main.go', MAIN);
    const s = await settings();
    expect(findMainPackages(s)).toEqual({ found: ['./app', './lib/cmd/gen'], complete: true, nested: ['./other'] });
    const e = await failure();
    expect(e.format()).toBe(
      `build.package ".": no Go files in ${tmp.dir}: there is no program to build and run\n` +
        '  fix: name the one to run: hotwatch run --package ./app, or write a config that names it: hotwatch init --main ./app (or hotwatch init --all: every one, as apps) (main packages under the root: ./app, ./lib/cmd/gen)',
    );
    // GOWORK=off in the build's environment: go ignores the go.work, so do its modules.
    expect(findMainPackages({ ...s, build: { ...s.build, env: { ...s.build.env, GOWORK: 'off' } } })).toEqual({
      found: [],
      complete: true,
      nested: ['./app', './other'], // modules of their own then: run hotwatch there
    });
  });

  it('no Go files at the root and no main package anywhere', async () => {
    write('pkg/a/a.go', 'package a\n');
    const e = await failure();
    expect(e.format()).toBe(
      `build.package ".": no Go files in ${tmp.dir}: there is no program to build and run\n` +
        `  fix: no main package (package main with func main) found under ${tmp.dir}: add one and set build.package to it in watcher.config.yaml, or set build.cmd`,
    );
  });

  it('build.package set in the file points at its value', async () => {
    write('main.go', MAIN);
    write('internal/lib/lib.go', 'package lib\n');
    write('internal/lib/lib_test.go', 'package lib\n');
    write('watcher.config.yaml', 'build:\n  package: ./internal/lib\n');
    const e = await failure();
    expect(e.format()).toMatch(
      /^watcher\.config\.yaml:2:12 build\.package "\.\/internal\/lib": .*internal\/lib is package lib \(a library\), not package main: .*\n {2}fix: set build\.package: \. in watcher\.config\.yaml/,
    );
  });

  it('a mistyped build.package, as a directory or as an import path of this module: does not exist, and the fix names the main packages', async () => {
    write('cmd/api/main.go', MAIN);
    for (const pkg of ['./cmd/apii', 'example.com/app/cmd/apii']) {
      write('watcher.config.yaml', `build:\n  package: ${pkg}\n`);
      const e = await failure();
      expect(e.format()).toBe(
        `watcher.config.yaml:2:12 build.package ${pkg}: ${path.join(tmp.dir, 'cmd/apii')} does not exist\n  fix: set build.package: ./cmd/api in watcher.config.yaml (main packages under the root: ./cmd/api)`,
      );
    }
  });

  it('the only program is in a module of its own (cmd/tool/go.mod): the fix says to run hotwatch there', async () => {
    write('lib.go', 'package app\n');
    write('cmd/tool/go.mod', 'module example.com/tool\n\ngo 1.22\n');
    write('cmd/tool/main.go', MAIN);
    const e = await failure();
    expect(e.hint).toBe('the programs here are in modules of their own (./cmd/tool): run hotwatch in one: cd ./cmd/tool && hotwatch run');
  });

  it('a main package passes: at the root, in cmd/server, or named by its import path', async () => {
    write('main.go', MAIN);
    await expect(preflight(await settings())).resolves.toMatchObject({ goMod: path.join(tmp.dir, 'go.mod') });
    write('cmd/server/main.go', MAIN);
    for (const pkg of ['./cmd/server', 'example.com/app/cmd/server']) {
      write('watcher.config.yaml', `build:\n  package: ${pkg}\n`);
      await expect(preflight(await settings())).resolves.toBeDefined();
    }
  });

  it('the search for main packages is bounded in time and count', async () => {
    write('lib.go', 'package app\n');
    write('cmd/a/main.go', MAIN);
    write('cmd/b/main.go', MAIN);
    const s = await settings();
    expect(findMainPackages(s)).toMatchObject({ found: ['./cmd/a', './cmd/b'], complete: true });
    expect(findMainPackages(s, 10_000, 1)).toMatchObject({ found: ['./cmd/a'], complete: false });
    expect(findMainPackages(s, 0)).toMatchObject({ found: [], complete: false });
  });
});

describe('go on PATH', () => {
  it('a custom build.cmd that does not run go needs no Go toolchain; one that runs go does', async () => {
    fs.mkdirSync(path.join(tmp.dir, 'nogo'));
    const env = `  env:\n    PATH: ${path.join(tmp.dir, 'nogo')}\n`;
    write('watcher.config.yaml', `build:\n  cmd: cp prebuilt .hotwatch/bin/app\n${env}`);
    await expect(preflight(await settings())).resolves.toEqual({ goBinary: undefined, goMod: undefined });
    write('watcher.config.yaml', `build:\n  cmd: CGO_ENABLED=0 go build -o .hotwatch/bin/app .\n${env}`);
    const e = await failure();
    expect(e.code).toBe('GO_MISSING');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:8 build.cmd: runs `go`, but the Go toolchain is not on PATH\n' +
        `  fix: install Go (https://go.dev/dl/) or add its bin directory to PATH; searched: ${path.join(tmp.dir, 'nogo')}`,
    );
  });
});

describe('commands hotwatch runs besides the build (issue 18)', () => {
  it('a build step whose program is not on PATH: exit 2 at the step, before anything starts', async () => {
    write('main.go', MAIN);
    write('watcher.config.yaml', 'build:\n  steps:\n    - run: [go, version]\n    - run: [no-such-generator-hw, x]\n');
    const e = await failure();
    expect(e.code).toBe('COMMAND_MISSING');
    expect(e.format()).toMatch(
      /watcher\.config\.yaml:4:12 build\.steps\[1\]\.run no-such-generator-hw x: `no-such-generator-hw` is not on PATH/,
    );
  });

  it('ad-hoc mode needs no go.mod, only a command that exists', async () => {
    fs.rmSync(path.join(tmp.dir, 'go.mod'));
    const { applyExec } = await import('../../src/config/exec.js');
    await expect(preflight(applyExec(await settings(), { command: ['sh', '-c', 'true'], watch: [] }))).resolves.toBeDefined();
    const e = await preflight(applyExec(await settings(), { command: ['./run.sh'], watch: [] })).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(HotwatchError);
    expect((e as HotwatchError).message).toMatch(/run\.sh is not an executable file/);
  });
});
