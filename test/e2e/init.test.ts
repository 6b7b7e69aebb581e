/**
 * `hotwatch init` end to end: the built CLI on real-shaped repos in temp dirs (module-root main, cmd/*
 * with two programs, a frontend, a go.work workspace), the config it writes checked against the JSON
 * Schema file and loaded by hotwatch's loader, and `hotwatch run` with it serving over real HTTP.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { SCHEMA_FILE } from '../../src/config/emit-schema.js';
import { createFilter } from '../../src/watch/tree/filter.js';
import { validateConfigJson } from '../helpers/config-json-schema.js';
import { BIN, REPO, freePort, goMain, httpGet, runCli, startHotwatch, type Hotwatch } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const GO_MOD = 'module example.com/app\n\ngo 1.22\n';
let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** A temp repo holding `files` (path → content). */
function repo(files: Record<string, string>): string {
  const t = makeTmpDir('hotwatch-init-');
  cleanups.push(t.cleanup);
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(t.dir, p)), { recursive: true });
    fs.writeFileSync(path.join(t.dir, p), text);
  }
  return t.dir;
}

const init = (dir: string, args: string[] = []) => runCli(['init', ...args], { cwd: dir });
const configText = (dir: string): string => fs.readFileSync(path.join(dir, 'watcher.config.yaml'), 'utf8');

/** The written config passes the JSON Schema file and hotwatch's loader; its Settings. */
async function validConfig(dir: string) {
  expect(validateConfigJson(parseYaml(configText(dir)) ?? {})).toEqual([]);
  return loadSettings({ cwd: dir, isTTY: false });
}

/** `hotwatch run` in `dir` with the written config; resolves once the app answers `body`. */
async function serves(dir: string, body: string): Promise<{ hw: Hotwatch; port: number }> {
  const port = await freePort();
  const hw = startHotwatch([], { cwd: dir, env: { PORT: String(port) } });
  cleanups.push(async () => expect((await hw.stop()).code, hw.stderr().slice(-2000)).toBe(0));
  await waitFor(async () => (await httpGet(port)) === body, {
    description: `the app serves ${body}\n${hw.stderr().slice(-3000)}`,
    timeoutMs: 60_000,
  });
  return { hw, port };
}

describe('hotwatch init (e2e)', () => {
  it('module-root main: writes a valid config, git-ignores .hotwatch/ once, refuses to overwrite without --force, and serves', async () => {
    const dir = repo({ 'go.mod': GO_MOD, 'main.go': goMain('root-v1'), '.gitignore': 'bin/' });
    const r = await init(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote watcher\.config\.yaml\n {2}Go module: go\.mod\n {2}main package: \.\n/);
    expect(r.stdout).toContain('added .hotwatch/ to .gitignore');
    expect(configText(dir).split('\n')[0]).toBe(`# yaml-language-server: $schema=${SCHEMA_FILE}`);
    const s = await validConfig(dir);
    expect([s.build.package, s.build.cmd]).toEqual(['.', undefined]);
    expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('bin/\n.hotwatch/\n');

    const again = await init(dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      'hotwatch: watcher.config.yaml already exists: hotwatch init does not overwrite it\n  fix: keep it (hotwatch run uses it), or replace it with a freshly generated one: hotwatch init --force\n',
    );
    // From elsewhere, with flags: the fix is the same command with --force (it works as printed).
    const parent = path.dirname(dir);
    const withFlags = await runCli(['init', '--root', path.basename(dir), '--main', '.'], { cwd: parent });
    expect(withFlags.code).toBe(2);
    expect(withFlags.stderr).toContain(
      `fix: keep it (hotwatch run uses it), or replace it with a freshly generated one: hotwatch init --force --root ${path.basename(dir)} --main .\n`,
    );
    fs.appendFileSync(path.join(dir, 'watcher.config.yaml'), '# my edit\n');
    const forced = await init(dir, ['--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('.gitignore already ignores .hotwatch/');
    expect(configText(dir)).not.toContain('# my edit');
    expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8').match(/\.hotwatch\//g)).toHaveLength(1);

    await serves(dir, 'v=root-v1');
  }, 90_000);

  it('cmd/api and cmd/worker: without a terminal exit 2 lists both and the flag; --main ./cmd/api serves', async () => {
    const dir = repo({
      'go.mod': GO_MOD,
      'cmd/api/main.go': goMain('api-v1'),
      'cmd/worker/main.go': goMain('worker-v1'),
      'internal/db/db.go': 'package db\n',
    });
    const r = await init(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('several main packages here: ./cmd/api, ./cmd/worker');
    expect(r.stderr).toContain(
      'fix: name it: hotwatch init --main ./cmd/api  or  hotwatch init --main ./cmd/worker; or run them all from one hotwatch: hotwatch init --all',
    );
    expect(fs.existsSync(path.join(dir, 'watcher.config.yaml')), 'nothing written').toBe(false);
    expect(fs.existsSync(path.join(dir, '.gitignore')), 'nothing written').toBe(false);

    const bad = await init(dir, ['--main', './internal/db']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /--main \.\/internal\/db: \.\/internal\/db holds no package main[^\n]*\n {2}fix: pass one of the main packages found: --main \.\/cmd\/api, --main \.\/cmd\/worker/,
    );

    const ok = await init(dir, ['--main', 'cmd/api']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8')).toContain('.hotwatch/\n');
    expect((await validConfig(dir)).build.package).toBe('./cmd/api');
    const comments = configText(dir).replace(/\n\s*#\s*/g, ' '); // wrapped comment lines, joined
    expect(comments).toMatch(/Other main packages here: \.\/cmd\/worker\. [\s\S]*hotwatch init --main \.\/cmd\/worker/);
    expect(comments).toContain('to run them all from one hotwatch (one watcher, apps:), `hotwatch init --all --force`');
    await serves(dir, 'v=api-v1');
  }, 90_000);

  it('--all (or "all of them" at the prompt): every main package as an app of one hotwatch; valid, and each serves', async () => {
    const dir = repo({ 'go.mod': GO_MOD, 'cmd/api/main.go': goMain('api-v1'), 'cmd/worker/main.go': goMain('worker-v1') });
    const both = await init(dir, ['--all', '--main', './cmd/api']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--all and --main cannot be combined/);
    expect(fs.existsSync(path.join(dir, 'watcher.config.yaml')), 'nothing written').toBe(false);

    const r = await init(dir, ['--all']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('main packages: ./cmd/api, ./cmd/worker (all of them, as apps)');
    await validConfig(dir);
    expect(configText(dir)).toMatch(/^apps:\n {2}api:\n {4}package: \.\/cmd\/api\n {2}worker:\n {4}package: \.\/cmd\/worker$/m);

    // Each app on a free port of its own (no PORT: the test app then listens on 127.0.0.1:0).
    const hw = startHotwatch([], { cwd: dir, env: { PORT: '' } });
    cleanups.push(async () => expect((await hw.stop()).code, hw.stderr().slice(-2000)).toBe(0));
    const listening = await waitFor(
      () => {
        const ls = hw.events('app.listening');
        return new Set(ls.map((l) => l.app)).size >= 2 ? ls : undefined;
      },
      { description: `both apps listen\n${hw.stderr().slice(-3000)}`, timeoutMs: 60_000 },
    );
    for (const l of listening) {
      const port = (l.ports as number[])[0]!;
      expect(await httpGet(port), `app ${String(l.app)}`).toBe(`v=${String(l.app)}-v1`);
    }
  }, 90_000);

  it('on a terminal it asks which main package, by number (a real pty through script)', () => {
    const script = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).stdout.trim();
    if (!script) throw new Error('script(1) (util-linux) is needed to give hotwatch init a real terminal');
    const dir = repo({ 'go.mod': GO_MOD, 'cmd/api/main.go': goMain('a'), 'cmd/worker/main.go': goMain('w') });
    const r = spawnSync(script, ['-qec', `'${process.execPath}' '${BIN}' init`, '/dev/null'], {
      cwd: dir,
      input: '7\n2\n',
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/1\) \.\/cmd\/api\r?\n {2}2\) \.\/cmd\/worker\r?\n {2}3\) all of them, as apps of one hotwatch/);
    expect(r.stdout).toContain('"7" is not one of 1-3.');
    expect(configText(dir)).toMatch(/^ {2}package: \.\/cmd\/worker$/m);
  });

  it('a frontend with ui/node_modules: ui/ is excluded, so its edits never rebuild', async () => {
    const dir = repo({
      'go.mod': GO_MOD,
      'main.go': goMain('v1'),
      'ui/package.json': '{}',
      'ui/node_modules/react/index.js': '',
      'ui/index.html': '<html></html>',
      'ui/src/app.html': '',
    });
    const r = await init(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('frontend: ui (excluded: watch.exclude)');
    const s = await validConfig(dir);
    expect(s.watch.exclude).toEqual(['**/*_test.go', 'ui/**']);
    const filter = createFilter(s.watch);
    expect(filter.isExcludedDir(path.join(dir, 'ui'))).toBe(true);
    expect(filter.isRelevantFile(path.join(dir, 'ui/index.html'))).toBe(false);
    expect(filter.isRelevantFile(path.join(dir, 'main.go'))).toBe(true);
    expect(configText(dir)).toContain('# ui/ is a frontend: its edits never need a Go rebuild');
  });

  it('a go.work workspace (app + a git-ignored lib): builds ./app from the workspace root, a change to lib rebuilds; never advises go mod init', async () => {
    const lib = (v: string) => `package lib\n\nconst Version = "${v}"\n`;
    const app = goMain('unused')
      .replace('"os"\n', '"os"\n\t"example.com/lib"\n')
      .replace('fmt.Fprintf(w, "v=%s", version)', 'fmt.Fprintf(w, "v=%s", lib.Version)');
    const dir = repo({
      'go.work': 'go 1.22\n\nuse (\n\t./app\n\t./lib\n)\n',
      'app/go.mod': GO_MOD,
      'app/main.go': app,
      'lib/go.mod': 'module example.com/lib\n\ngo 1.22\n',
      'lib/lib.go': lib('lib-v1'),
      // A local checkout of a dependency, git-ignored: a common reason for a go.work.
      '.gitignore': 'lib/\n',
    });
    const r = await init(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Go workspace: go.work (./app, ./lib)');
    const s = await validConfig(dir);
    // build.package, not a build.cmd: go is then asked what the build compiles (the git-ignored lib) and embeds.
    expect([s.build.cmd, s.build.package]).toEqual([undefined, './app']);
    expect(`${r.stdout}${r.stderr}${configText(dir)}`).not.toMatch(/go mod init/);
    const { hw, port } = await serves(dir, 'v=lib-v1');
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(dir, 'lib/lib.go'), lib('lib-v2'));
    await hw.waitForLog((l) => l.event === 'build.start', 'a change in lib starts a build', { from: mark });
    await waitFor(async () => (await httpGet(port)) === 'v=lib-v2', { description: 'the app serves lib-v2', timeoutMs: 60_000 });
  }, 120_000);

  it('a go.work workspace it cannot decide for says how to name the program, not go mod init', async () => {
    const two = repo({
      'go.work': 'go 1.22\n\nuse ./svc\n',
      'svc/go.mod': GO_MOD,
      'svc/cmd/a/main.go': goMain('a'),
      'svc/cmd/b/main.go': goMain('b'),
    });
    const r = await init(two);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('fix: name it: hotwatch init --main ./svc/cmd/a  or  hotwatch init --main ./svc/cmd/b');
    const none = repo({ 'go.work': 'go 1.22\n\nuse ./lib\n', 'lib/go.mod': GO_MOD, 'lib/lib.go': 'package lib\n' });
    const n = await init(none);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(
      /no main package \(package main with func main\) found in the modules of go\.work \(\.\/lib\)[^\n]*\n {2}fix: name the one to build: hotwatch init --main/,
    );
    expect(`${r.stderr}${n.stderr}`).not.toMatch(/go mod init/);
  });

  it('no Go module: exit 2 naming the fix; from a subdirectory, the directory to use', async () => {
    const empty = repo({ 'README.md': '' });
    const r = await init(empty);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no go\.mod or go\.work in .*\n {2}fix: .*go mod init example\.com\/app/);
    const dir = repo({ 'go.mod': GO_MOD, 'main.go': goMain('v1'), 'internal/x/x.go': 'package x\n' });
    const sub = await init(path.join(dir, 'internal'));
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain(`is inside the module at ${dir}: hotwatch init writes the config at the module's root`);
    expect(sub.stderr).toContain(`fix: hotwatch init --root ${dir}, then run hotwatch there`);
    const flag = await init(dir, ['--frobnicate']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(
      /^hotwatch: unknown flag --frobnicate\n {2}fix: the flags of hotwatch init are --root, --main, --all, --from-air, --force, --help, -h/,
    );
  });

  it("installed in the repo's node_modules, the schema line is a relative path that resolves", async () => {
    const dir = repo({ 'go.mod': GO_MOD, 'main.go': goMain('v1') });
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(REPO, path.join(dir, 'node_modules/hotwatch'));
    const r = spawnSync(process.execPath, [path.join(dir, 'node_modules/hotwatch/bin/hotwatch.js'), 'init'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const ref = './node_modules/hotwatch/schema/watcher.config.schema.json';
    expect(configText(dir).split('\n')[0]).toBe(`# yaml-language-server: $schema=${ref}`);
    expect(fs.existsSync(path.join(dir, ref))).toBe(true);
  });
});
