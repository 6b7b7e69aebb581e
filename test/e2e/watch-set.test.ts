/**
 * The watch set follows the build (issue 15): modules the build compiles from outside the root (go.work
 * `use` directories, local replace targets) are watched and their edits serve; a module that joins the
 * set while hotwatch runs is armed, one that leaves it is unwatched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, goMain, httpGet, runCli, startHotwatch, type Hotwatch } from '../helpers/hotwatch.js';
import { validateJsonSchema } from '../helpers/json-schema.js';
import { DOCTOR_SCHEMA_FILE } from '../../src/diagnostics/emit-doctor-schema.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let tmp: ReturnType<typeof makeTmpDir> | undefined;
let hw: Hotwatch | undefined;
afterEach(async () => {
  if (hw) expect((await hw.stop()).code, hw.stderr().slice(-2000)).toBe(0);
  hw = undefined;
  tmp?.cleanup();
});

const env = { GOWORK: '', GOFLAGS: '', GOPROXY: 'off' };

function mod(root: string, dir: string, name: string, value: string): void {
  fs.mkdirSync(path.join(root, dir), { recursive: true });
  fs.writeFileSync(path.join(root, dir, 'go.mod'), `module example.com/${name}\n\ngo 1.22\n`);
  setV(root, dir, name, value);
}

const setV = (root: string, dir: string, name: string, value: string): void =>
  fs.writeFileSync(path.join(root, dir, `${name}.go`), `package ${name}\n\nconst V = "${value}"\n`);

/** app/main.go serving /<lib> with <lib>.V for each module it imports. */
function writeMain(root: string, libs: string[]): void {
  const routes = libs.map((l) => `http.HandleFunc("/${l}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, ${l}.V) })`);
  fs.writeFileSync(
    path.join(root, 'app', 'main.go'),
    goMain('app', { imports: libs.map((l) => `example.com/${l}`), extraMain: routes.join('\n\t') }),
  );
}

function workspace(uses: string[]): string {
  fs.writeFileSync(path.join(tmp!.dir, 'go.work'), `go 1.22\n\nuse (\n${uses.map((u) => `\t./${u}\n`).join('')})\n`);
  return tmp!.dir;
}

const serves = (port: number, route: string, want: string, what: string) =>
  waitFor(async () => (await httpGet(port, route)) === want, { description: what, timeoutMs: 60_000 });

/** Build triggers logged from index `from` on (their text names the changed files). */
const triggers = (h: Hotwatch, from: number): string[] => h.events('build.start', from).map((l) => String(l.trigger));

describe('the watch set follows the build (e2e)', () => {
  it('run in cmd/api below the module go.mod: the rest of the module (internal/msg) is watched, and its edit serves', async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    mod(root, '.', 'svc', '');
    fs.rmSync(path.join(root, 'svc.go'));
    fs.mkdirSync(path.join(root, 'internal', 'msg'), { recursive: true });
    fs.mkdirSync(path.join(root, 'cmd', 'api'), { recursive: true });
    setV(root, 'internal/msg', 'msg', 'msg1');
    const route = 'http.HandleFunc("/msg", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, msg.V) })';
    fs.writeFileSync(
      path.join(root, 'cmd', 'api', 'main.go'),
      goMain('api', { imports: ['example.com/svc/internal/msg'], extraMain: route }),
    );
    const port = await freePort();
    hw = startHotwatch([], { cwd: path.join(root, 'cmd', 'api'), env: { ...env, PORT: String(port) } });
    await serves(port, '/msg', 'msg1', 'msg1 serves');
    const added = await hw.waitForLog((l) => l.event === 'watch.root-added', 'the module directory is watched');
    expect(added.dir).toBe(fs.realpathSync(root));
    expect(String(added.msg)).toContain('../.. (the module the root is in)');
    setV(root, 'internal/msg', 'msg', 'msg2');
    await serves(port, '/msg', 'msg2', 'the edit in internal/msg serves');
  });

  it('go.work, run in app/: lib is watched; a module added to go.work is armed and serves; one removed is unwatched', async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    mod(root, 'app', 'app', '');
    fs.rmSync(path.join(root, 'app', 'app.go'));
    mod(root, 'lib', 'lib', 'lib1');
    writeMain(root, ['lib']);
    workspace(['app', 'lib']);
    const port = await freePort();
    hw = startHotwatch([], { cwd: path.join(root, 'app'), env: { ...env, PORT: String(port) } });
    await serves(port, '/lib', 'lib1', 'lib1 serves');
    await hw.waitForLog((l) => l.event === 'watch.root-added', 'lib is armed (the app may serve first: the build runs while arming)');
    const added = hw.events('watch.root-added');
    expect(added.map((l) => l.dir)).toEqual([fs.realpathSync(path.join(root, 'lib'))]);
    expect(String(added[0]!.msg)).toContain('../lib (go.work use (lib))');
    expect(hw.events('watch.ready')[0]!.msg).toContain('1 more root: ../lib (go.work use (lib))');

    setV(root, 'lib', 'lib', 'lib2');
    await serves(port, '/lib', 'lib2', 'the edit in lib serves');

    // A new module joins the workspace (the go.work lies outside the root: it is stat-polled).
    mod(root, 'extra', 'extra', 'extra1');
    workspace(['app', 'lib', 'extra']);
    await hw.waitForLog((l) => l.event === 'watch.root-added' && String(l.dir).endsWith('/extra'), 'extra is armed');
    writeMain(root, ['lib', 'extra']);
    await serves(port, '/extra', 'extra1', 'the app imports extra');
    setV(root, 'extra', 'extra', 'extra2');
    await serves(port, '/extra', 'extra2', 'the edit in the added module serves');

    // It leaves the workspace: unwatched.
    writeMain(root, ['lib']);
    workspace(['app', 'lib']);
    await hw.waitForLog((l) => l.event === 'watch.root-removed' && String(l.dir).endsWith('/extra'), 'extra is unwatched');
    await serves(port, '/extra', 'v=app', 'the app without extra serves');
    const mark = hw.logs.length;
    setV(root, 'extra', 'extra', 'extra3');
    await new Promise((r) => setTimeout(r, 2000));
    setV(root, 'lib', 'lib', 'lib3'); // still watched: the control that the pipeline is alive
    await serves(port, '/lib', 'lib3', 'an edit in lib still serves');
    expect(triggers(hw, mark).join('\n')).not.toContain('extra');
    expect(triggers(hw, mark).join('\n')).toContain('lib.go');
  }, 240_000);

  it('a go.work created in the parent while hotwatch runs in app/: its modules are watched, their edits serve', async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    mod(root, 'app', 'app', '');
    fs.rmSync(path.join(root, 'app', 'app.go'));
    writeMain(root, []);
    mod(root, 'lib', 'lib', 'lib1');
    const port = await freePort();
    hw = startHotwatch([], { cwd: path.join(root, 'app'), env: { ...env, PORT: String(port) } });
    await serves(port, '/', 'v=app', 'the app serves without a workspace');
    expect(hw.events('watch.root-added')).toEqual([]);

    // `go work init ./app ./lib` in the parent (outside every watched root), then the app starts using lib.
    workspace(['app', 'lib']);
    // The parent's go.work is stat-polled: up to 30 s apart once the tree is quiet (a loaded start is).
    await hw.waitForLog((l) => l.event === 'watch.root-added' && String(l.dir).endsWith('/lib'), 'lib is armed once go.work appears', {
      timeoutMs: 90_000,
    });
    writeMain(root, ['lib']);
    await serves(port, '/lib', 'lib1', 'the app imports lib through the new workspace');
    setV(root, 'lib', 'lib', 'lib2');
    await serves(port, '/lib', 'lib2', 'an edit in lib serves (lib is watched)');
  }, 120_000);

  it('the parent go.work removed, then written again: each change builds, and the module go.mod replaces lib with serves', async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    mod(root, 'lib', 'lib', 'workspace-lib');
    mod(root, 'app/vendorlib', 'lib', 'replaced-lib');
    fs.writeFileSync(
      path.join(root, 'app', 'go.mod'),
      'module example.com/app\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ./vendorlib\n',
    );
    writeMain(root, ['lib']);
    workspace(['app', 'lib']);
    const port = await freePort();
    hw = startHotwatch([], { cwd: path.join(root, 'app'), env: { ...env, PORT: String(port) } });
    await serves(port, '/lib', 'workspace-lib', 'the workspace module serves');
    const mark = hw.logs.length;
    fs.rmSync(path.join(root, 'go.work')); // go now builds go.mod's replace target: a change to build, not only to unwatch
    // The parent's go.work is stat-polled: up to 30 s apart once the tree is quiet (a loaded start is).
    await waitFor(async () => (await httpGet(port, '/lib')) === 'replaced-lib', {
      description: 'without the workspace, the replace target serves',
      timeoutMs: 120_000,
    });
    expect(triggers(hw, mark)).toContain('../go.work');
    workspace(['app', 'lib']);
    await waitFor(async () => (await httpGet(port, '/lib')) === 'workspace-lib', {
      description: 'the workspace again',
      timeoutMs: 120_000,
    });
  }, 300_000);

  it('a package directory and a .go file symlinked from outside the root: the build compiles them, so they are watched and their edits serve', async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    mod(root, 'app', 'app', '');
    fs.rmSync(path.join(root, 'app', 'app.go'));
    fs.mkdirSync(path.join(root, 'shared', 'lib'), { recursive: true });
    fs.writeFileSync(path.join(root, 'shared', 'lib', 'lib.go'), 'package lib\n\nconst V = "dir1"\n');
    fs.symlinkSync(path.join(root, 'shared', 'lib'), path.join(root, 'app', 'lib')); // app/lib -> ../shared/lib
    fs.mkdirSync(path.join(root, 'common'));
    fs.writeFileSync(path.join(root, 'common', 'msg.go'), 'package main\n\nconst msg = "file1"\n');
    fs.symlinkSync(path.join(root, 'common', 'msg.go'), path.join(root, 'app', 'msg.go')); // app/msg.go -> ../common/msg.go
    const routes =
      'http.HandleFunc("/lib", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, lib.V) })\n\thttp.HandleFunc("/msg", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, msg) })';
    fs.writeFileSync(path.join(root, 'app', 'main.go'), goMain('app', { imports: ['example.com/app/lib'], extraMain: routes }));
    const port = await freePort();
    hw = startHotwatch([], { cwd: path.join(root, 'app'), env: { ...env, PORT: String(port) } });
    await serves(port, '/lib', 'dir1', 'the linked package serves');
    await hw.waitForLog(
      (l) => l.event === 'watch.root-added' && String(l.dir).endsWith('/common'),
      'the linked file’s directory is watched',
    );
    await hw.waitForLog((l) => l.event === 'watch.root-added' && String(l.dir).endsWith('/shared/lib'), 'the linked package is watched');
    // Nothing changed there since the first build began: joining costs no build of its own.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(hw.events('build.start').map((l) => l.trigger)).toHaveLength(1);
    fs.writeFileSync(path.join(root, 'shared', 'lib', 'lib.go'), 'package lib\n\nconst V = "dir2"\n');
    await serves(port, '/lib', 'dir2', 'an edit of the linked package serves');
    fs.writeFileSync(path.join(root, 'common', 'msg.go'), 'package main\n\nconst msg = "file2"\n');
    await serves(port, '/msg', 'file2', 'an edit of the linked file’s target serves');
  }, 180_000);

  it('-modfile=go.dev.mod in build.flags: its replace target is watched and serves, and an edit of go.dev.mod is followed', async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    mod(root, 'lib', 'lib', 'lib1');
    mod(root, 'lib-b', 'lib', 'libb1');
    mod(root, 'app', 'app', '');
    fs.rmSync(path.join(root, 'app', 'app.go'));
    mod(root, 'app/vendorlib', 'lib', 'committed');
    const gomod = (target: string) =>
      `module example.com/app\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ${target}\n`;
    fs.writeFileSync(path.join(root, 'app', 'go.mod'), gomod('./vendorlib')); // the committed one
    fs.writeFileSync(path.join(root, 'app', 'go.dev.mod'), gomod('../lib')); // the one the build reads
    fs.writeFileSync(path.join(root, 'app', 'watcher.config.yaml'), 'build:\n  flags: ["-modfile=go.dev.mod"]\n');
    writeMain(root, ['lib']);
    const port = await freePort();
    hw = startHotwatch([], { cwd: path.join(root, 'app'), env: { ...env, PORT: String(port) } });
    await serves(port, '/lib', 'lib1', 'go.dev.mod’s replace target serves');
    await hw.waitForLog((l) => l.event === 'watch.root-added' && String(l.dir).endsWith('/lib'), '../lib is watched');
    setV(root, 'lib', 'lib', 'lib2');
    await serves(port, '/lib', 'lib2', 'an edit in ../lib serves');
    fs.writeFileSync(path.join(root, 'app', 'go.dev.mod'), gomod('../lib-b'));
    await serves(port, '/lib', 'libb1', 'go.dev.mod pointed at ../lib-b: built');
    setV(root, 'lib-b', 'lib', 'libb2');
    await serves(port, '/lib', 'libb2', 'an edit in ../lib-b serves');
  }, 180_000);

  it('go.work names a module not there yet: once it appears it is watched, the app builds, and its edits serve', async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    mod(root, 'app', 'app', '');
    fs.rmSync(path.join(root, 'app', 'app.go'));
    writeMain(root, []);
    workspace(['app', 'later']);
    const port = await freePort();
    hw = startHotwatch([], { cwd: path.join(root, 'app'), env: { ...env, PORT: String(port) } });
    await hw.waitForLog((l) => l.event === 'build.failed', 'the build fails: go.work names a missing module');
    mod(root, 'later', 'later', 'later1'); // cloned now: its go.mod is polled
    await hw.waitForLog((l) => l.event === 'watch.root-added' && String(l.dir).endsWith('/later'), 'later is armed');
    writeMain(root, ['later']);
    await serves(port, '/later', 'later1', 'the app builds with it');
    setV(root, 'later', 'later', 'later2');
    await serves(port, '/later', 'later2', 'an edit in the module that appeared serves');
  }, 180_000);

  it('go.work root with --package ./app: both modules are inside the root, watched once, and a lib edit serves', async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    mod(root, 'app', 'app', '');
    fs.rmSync(path.join(root, 'app', 'app.go'));
    mod(root, 'lib', 'lib', 'lib1');
    writeMain(root, ['lib']);
    workspace(['app', 'lib']);
    const port = await freePort();
    hw = startHotwatch(['--package', './app'], { cwd: root, env: { ...env, PORT: String(port) } });
    await serves(port, '/lib', 'lib1', 'lib1 serves');
    expect(hw.events('watch.root-added')).toEqual([]);
    setV(root, 'lib', 'lib', 'lib2');
    await serves(port, '/lib', 'lib2', 'the edit in lib serves');
  }, 120_000);

  it('replace => ../lib: its edits serve; pointing the replace at ../lib-b moves the watch there', async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    mod(root, 'lib', 'lib', 'a1');
    mod(root, 'lib-b', 'lib', 'b1');
    fs.mkdirSync(path.join(root, 'app'));
    const gomod = (target: string) =>
      `module example.com/app\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ${target}\n`;
    fs.writeFileSync(path.join(root, 'app', 'go.mod'), gomod('../lib'));
    writeMain(root, ['lib']);
    const port = await freePort();
    hw = startHotwatch(['--log-level', 'debug'], { cwd: path.join(root, 'app'), env: { ...env, PORT: String(port) } });
    await serves(port, '/lib', 'a1', 'a1 serves');
    expect((await hw.waitForLog((l) => l.event === 'watch.root-added', 'lib is armed')).why).toBe('replace target of example.com/lib');
    // The .hotwatch/ the extra root's watchdog creates while arming is ours: no second build at start.
    await hw.waitForLog((l) => l.event === 'watch.arming-checked', 'the catch-up after arming');
    expect(hw.events('watch.arming-changes'), 'nothing changed while arming').toEqual([]);
    // (the debug line of the go command is a build.start too, without a trigger)
    expect(triggers(hw, 0).filter((t) => t !== 'undefined')).toEqual(['initial build']);
    expect(hw.events('watch.module-unwatched')).toEqual([]);
    setV(root, 'lib', 'lib', 'a2');
    await serves(port, '/lib', 'a2', 'the edit in ../lib serves');

    fs.writeFileSync(path.join(root, 'app', 'go.mod'), gomod('../lib-b'));
    await serves(port, '/lib', 'b1', 'the new replace target is built');
    await hw.waitForLog((l) => l.event === 'watch.root-removed' && l.dir === fs.realpathSync(path.join(root, 'lib')), 'lib unwatched');
    await hw.waitForLog((l) => l.event === 'watch.root-added' && l.dir === fs.realpathSync(path.join(root, 'lib-b')), 'lib-b watched');
    setV(root, 'lib-b', 'lib', 'b2');
    await serves(port, '/lib', 'b2', 'the edit in ../lib-b serves');
    const mark = hw.logs.length;
    setV(root, 'lib', 'lib', 'a3');
    await new Promise((r) => setTimeout(r, 2000));
    setV(root, 'lib-b', 'lib', 'b3');
    await serves(port, '/lib', 'b3', 'a later edit in ../lib-b serves');
    expect(triggers(hw, mark).join('\n')).not.toMatch(/\.\.\/lib\/|\.\.\/lib \(/);
    // A module hotwatch only watched is left as it was found: no .hotwatch/ of the watchdog's there.
    expect(fs.existsSync(path.join(root, 'lib', '.hotwatch'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'lib-b', '.hotwatch', 'watchdog'))).toBe(true);
    expect((await hw.stop()).code, hw.stderr().slice(-2000)).toBe(0);
    hw = undefined;
    expect(fs.existsSync(path.join(root, 'lib-b', '.hotwatch'))).toBe(false);
  }, 240_000);

  it('a config reload that changes the watch lists applies to the module outside the root too', async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    mod(root, 'lib', 'lib', 'a1');
    fs.mkdirSync(path.join(root, 'lib', 'skip'));
    const skip = path.join(root, 'lib', 'skip', 's.go');
    fs.writeFileSync(skip, 'package skip\n');
    fs.mkdirSync(path.join(root, 'app'));
    fs.writeFileSync(
      path.join(root, 'app', 'go.mod'),
      'module example.com/app\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n',
    );
    fs.writeFileSync(path.join(root, 'app', 'watcher.config.yaml'), 'log:\n  level: info\n');
    writeMain(root, ['lib']);
    const port = await freePort();
    hw = startHotwatch([], { cwd: path.join(root, 'app'), env: { ...env, PORT: String(port) } });
    await serves(port, '/lib', 'a1', 'a1 serves');
    let mark = hw.logs.length;
    fs.writeFileSync(skip, 'package skip\n\n// 1\n');
    await hw.waitForLog((l) => l.event === 'build.start' && String(l.trigger).includes('skip/s.go'), 'lib/skip is watched', { from: mark });
    await hw.waitForLog((l) => l.event === 'build.done' || l.event === 'build.same-binary', 'that build ends', { from: mark });

    fs.writeFileSync(path.join(root, 'app', 'watcher.config.yaml'), 'log:\n  level: info\nwatch:\n  excludeDirs: [skip]\n');
    await hw.waitForLog((l) => l.event === 'config.reloaded', 'the config is reloaded');
    mark = hw.logs.length;
    fs.writeFileSync(skip, 'package skip\n\n// 2\n');
    await new Promise((r) => setTimeout(r, 2000));
    setV(root, 'lib', 'lib', 'a2');
    await serves(port, '/lib', 'a2', 'an edit elsewhere in lib still serves');
    expect(triggers(hw, mark).join('\n')).not.toContain('skip');
  }, 180_000);

  it('a module directory of another user is not watched: a warning at start and in doctor, with the fix; the app still builds', async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    mod(root, 'theirs', 'lib', 't1');
    fs.chownSync(path.join(root, 'theirs'), 4242, 4242);
    fs.mkdirSync(path.join(root, 'app'));
    fs.writeFileSync(
      path.join(root, 'app', 'go.mod'),
      'module example.com/app\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../theirs\n',
    );
    writeMain(root, ['lib']);
    const port = await freePort();
    hw = startHotwatch([], { cwd: path.join(root, 'app'), env: { ...env, PORT: String(port) } });
    await serves(port, '/lib', 't1', 'the app builds');
    const warn = hw.events('watch.module-unwatched');
    expect(warn).toHaveLength(1);
    expect(warn[0]!.level).toBe(40);
    expect(String(warn[0]!.msg)).toContain('../theirs (replace target of example.com/lib) is owned by uid 4242');
    expect(String(warn[0]!.msg)).toContain('NOT watched');
    expect(hw.events('watch.root-added')).toEqual([]);
    const doctor = await runCli(['doctor', '--json'], { cwd: path.join(root, 'app'), env: { ...process.env, ...env } });
    const report = JSON.parse(doctor.stdout) as { checks: { id: string; status: string; fix?: { text: string } }[] };
    const check = report.checks.find((c) => c.id.startsWith('tree.module-unwatched:'));
    expect(check?.status).toBe('warn');
    expect(check?.fix?.text).toContain('chown');
  }, 120_000);

  it('doctor lists the roots and why each is there (text and JSON, valid against its schema)', async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    mod(root, 'lib', 'lib', 'a1');
    fs.mkdirSync(path.join(root, 'lib', 'sub'));
    fs.mkdirSync(path.join(root, 'app'));
    fs.writeFileSync(
      path.join(root, 'app', 'go.mod'),
      'module example.com/app\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n',
    );
    writeMain(root, ['lib']);
    const json = await runCli(['doctor', '--json'], { cwd: path.join(root, 'app'), env: { ...process.env, ...env } });
    const report = JSON.parse(json.stdout) as {
      facts: { roots?: { dir: string; why: string; dirs?: number }[] };
      checks: { id: string; detail: string }[];
    };
    const schema = JSON.parse(fs.readFileSync(DOCTOR_SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
    expect(validateJsonSchema(schema, report)).toEqual([]);
    expect(report.facts.roots).toEqual([
      { dir: path.join(root, 'app'), why: 'root', dirs: 1 },
      { dir: path.join(root, 'lib'), why: 'replace target of example.com/lib', dirs: 2 },
    ]);
    const text = await runCli(['doctor'], { cwd: path.join(root, 'app'), env: { ...process.env, ...env } });
    expect(text.stdout).toContain('Roots watched: 2 roots: . (root), ../lib (replace target of example.com/lib)');
    // One watcher per root: the budget counts two instances and two sentinel directories.
    expect(text.stdout).toContain('hotwatch needs 2 (one per root watched: 2)');
    expect(text.stdout).toContain(
      "this repo needs 5 watches (3 directories after excludes, plus 2 for the watchdog's sentinel directories, one per root)",
    );
  }, 120_000);
});
