/**
 * What a first real repo showed (issues 13 and 15): a go.work root runs with the package named (modules
 * outside the root are watched: watch-set.test.ts); and `--package cmd/api` (no ./), which go reads as a
 * standard-library import path, is refused with the fix.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, goMain, httpGet, runCli, startHotwatch, type Hotwatch } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let tmp: ReturnType<typeof makeTmpDir> | undefined;
let hw: Hotwatch | undefined;
afterEach(async () => {
  if (hw) expect((await hw.stop()).code, hw.stderr().slice(-2000)).toBe(0);
  hw = undefined;
  tmp?.cleanup();
});

const env = { GOWORK: '', GOFLAGS: '' };

/** app/ (imports example.com/lib, says lib.V) and lib/; `link` joins them: a go.work at the top, or a replace in app/go.mod. */
function workspace(link: 'go.work' | 'replace'): string {
  tmp = makeTmpDir();
  const root = tmp.dir;
  fs.mkdirSync(path.join(root, 'app'));
  fs.mkdirSync(path.join(root, 'lib'));
  fs.writeFileSync(path.join(root, 'lib', 'go.mod'), 'module example.com/lib\n\ngo 1.22\n');
  fs.writeFileSync(path.join(root, 'lib', 'lib.go'), 'package lib\n\nconst V = "lib1"\n');
  const replace = link === 'replace' ? 'require example.com/lib v0.0.0\nreplace example.com/lib => ../lib\n' : '';
  fs.writeFileSync(path.join(root, 'app', 'go.mod'), `module example.com/app\n\ngo 1.22\n${replace}`);
  fs.writeFileSync(
    path.join(root, 'app', 'main.go'),
    goMain('app', {
      imports: ['example.com/lib'],
      extraMain: 'http.HandleFunc("/lib", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, lib.V) })',
    }),
  );
  if (link === 'go.work') fs.writeFileSync(path.join(root, 'go.work'), 'go 1.22\n\nuse (\n\t./app\n\t./lib\n)\n');
  return root;
}

describe('workspaces and local modules (e2e)', () => {
  it('a go.work root with a hand-written build.cmd naming ./app (quoted ldflags, as air configs have them), lib git-ignored: go is asked about ./app, so lib is watched and its edit serves', async () => {
    const root = workspace('go.work');
    fs.writeFileSync(path.join(root, '.gitignore'), 'lib/\n');
    fs.writeFileSync(path.join(root, 'watcher.config.yaml'), 'build:\n  cmd: go build -ldflags "-s -w" -o .hotwatch/bin/app ./app\n');
    const port = await freePort();
    hw = startHotwatch([], { cwd: root, env: { ...env, PORT: String(port) } });
    await waitFor(async () => (await httpGet(port, '/lib')) === 'lib1', { description: 'lib1 serves', timeoutMs: 60_000 });
    await hw.waitForLog((l) => l.event === 'watch.ready', 'watching is ready');
    fs.writeFileSync(path.join(root, 'lib', 'lib.go'), 'package lib\n\nconst V = "lib2"\n');
    await waitFor(async () => (await httpGet(port, '/lib')) === 'lib2', {
      description: `an edit in the git-ignored lib serves\n${hw!.stderr().slice(-2000)}`,
      timeoutMs: 60_000,
    });
  }, 120_000);

  it("a go.work member's go.mod edited (its replace now names another directory, outside the root) builds at once, and that directory is watched from then on", async () => {
    tmp = makeTmpDir();
    const root = path.join(tmp.dir, 'ws');
    for (const d of ['app', 'lib']) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.mkdirSync(path.join(tmp.dir, 'lib2'));
    for (const [dir, v] of [
      [path.join(root, 'lib'), 'lib1'],
      [path.join(tmp.dir, 'lib2'), 'other1'],
    ] as const) {
      fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/lib\n\ngo 1.22\n');
      fs.writeFileSync(path.join(dir, 'lib.go'), `package lib\n\nconst V = "${v}"\n`);
    }
    const appMod = (target: string): string =>
      `module example.com/app\n\ngo 1.22\nrequire example.com/lib v0.0.0\nreplace example.com/lib => ${target}\n`;
    fs.writeFileSync(path.join(root, 'app', 'go.mod'), appMod('../lib'));
    fs.writeFileSync(
      path.join(root, 'app', 'main.go'),
      goMain('app', {
        imports: ['example.com/lib'],
        extraMain: 'http.HandleFunc("/lib", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, lib.V) })',
      }),
    );
    fs.writeFileSync(path.join(root, 'go.work'), 'go 1.22\n\nuse ./app\n');
    const port = await freePort();
    hw = startHotwatch(['--package', './app'], { cwd: root, env: { ...env, PORT: String(port) } });
    await waitFor(async () => (await httpGet(port, '/lib')) === 'lib1', { description: 'lib1 serves', timeoutMs: 60_000 });
    await hw.waitForLog((l) => l.event === 'watch.ready', 'watching is ready');
    fs.writeFileSync(path.join(root, 'app', 'go.mod'), appMod('../../lib2'));
    await waitFor(async () => (await httpGet(port, '/lib')) === 'other1', {
      description: `the member's go.mod edit serves the other directory's code\n${hw!.stderr().slice(-2000)}`,
      timeoutMs: 60_000,
    });
    await hw.waitForLog((l) => l.event === 'watch.root-added', 'the new replace target is watched');
    fs.writeFileSync(path.join(tmp.dir, 'lib2', 'lib.go'), 'package lib\n\nconst V = "other2"\n');
    await waitFor(async () => (await httpGet(port, '/lib')) === 'other2', {
      description: `an edit in the new replace target serves\n${hw!.stderr().slice(-2000)}`,
      timeoutMs: 60_000,
    });
  }, 150_000);

  it('a go.work root with --package ./app: builds, and an edit in lib/ serves', async () => {
    const root = workspace('go.work');
    const port = await freePort();
    hw = startHotwatch(['--package', './app'], { cwd: root, env: { ...env, PORT: String(port) } });
    await waitFor(async () => (await httpGet(port, '/lib')) === 'lib1', { description: 'lib1 serves', timeoutMs: 60_000 });
    fs.writeFileSync(path.join(root, 'lib', 'lib.go'), 'package lib\n\nconst V = "lib2"\n');
    await waitFor(async () => (await httpGet(port, '/lib')) === 'lib2', { description: 'the edit in lib serves', timeoutMs: 60_000 });
  }, 120_000);

  it('a go.work root without --package (zero-config): exit 2 naming the main package of its modules and the fix; with two, both', async () => {
    const root = workspace('go.work');
    const r = await runCli(['run'], { cwd: root, env: { ...process.env, ...env } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`build.package ".": no Go files in ${root}: there is no program to build and run`);
    expect(r.stderr).toContain(
      'fix: run it: hotwatch run --package ./app, or write a config that names it: hotwatch init --main ./app (main packages under the root: ./app)',
    );
    expect(fs.existsSync(path.join(root, '.hotwatch', 'bin'))).toBe(false);

    // The fix it names works: init writes the build of that package (running it is the test above).
    const init = await runCli(['init', '--main', './app'], { cwd: root, env: { ...process.env, ...env } });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('main package: ./app');
    // build.package, not a build.cmd: with a package, go is asked what the build compiles and embeds.
    const written = fs.readFileSync(path.join(root, 'watcher.config.yaml'), 'utf8');
    expect(written).toMatch(/^ {2}package: \.\/app$/m);
    expect(written).not.toMatch(/^ {2}cmd:/m);
    fs.rmSync(path.join(root, 'watcher.config.yaml'));

    // A second program in a module of the workspace: both named; a module outside go.work is not go's to build here.
    fs.mkdirSync(path.join(root, 'tool'));
    fs.writeFileSync(path.join(root, 'tool', 'go.mod'), 'module example.com/tool\n\ngo 1.22\n');
    fs.writeFileSync(path.join(root, 'tool', 'main.go'), goMain('tool'));
    fs.mkdirSync(path.join(root, 'other'));
    fs.writeFileSync(path.join(root, 'other', 'go.mod'), 'module example.com/other\n\ngo 1.22\n');
    fs.writeFileSync(path.join(root, 'other', 'main.go'), goMain('other'));
    fs.writeFileSync(path.join(root, 'go.work'), 'go 1.22\n\nuse (\n\t./app\n\t./lib\n\t./tool\n)\n');
    const two = await runCli(['run'], { cwd: root, env: { ...process.env, ...env } });
    expect(two.code, two.stderr).toBe(2);
    expect(two.stderr).toContain(
      'fix: name the one to run: hotwatch run --package ./app, or write a config that names it: hotwatch init --main ./app (or hotwatch init --all: every one, as apps) (main packages under the root: ./app, ./tool)',
    );
  }, 60_000);

  it('--package cmd/api (no ./) is refused at start with the fix, nothing started', async () => {
    tmp = makeTmpDir();
    fs.mkdirSync(path.join(tmp.dir, 'cmd', 'api'), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/t\n\ngo 1.22\n');
    fs.writeFileSync(path.join(tmp.dir, 'cmd', 'api', 'main.go'), goMain('v1'));
    const r = await runCli(['run', '--package', 'cmd/api'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('build.package cmd/api: go reads this as an import path');
    expect(r.stderr).toContain('fix: write it as a directory: build.package: ./cmd/api (or --package ./cmd/api)');
    expect(fs.existsSync(path.join(tmp.dir, '.hotwatch'))).toBe(false);
  }, 60_000);
});
