/**
 * Ignored trees cost nothing, build inputs are never ignored (issue 15): a git-ignored data/ is not
 * watched (an edit there builds nothing and costs no watch), a git-ignored gen/ holding a package the
 * app imports is watched and its edits serve. Doctor counts what is left out.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  goMain,
  httpGet,
  inotifyWatches as inotifyWatchesOf,
  runCli,
  startHotwatch,
  type Hotwatch,
} from '../helpers/hotwatch.js';
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
const DATA_DIRS = 8;

function repo(): string {
  tmp = makeTmpDir();
  const root = tmp.dir;
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  write('go.mod', 'module example.com/t\n\ngo 1.22\n');
  write('.gitignore', '/data/\n/gen/\n');
  write('gen/api/api.go', 'package api\n\nconst V = "gen1"\n');
  for (let i = 0; i < DATA_DIRS; i++) write(`data/shard${i}/x.go`, 'package x\n');
  write(
    'main.go',
    goMain('v1', {
      imports: ['example.com/t/gen/api'],
      extraMain: 'http.HandleFunc("/gen", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, api.V) })',
    }),
  );
  return root;
}

const setGen = (root: string, v: string) => fs.writeFileSync(path.join(root, 'gen/api/api.go'), `package api\n\nconst V = "${v}"\n`);

describe('git-ignored directories (e2e)', () => {
  it('an ignored data/ is not watched; an ignored gen/ holding an imported package is, and its edits serve', async () => {
    const root = repo();
    const port = await freePort();
    hw = startHotwatch(['--log-level', 'debug'], { cwd: root, env: { ...env, PORT: String(port) } });
    await waitFor(async () => (await httpGet(port, '/gen')) === 'gen1', { description: 'gen1 serves', timeoutMs: 60_000 });
    const skipped = hw.events('watch.gitignored');
    expect(skipped).toHaveLength(1);
    expect(String(skipped[0]!.msg)).toContain('not watching 1 git-ignored directory');
    expect(String(skipped[0]!.msg)).toContain(': data (watch.gitignore: false watches them)');
    expect(String(hw.events('watch.gitignored-kept')[0]?.msg)).toContain('gen/api');
    // The root, gen and gen/api: none of data's 9 directories costs a watch.
    expect(hw.events('watch.ready')[0]!.dirs).toBe(3);

    const mark = hw.logs.length;
    fs.writeFileSync(path.join(root, 'data/shard3/x.go'), 'package x\n\n// edited\n');
    await new Promise((r) => setTimeout(r, 2000));
    setGen(root, 'gen2');
    await waitFor(async () => (await httpGet(port, '/gen')) === 'gen2', { description: 'the edit in gen/api serves', timeoutMs: 60_000 });
    const triggers = hw.events('build.start', mark).map((l) => String(l.trigger));
    expect(triggers.join('\n')).toContain('gen/api');
    expect(triggers.join('\n')).not.toContain('data');
  }, 120_000);

  it('watch.gitignore: false watches data/ too; doctor counts what is left out', async () => {
    const root = repo();
    const doctor = await runCli(['doctor', '--json'], { cwd: root, env: { ...process.env, ...env } });
    const report = JSON.parse(doctor.stdout) as {
      facts: { budget: { dirs: number; gitignoredDirs: number } };
      checks: { id: string; detail: string }[];
    };
    expect(report.facts.budget).toMatchObject({ dirs: 3, gitignoredDirs: 1 });
    expect(report.checks.find((c) => c.id === 'tree.gitignored')?.detail).toBe(
      '1 not watched (data); watched all the same, the build reads them: gen/api',
    );

    fs.writeFileSync(path.join(root, 'watcher.config.yaml'), 'watch:\n  gitignore: false\n');
    const port = await freePort();
    hw = startHotwatch([], { cwd: root, env: { ...env, PORT: String(port) } });
    await waitFor(async () => (await httpGet(port, '/gen')) === 'gen1', { description: 'gen1 serves', timeoutMs: 60_000 });
    expect(hw.events('watch.ready')[0]!.dirs).toBe(3 + 1 + DATA_DIRS);
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(root, 'data/shard3/x.go'), 'package x\n\n// edited\n');
    await hw.waitForLog((l) => l.event === 'build.start' && String(l.trigger).includes('data/shard3/x.go'), 'the data edit builds', {
      from: mark,
    });
  }, 120_000);

  it('a .gitignore edited while hotwatch runs: a directory no longer ignored is watched (what changed there builds), one newly ignored is not; the edit itself builds nothing', async () => {
    const root = repo();
    const port = await freePort();
    hw = startHotwatch(['--log-level', 'debug'], { cwd: root, env: { ...env, PORT: String(port) } });
    await waitFor(async () => (await httpGet(port, '/gen')) === 'gen1', { description: 'gen1 serves', timeoutMs: 60_000 });
    const watches = (): number => inotifyWatchesOf(hw!.pid);
    const before = watches();
    // Changed while ignored: picked up once data/ is watched.
    fs.writeFileSync(path.join(root, 'data/shard1/x.go'), 'package x\n\n// edited while ignored\n');

    let mark = hw.logs.length;
    fs.writeFileSync(path.join(root, '.gitignore'), '/gen/\n');
    const changed = await hw.waitForLog((l) => l.event === 'watch.gitignore-changed', 'the .gitignore edit is followed', { from: mark });
    expect(String(changed.msg)).toContain('watching data again');
    await hw.waitForLog((l) => l.event === 'build.start', 'what changed in data/ while ignored builds', { from: mark });
    expect(watches()).toBeGreaterThanOrEqual(before + 1 + DATA_DIRS);
    expect(
      hw
        .events('build.start', mark)
        .map((l) => String(l.trigger))
        .join('\n'),
    ).not.toContain('.gitignore');

    // data/ is imported by nothing: the binary is the same, so the cycle ends without a restart.
    await hw.waitForLog((l) => l.event === 'build.same-binary' || l.event === 'app.listening', 'the cycle ends', { from: mark });
    mark = hw.logs.length;
    fs.writeFileSync(path.join(root, 'data/shard3/x.go'), 'package x\n\n// edited\n');
    await hw.waitForLog((l) => l.event === 'build.start' && String(l.trigger).includes('data/shard3/x.go'), 'an edit in data/ builds now', {
      from: mark,
    });

    mark = hw.logs.length;
    fs.writeFileSync(path.join(root, '.gitignore'), '/data/\n/gen/\n');
    const again = await hw.waitForLog((l) => l.event === 'watch.gitignore-changed', 'the second .gitignore edit is followed', {
      from: mark,
    });
    expect(String(again.msg)).toContain('no longer watching data');
    await waitFor(async () => watches() <= before, { description: `watches back to ${before}`, timeoutMs: 30_000 });
  }, 120_000);

  it('a template directory no longer git-ignored: the template edited while it was is served (the app restarts for it, the binary being the same)', async () => {
    const root = repo();
    fs.mkdirSync(path.join(root, 'views'));
    fs.writeFileSync(path.join(root, 'views', 'page.tmpl'), 't1');
    fs.writeFileSync(path.join(root, '.gitignore'), '/data/\n/gen/\n/views/\n');
    fs.writeFileSync(
      path.join(root, 'main.go'),
      goMain('v1', {
        imports: ['example.com/t/gen/api'],
        extraMain:
          'page, _ := os.ReadFile("views/page.tmpl")\n\thttp.HandleFunc("/gen", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, api.V) })\n\thttp.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) { w.Write(page) })',
      }),
    );
    const port = await freePort();
    hw = startHotwatch([], { cwd: root, env: { ...env, PORT: String(port) } });
    await waitFor(async () => (await httpGet(port, '/page')) === 't1', { description: 't1 serves', timeoutMs: 60_000 });
    await hw.waitForLog((l) => l.event === 'watch.ready', 'watching is ready');
    fs.writeFileSync(path.join(root, 'views', 'page.tmpl'), 't2'); // ignored: not watched yet
    await new Promise((r) => setTimeout(r, 500));
    expect(await httpGet(port, '/page')).toBe('t1');
    fs.writeFileSync(path.join(root, '.gitignore'), '/data/\n/gen/\n');
    await waitFor(async () => (await httpGet(port, '/page')) === 't2', {
      description: `the template edited while ignored serves\n${hw!.stderr().slice(-2000)}`,
      timeoutMs: 60_000,
    });
  }, 120_000);

  it('a git-ignored package the app starts importing while hotwatch runs is watched from then on', async () => {
    const root = repo();
    fs.mkdirSync(path.join(root, 'gen/later'));
    fs.writeFileSync(path.join(root, 'gen/later/later.go'), 'package later\n\nconst V = "later1"\n');
    const port = await freePort();
    hw = startHotwatch(['--log-level', 'debug'], { cwd: root, env: { ...env, PORT: String(port) } });
    await waitFor(async () => (await httpGet(port, '/gen')) === 'gen1', { description: 'gen1 serves', timeoutMs: 60_000 });
    // The app can serve before the watch's lines are out (the first build starts while the tree is armed).
    const ignored = await hw.waitForLog((l) => l.event === 'watch.gitignored', 'the git-ignored directories are said');
    expect(String(ignored.msg)).toContain('gen/later');

    fs.writeFileSync(
      path.join(root, 'main.go'),
      goMain('v2', {
        imports: ['example.com/t/gen/api', 'example.com/t/gen/later'],
        extraMain: 'http.HandleFunc("/gen", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, api.V + later.V) })',
      }),
    );
    await waitFor(async () => (await httpGet(port, '/gen')) === 'gen1later1', { description: 'the new import serves', timeoutMs: 60_000 });
    await hw.waitForLog((l) => l.event === 'watch.root-rearmed' && String(l.msg).includes('gen/later'), 'gen/later is watched now');
    fs.writeFileSync(path.join(root, 'gen/later/later.go'), 'package later\n\nconst V = "later2"\n');
    await waitFor(async () => (await httpGet(port, '/gen')) === 'gen1later2', {
      description: 'an edit in gen/later serves',
      timeoutMs: 60_000,
    });
  }, 120_000);

  it('a git-ignored directory the app makes after start (public/ it renders to): planned as at start, so its later writes restart nothing', async () => {
    const root = repo();
    fs.appendFileSync(path.join(root, '.gitignore'), '/public/\n');
    const port = await freePort();
    hw = startHotwatch([], { cwd: root, env: { ...env, PORT: String(port) } });
    await waitFor(async () => (await httpGet(port, '/gen')) === 'gen1', { description: 'gen1 serves', timeoutMs: 60_000 });
    await hw.waitForLog((l) => l.event === 'watch.ready', 'watching is ready');
    fs.mkdirSync(path.join(root, 'public'));
    fs.writeFileSync(path.join(root, 'public', 'index.html'), '<p>1</p>\n');
    const said = await hw.waitForLog((l) => l.event === 'watch.gitignore-changed', 'public/ planned as git-ignored');
    expect(said.msg).toBe('public/index.html was written in a directory git ignores: no longer watching public (git-ignored now)');
    await waitFor(() => !hw!.events('build.start').some((l) => l.trigger === 'public/index.html') || hw!.events('app.start').length >= 2, {
      description: 'the first write has had its cycle',
      timeoutMs: 30_000,
    });
    const builds = hw.events('build.start').length;
    for (let i = 2; i <= 4; i++) fs.writeFileSync(path.join(root, 'public', 'index.html'), `<p>${i}</p>\n`);
    fs.writeFileSync(path.join(root, 'public', 'other.html'), '<p>x</p>\n');
    await new Promise((r) => setTimeout(r, 2500));
    expect(hw.events('build.start'), 'later writes in public/ build nothing').toHaveLength(builds);
    setGen(root, 'gen2'); // an ignored directory the build reads is still watched
    await waitFor(async () => (await httpGet(port, '/gen')) === 'gen2', { description: 'gen2 serves', timeoutMs: 60_000 });
  }, 120_000);
});
