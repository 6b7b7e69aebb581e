/**
 * Packages the build compiles are watched even where a default watch.excludeDirs entry would leave them
 * out (src/watch/tree/left-out-packages.ts): a package in internal/tmp (`tmp` is excluded at any depth),
 * a dependency patched in vendor/ (go builds from vendor/ in vendor mode). The built CLI, real go builds,
 * real edits served. What the build does not compile there stays unwatched.
 */
import { execFileSync } from 'node:child_process';
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

const env = { GOWORK: '', GOFLAGS: '', GOPROXY: 'off' };

function writer(root: string): (rel: string, text: string) => void {
  return (rel, text) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
}

const served = (port: number, want: string, description: string): Promise<unknown> =>
  waitFor(async () => (await httpGet(port, '/lib')) === want, { description, timeoutMs: 60_000 });

/** What built since `mark`, one trigger per line. */
const triggers = (h: Hotwatch, mark: number): string =>
  h
    .events('build.start', mark)
    .map((l) => String(l.trigger))
    .join('\n');

describe('packages under a default excludeDirs entry (e2e)', () => {
  it('a package in internal/tmp is watched (said at info) and its edits serve; a tmp/ the build does not compile stays unwatched', async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    const write = writer(root);
    write('go.mod', 'module example.com/t\n\ngo 1.22\n');
    write('internal/tmp/t.go', 'package tmp\n\nconst S = "t0"\n');
    write('tmp/scratch/x.go', 'package scratch\n');
    const handler = 'http.HandleFunc("/lib", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tmp.S) })';
    write('main.go', goMain('v1', { imports: ['example.com/t/internal/tmp'], extraMain: handler }));
    const port = await freePort();
    hw = startHotwatch([], { cwd: root, env: { ...env, PORT: String(port) } });
    await served(port, 't0', 't0 serves');
    const kept = await hw.waitForLog((l) => l.event === 'watch.excluded-kept', 'internal/tmp is said to be watched');
    expect(String(kept.msg)).toBe('watching internal/tmp although watch.excludeDirs leaves out tmp: the build compiles a package there');

    const mark = hw.logs.length;
    fs.writeFileSync(path.join(root, 'tmp/scratch/x.go'), 'package scratch\n\n// edited\n');
    await new Promise((r) => setTimeout(r, 2000));
    fs.writeFileSync(path.join(root, 'internal/tmp/t.go'), 'package tmp\n\nconst S = "t1"\n');
    await served(port, 't1', 'the edit in internal/tmp serves');
    expect(triggers(hw, mark)).toContain('internal/tmp/t.go');
    expect(triggers(hw, mark)).not.toContain('scratch');
    expect(hw.events('watch.excluded-kept')).toHaveLength(1);
    expect(hw.events('watch.excluded-hidden')).toHaveLength(0);

    const doctor = await runCli(['doctor', '--json'], { cwd: root, env: { ...process.env, ...env }, timeoutMs: 60_000 });
    const report = JSON.parse(doctor.stdout) as { checks: { id: string; status: string; detail: string }[] };
    expect(report.checks.find((c) => c.id === 'tree.excluded-packages')).toMatchObject({
      status: 'ok',
      detail: 'watching internal/tmp although watch.excludeDirs leaves out tmp: the build compiles a package there',
    });
  }, 120_000);

  it('a dependency patched in vendor/ (vendor mode) is watched and its edits serve; only the vendored packages the build compiles are', async () => {
    tmp = makeTmpDir();
    const root = path.join(tmp.dir, 'app');
    const lib = writer(path.join(tmp.dir, 'lib'));
    lib('go.mod', 'module example.com/lib\n\ngo 1.22\n');
    lib('lib.go', 'package lib\n\nconst V = "lib1"\n');
    lib('extra/extra.go', 'package extra\n\nconst E = 1\n');
    const write = writer(root);
    write('go.mod', 'module example.com/t\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n');
    const handler = 'http.HandleFunc("/lib", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, lib.V) })';
    write('main.go', goMain('v1', { imports: ['example.com/lib'], extraMain: handler }));
    execFileSync('go', ['mod', 'vendor'], { cwd: root, env: { ...process.env, ...env }, stdio: 'pipe' });
    // The lib's source is gone: only vendor/ holds it (what a patched vendored dependency looks like).
    fs.rmSync(path.join(tmp.dir, 'lib'), { recursive: true });
    expect(fs.existsSync(path.join(root, 'vendor/example.com/lib/lib.go'))).toBe(true);
    // A vendored directory the build does not compile (vendor/ kept by hand, a stale copy).
    write('vendor/example.com/other/other.go', 'package other\n');

    const port = await freePort();
    hw = startHotwatch([], { cwd: root, env: { ...env, PORT: String(port) } });
    await served(port, 'lib1', 'lib1 serves');
    const kept = await hw.waitForLog((l) => l.event === 'watch.excluded-kept', 'vendor/example.com/lib is said to be watched');
    expect(String(kept.msg)).toContain(
      'watching vendor/example.com/lib (1 package in vendor) although watch.excludeDirs leaves out vendor',
    );
    expect(String(kept.msg)).toContain('vendor mode');

    const mark = hw.logs.length;
    fs.writeFileSync(path.join(root, 'vendor/example.com/other/other.go'), 'package other\n\n// edited\n');
    await new Promise((r) => setTimeout(r, 2000));
    fs.writeFileSync(path.join(root, 'vendor/example.com/lib/lib.go'), 'package lib\n\nconst V = "patched"\n');
    await served(port, 'patched', 'the patch in vendor/ serves');
    expect(triggers(hw, mark)).toContain('vendor/example.com/lib/lib.go');
    expect(triggers(hw, mark)).not.toContain('other');
  }, 120_000);

  it('`go mod vendor` run while hotwatch runs: the vendored package the build now compiles is watched, its patch serves', async () => {
    tmp = makeTmpDir();
    const root = path.join(tmp.dir, 'app');
    const lib = writer(path.join(tmp.dir, 'lib'));
    lib('go.mod', 'module example.com/lib\n\ngo 1.22\n');
    lib('lib.go', 'package lib\n\nconst V = "lib1"\n');
    const write = writer(root);
    write('go.mod', 'module example.com/t\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n');
    const handler = 'http.HandleFunc("/lib", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, lib.V) })';
    write('main.go', goMain('v1', { imports: ['example.com/lib'], extraMain: handler }));
    const port = await freePort();
    hw = startHotwatch([], { cwd: root, env: { ...env, PORT: String(port) } });
    await served(port, 'lib1', 'lib1 serves');
    expect(hw.events('watch.excluded-kept')).toHaveLength(0);
    // vendor/ is never watched: its modules.txt is looked at, and the build's packages asked again.
    execFileSync('go', ['mod', 'vendor'], { cwd: root, env: { ...process.env, ...env }, stdio: 'pipe' });
    await hw.waitForLog((l) => l.event === 'watch.excluded-kept', 'the vendored package is watched once vendor/ exists', {
      timeoutMs: 60_000,
    });
    fs.writeFileSync(path.join(root, 'vendor/example.com/lib/lib.go'), 'package lib\n\nconst V = "patched"\n');
    await served(port, 'patched', 'the patch in vendor/ serves');
  }, 120_000);

  it('a tmp the config file excludes by name is not overridden: a warning (and the doctor) names the package it hides and the fix, which works once applied', async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    const write = writer(root);
    write('go.mod', 'module example.com/t\n\ngo 1.22\n');
    write('watcher.config.yaml', 'watch:\n  excludeDirs: [tmp]\n');
    write('internal/tmp/t.go', 'package tmp\n\nconst S = "t0"\n');
    const handler = 'http.HandleFunc("/lib", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tmp.S) })';
    write('main.go', goMain('v1', { imports: ['example.com/t/internal/tmp'], extraMain: handler }));
    const port = await freePort();
    hw = startHotwatch([], { cwd: root, env: { ...env, PORT: String(port) } });
    await served(port, 't0', 't0 serves');
    const hidden = await hw.waitForLog((l) => l.event === 'watch.excluded-hidden', 'the hidden package is warned about');
    expect(hidden.level).toBe(40);
    expect(String(hidden.msg)).toContain('internal/tmp holds a package the build compiles');
    expect(String(hidden.msg)).toContain('edits there are NOT seen');
    expect(String(hidden.msg)).toContain('remove "tmp" from watch.excludeDirs');
    expect(hw.events('watch.excluded-kept')).toHaveLength(0);

    // The doctor says it too: not "watching will work here" over a package whose edits are not seen.
    const doctor = await runCli(['doctor', '--json'], { cwd: root, env: { ...process.env, ...env }, timeoutMs: 60_000 });
    const report = JSON.parse(doctor.stdout) as {
      verdict: string;
      checks: { id: string; status: string; detail: string; fix?: { text: string } }[];
    };
    const check = report.checks.find((c) => c.id === 'tree.excluded-packages:internal/tmp');
    expect(check).toMatchObject({ status: 'warn' });
    expect(check?.fix?.text).toContain('Remove "tmp" from watch.excludeDirs');
    expect(report.verdict).not.toBe('ok');

    // The fix applied while hotwatch runs: the reload keeps the package watched, and its edits serve.
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(root, 'watcher.config.yaml'), 'watch:\n  excludeDirs: [pb_data]\n');
    const kept = await hw.waitForLog((l) => l.event === 'watch.excluded-kept', 'internal/tmp is watched after the reload', { from: mark });
    expect(String(kept.msg)).toContain('watching internal/tmp although watch.excludeDirs leaves out tmp');
    await new Promise((r) => setTimeout(r, 1000));
    fs.writeFileSync(path.join(root, 'internal/tmp/t.go'), 'package tmp\n\nconst S = "t1"\n');
    await served(port, 't1', 'the edit in internal/tmp serves after the fix');
  }, 120_000);
});
