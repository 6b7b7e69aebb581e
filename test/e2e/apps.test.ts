/**
 * Several apps from one hotwatch (issue 15, `apps:`): three apps of one module (cmd/api, cmd/worker,
 * cmd/cron), a shared package (internal/shared) and one package of each app's own. Real go build, real
 * processes, real HTTP: each app answers "shared=S own=O pid=P" on its own port.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, goMain, httpGet, runCli, startHotwatch, type Hotwatch, type LogLine } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { isAlive, waitFor } from '../helpers/wait.js';
import { helperChildren } from '../../src/os/inotify-fds.js';
import { inotifyWatches, REPO } from '../helpers/hotwatch.js';
import { validateJsonSchema } from '../helpers/json-schema.js';
import { DoctorReportSchema } from '../../src/diagnostics/report-schema.js';

const APPS = ['api', 'worker', 'cron'] as const;
type App = (typeof APPS)[number];

function writeModule(dir: string, ports: Record<App, number>, extra = ''): void {
  const w = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  w('go.mod', 'module example.com/multi\n\ngo 1.22\n');
  w('internal/shared/shared.go', sharedSource('s1'));
  for (const app of APPS) {
    w(`cmd/${app}/own/own.go`, ownSource('o1'));
    w(
      `cmd/${app}/main.go`,
      `package main

import (
\t"fmt"
\t"net/http"
\t"os"

\t"example.com/multi/cmd/${app}/own"
\t"example.com/multi/internal/shared"
)

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
\t\tfmt.Fprintf(w, "shared=%s own=%s pid=%d x=%s", shared.Version, own.Version, os.Getpid(), os.Getenv("X"))
\t})
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`,
    );
  }
  // The api reads conf/api.conf (an apps.NAME.include glob: a file go does not compile).
  const apps = APPS.map(
    (a) =>
      `  ${a}:\n    package: ./cmd/${a}\n    port: ${ports[a]}\n    env: { PORT: "${ports[a]}" }\n${a === 'api' ? '    include: ["conf/*.conf"]\n' : ''}`,
  ).join('');
  w('conf/api.conf', 'c1\n');
  w('watcher.config.yaml', `apps:\n${apps}${extra}`);
}

const sharedSource = (v: string): string => `package shared\n\nconst Version = "${v}"\n`;
const ownSource = (v: string): string => `package own\n\nconst Version = "${v}"\n`;

interface Answer {
  shared: string;
  own: string;
  pid: number;
  /** $X in the app's environment. */
  x: string;
}

async function ask(port: number): Promise<Answer | undefined> {
  const body = await httpGet(port);
  const m = body?.match(/^shared=(\S+) own=(\S+) pid=(\d+) x=(\S*)$/);
  return m ? { shared: m[1]!, own: m[2]!, pid: Number(m[3]), x: m[4]! } : undefined;
}

/** Resolves once the app on `port` answers as `want` says. */
function serves(port: number, want: (a: Answer) => boolean, description: string): Promise<Answer> {
  return waitFor(
    async () => {
      const a = await ask(port);
      return a && want(a) ? a : undefined;
    },
    { description, timeoutMs: 90_000 },
  );
}

/** inotify instances (fds) held by hotwatch and its inotify helper. */
function inotifyInstances(pid: number): number {
  let n = 0;
  for (const p of [pid, ...helperChildren(pid)]) {
    for (const fd of fs.readdirSync(`/proc/${p}/fd`)) {
      try {
        if (fs.readlinkSync(`/proc/${p}/fd/${fd}`) === 'anon_inode:inotify') n++;
      } catch {
        // closed meanwhile
      }
    }
  }
  return n;
}

const ofApp = (app: string, event: string) => (l: LogLine) => l.app === app && l.event === event;

describe('apps: three apps from one hotwatch', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  let hw: Hotwatch;
  const ports = {} as Record<App, number>;
  let now = {} as Record<App, Answer>;

  beforeAll(async () => {
    tmp = makeTmpDir();
    for (const a of APPS) ports[a] = await freePort();
    writeModule(tmp.dir, ports);
    hw = startHotwatch([], { cwd: tmp.dir, waitTimeoutMs: 90_000 });
    for (const a of APPS) now[a] = await serves(ports[a], (x) => x.shared === 's1', `${a} serves its first version`);
  }, 180_000);

  afterAll(async () => {
    try {
      if (hw) {
        const r = await hw.stop();
        expect(r.code, hw.stderr().slice(-3000)).toBe(0);
      }
    } finally {
      tmp?.cleanup();
    }
  });

  it('says which apps run, and each plan line carries its app', () => {
    const line = hw.events('startup.apps')[0];
    expect(line?.apps).toEqual(['api', 'worker', 'cron']);
    for (const a of APPS)
      expect(hw.logs.some((l) => l.app === a && l.event === 'startup.plan' && String(l.msg).includes(`./cmd/${a}`))).toBe(true);
  });

  it('hotwatch status lists each app with its state and pid', async () => {
    const r = await runCli(['status', '--json'], { cwd: tmp.dir });
    expect(r.code, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout) as { apps?: Array<{ name: string; state: string; pid: number | null }> };
    expect(status.apps?.map((a) => [a.name, a.state, a.pid])).toEqual(APPS.map((a) => [a, 'running', now[a].pid]));
  });

  it('an edit in the shared package rebuilds and restarts all three', async () => {
    const from = hw.logs.length;
    fs.writeFileSync(path.join(tmp.dir, 'internal/shared/shared.go'), sharedSource('s2'));
    const before = now;
    now = {} as Record<App, Answer>;
    for (const a of APPS) {
      now[a] = await serves(ports[a], (x) => x.shared === 's2', `${a} serves shared=s2`);
      expect(now[a].pid).not.toBe(before[a].pid);
    }
    for (const a of APPS) expect(hw.logs.slice(from).filter(ofApp(a, 'build.start')).length).toBeGreaterThanOrEqual(1);
    // One go build for the three (the batch reached them together), not three.
    const combined = hw.logs.slice(from).filter((l) => l.event === 'build.combined');
    expect(
      combined.map((l) => [...(l.packages as string[])].sort()),
      JSON.stringify(combined),
    ).toContainEqual(APPS.map((a) => `./cmd/${a}`).sort());
  }, 120_000);

  it("an edit in the worker's own package rebuilds and restarts only the worker", async () => {
    const from = hw.logs.length;
    fs.writeFileSync(path.join(tmp.dir, 'cmd/worker/own/own.go'), ownSource('o2'));
    const worker = await serves(ports.worker, (x) => x.own === 'o2', 'worker serves own=o2');
    expect(worker.pid).not.toBe(now.worker.pid);
    await hw.waitForLog(ofApp('worker', 'app.listening'), 'the new worker listens', { from });
    for (const a of ['api', 'cron'] as const) {
      const answer = await ask(ports[a]);
      expect(answer, `${a} still serves`).toEqual(now[a]); // same pid, same version
      expect(hw.logs.slice(from).filter(ofApp(a, 'build.start')), `no build of ${a}`).toEqual([]);
    }
    expect(hw.logs.slice(from).filter(ofApp('worker', 'build.start')).length).toBeGreaterThanOrEqual(1);
    now.worker = worker;
  }, 120_000);

  it('a file in apps.api.include is watched: its edit restarts only the api (the same binary, a file it reads)', async () => {
    const from = hw.logs.length;
    fs.writeFileSync(path.join(tmp.dir, 'conf/api.conf'), 'c2\n');
    const api = await serves(ports.api, (x) => x.pid !== now.api.pid, 'the api restarts');
    await hw.waitForLog(ofApp('api', 'app.listening'), 'the new api listens', { from });
    for (const a of ['worker', 'cron'] as const) expect(await ask(ports[a]), `${a} untouched`).toEqual(now[a]);
    now.api = api;
  }, 120_000);

  it('a template in a top-level templates/ (in no package, read at run time): its edit restarts every app, as it restarts a single one', async () => {
    const from = hw.logs.length;
    fs.mkdirSync(path.join(tmp.dir, 'templates'), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'templates', 'index.tmpl'), '<h1>{{.}}</h1>\n');
    for (const a of APPS) now[a] = await serves(ports[a], (x) => x.pid !== now[a].pid, `${a} restarts for the template`);
    expect(hw.logs.slice(from).filter((l) => l.event === 'apps.unrouted')).toEqual([]);
  }, 120_000);

  it("a syntax error in the worker's package leaves all three serving and is reported under the worker's name", async () => {
    const from = hw.logs.length;
    fs.writeFileSync(path.join(tmp.dir, 'cmd/worker/own/own.go'), 'package own\n\nconst Version = \n');
    const failed = await hw.waitForLog(ofApp('worker', 'build.failed'), 'the worker build fails', { from });
    expect(JSON.stringify(failed)).toContain('own.go');
    for (const a of APPS) expect(await ask(ports[a]), `${a} keeps serving its version`).toEqual(now[a]);
    for (const a of ['api', 'cron'] as const)
      expect(hw.logs.slice(from).filter((l) => l.app === a && String(l.event).startsWith('build.'))).toEqual([]);
    // The fix serves, in the worker only.
    const fixFrom = hw.logs.length;
    fs.writeFileSync(path.join(tmp.dir, 'cmd/worker/own/own.go'), ownSource('o3'));
    now.worker = await serves(ports.worker, (x) => x.own === 'o3', 'worker serves own=o3 after the fix');
    for (const a of ['api', 'cron'] as const) expect(await ask(ports[a])).toEqual(now[a]);
    expect(hw.logs.slice(fixFrom).filter((l) => l.app !== 'worker' && l.event === 'build.start')).toEqual([]);
  }, 120_000);

  it('in one combined build, each app gets its own outcome: two broken mains fail with their own errors only, the third serves', async () => {
    const from = hw.logs.length;
    fs.writeFileSync(path.join(tmp.dir, 'cmd/worker/broken.go'), 'package main\n\nvar _ = undefinedInWorker\n');
    fs.writeFileSync(path.join(tmp.dir, 'cmd/cron/broken.go'), 'package main\n\nvar _ = undefinedInCron\n');
    fs.writeFileSync(path.join(tmp.dir, 'internal/shared/shared.go'), sharedSource('s3'));
    now.api = await serves(ports.api, (x) => x.shared === 's3', 'api serves shared=s3');
    const failures = { worker: 'undefinedInWorker', cron: 'undefinedInCron' } as const;
    for (const [app, own] of Object.entries(failures)) {
      await hw.waitForLog((l) => ofApp(app, 'build.failed')(l) && JSON.stringify(l).includes(own), `${app} fails with its own error`, {
        from,
      });
      const other = app === 'worker' ? failures.cron : failures.worker;
      for (const l of hw.logs.slice(from).filter(ofApp(app, 'build.failed')))
        expect(JSON.stringify(l), `${app}'s failure shows only its own main package`).not.toContain(other);
      expect(await ask(ports[app as App]), `${app} keeps serving`).toEqual(now[app as App]);
    }
    fs.rmSync(path.join(tmp.dir, 'cmd/worker/broken.go'));
    fs.rmSync(path.join(tmp.dir, 'cmd/cron/broken.go'));
    now.worker = await serves(ports.worker, (x) => x.shared === 's3', 'worker serves shared=s3 once fixed');
    now.cron = await serves(ports.cron, (x) => x.shared === 's3', 'cron serves shared=s3 once fixed');
  }, 120_000);

  it('a Go file no app imports rebuilds nothing', async () => {
    const from = hw.logs.length;
    fs.mkdirSync(path.join(tmp.dir, 'internal/unused'), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'internal/unused/unused.go'), 'package unused\n\nconst X = 1\n');
    // The rescan of a new directory, or the file itself: either way no app builds for it. Wait for the
    // batch to be taken (a later edit that builds proves the pipeline moved past it).
    await new Promise((r) => setTimeout(r, 1500));
    fs.writeFileSync(path.join(tmp.dir, 'cmd/cron/own/own.go'), ownSource('o4'));
    now.cron = await serves(ports.cron, (x) => x.own === 'o4', 'cron serves own=o4');
    const builds = hw.logs.slice(from).filter((l) => l.event === 'build.start');
    expect(
      builds.map((l) => l.app).every((a) => a === 'cron'),
      JSON.stringify(builds),
    ).toBe(true);
  }, 120_000);

  it('a new import is followed: the package it names rebuilds the app that now imports it, and only that one', async () => {
    const from = hw.logs.length;
    fs.writeFileSync(path.join(tmp.dir, 'internal/unused/unused.go'), 'package unused\n\nconst X = "u1"\n');
    fs.writeFileSync(
      path.join(tmp.dir, 'cmd/cron/own/own.go'),
      'package own\n\nimport "example.com/multi/internal/unused"\n\nconst Version = "o5" + unused.X\n',
    );
    now.cron = await serves(ports.cron, (x) => x.own === 'o5u1', 'cron serves own=o5u1');
    const edit = hw.logs.length;
    fs.writeFileSync(path.join(tmp.dir, 'internal/unused/unused.go'), 'package unused\n\nconst X = "u2"\n');
    now.cron = await serves(ports.cron, (x) => x.own === 'o5u2', 'cron serves own=o5u2 after an edit of the newly imported package');
    for (const a of ['api', 'worker'] as const) {
      expect(await ask(ports[a])).toEqual(now[a]);
      expect(hw.logs.slice(from).filter(ofApp(a, 'build.start'))).toEqual([]);
    }
    expect(hw.logs.slice(edit).filter(ofApp('cron', 'build.start')).length).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('a config reload that changes run: restarts every app with it (each app derives its settings again)', async () => {
    const from = hw.logs.length;
    const cfg = path.join(tmp.dir, 'watcher.config.yaml');
    fs.writeFileSync(cfg, `run: { env: { X: "r1" } }\n${fs.readFileSync(cfg, 'utf8')}`);
    const reloaded = await hw.waitForLog((l) => l.event === 'config.reloaded', 'the config reload', { from });
    expect((reloaded.changes as { restart: string[] }).restart).toEqual([]);
    for (const a of APPS) now[a] = await serves(ports[a], (x) => x.x === 'r1', `${a} serves X=r1 after the reload`);
    // An app's own env still wins over run.env.
    fs.writeFileSync(
      cfg,
      fs.readFileSync(cfg, 'utf8').replace(`env: { PORT: "${ports.cron}" }`, `env: { PORT: "${ports.cron}", X: "own" }`),
    );
    const second = await hw.waitForLog((l) => l.event === 'config.reloaded', 'the second reload', { from: hw.logs.indexOf(reloaded) + 1 });
    expect((second.changes as { restart: string[] }).restart).toEqual(['apps']);
  }, 120_000);

  it('holds one inotify instance and at most one watch per directory plus a small constant', async () => {
    const ready = hw.events('watch.ready')[0]!;
    const dirs = Number(ready.dirs);
    const watches = inotifyWatches(hw.pid);
    expect(inotifyInstances(hw.pid)).toBe(1);
    expect(watches).toBeGreaterThan(0);
    // internal/unused was added since: one more directory.
    expect(watches).toBeLessThanOrEqual(dirs + 1 + 2);
  });
});

describe('apps: choosing apps, and config errors', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  const ports = {} as Record<App, number>;

  beforeAll(async () => {
    tmp = makeTmpDir();
    for (const a of APPS) ports[a] = await freePort();
  });
  afterAll(() => tmp?.cleanup());

  it('`hotwatch run api worker` runs only those two', async () => {
    writeModule(tmp.dir, ports);
    const hw = startHotwatch(['api', 'worker'], { cwd: tmp.dir, waitTimeoutMs: 90_000 });
    try {
      await serves(ports.api, (x) => x.shared === 's1', 'api serves');
      await serves(ports.worker, (x) => x.shared === 's1', 'worker serves');
      expect(hw.events('startup.apps')[0]?.apps).toEqual(['api', 'worker']);
      expect(await httpGet(ports.cron)).toBeUndefined();
      expect(hw.logs.filter((l) => l.app === 'cron')).toEqual([]);
    } finally {
      const r = await hw.stop();
      expect(r.code, hw.stderr().slice(-3000)).toBe(0);
    }
  }, 180_000);

  it('every app left running by a SIGKILLed hotwatch is stopped by the next run, which then serves them', async () => {
    writeModule(tmp.dir, ports);
    // No port: key (checked free before anything starts, the leftovers are reaped after that check).
    const cfg = path.join(tmp.dir, 'watcher.config.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace(/ {4}port: \d+\n/g, ''));
    const first = startHotwatch([], { cwd: tmp.dir, waitTimeoutMs: 90_000 });
    const orphans: number[] = [];
    let second: Hotwatch | undefined;
    try {
      for (const a of APPS) orphans.push((await serves(ports[a], (x) => x.shared === 's1', `${a} serves`)).pid);
      // The state file is written as each app starts: wait until it names all three.
      await waitFor(() => JSON.parse(fs.readFileSync(path.join(tmp.dir, '.hotwatch/state.json'), 'utf8')).apps?.length === 3, {
        description: 'state.json records the three apps',
      });
      await first.stop('SIGKILL');
      for (const pid of orphans) expect(isAlive(pid), `app pid ${pid} still runs after SIGKILL of hotwatch`).toBe(true);
      second = startHotwatch([], { cwd: tmp.dir, waitTimeoutMs: 90_000 });
      await waitFor(() => second!.events('app.leftover').length === 3, { description: 'three leftover apps reported', timeoutMs: 60_000 });
      expect(
        second
          .events('app.leftover')
          .map((l) => l.pid)
          .sort(),
      ).toEqual([...orphans].sort());
      for (const pid of orphans) await waitFor(() => !isAlive(pid), { description: `orphan ${pid} gone` });
      for (const a of APPS) expect((await serves(ports[a], (x) => x.shared === 's1', `${a} serves again`)).pid).not.toBe(undefined);
    } finally {
      for (const pid of orphans) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      if (second) expect((await second.stop()).code, second.stderr().slice(-3000)).toBe(0);
    }
  }, 180_000);

  it('a job app that exits 0 with the PORT every app inherits: the sibling holding it is not called a stray', async () => {
    const dir = makeTmpDir('hotwatch-apps-sibling-');
    const port = await freePort();
    try {
      fs.writeFileSync(path.join(dir.dir, 'go.mod'), 'module example.com/sib\n\ngo 1.22\n');
      fs.mkdirSync(path.join(dir.dir, 'cmd/api'), { recursive: true });
      fs.mkdirSync(path.join(dir.dir, 'cmd/migrate'), { recursive: true });
      fs.writeFileSync(path.join(dir.dir, 'cmd/api/main.go'), goMain('api'));
      fs.writeFileSync(path.join(dir.dir, 'cmd/migrate/main.go'), 'package main\n\nfunc main() { println("migrated") }\n');
      fs.writeFileSync(path.join(dir.dir, '.env'), `PORT=${port}\n`);
      fs.writeFileSync(
        path.join(dir.dir, 'watcher.config.yaml'),
        'run:\n  envFiles: [.env]\napps:\n  api:\n    package: ./cmd/api\n  migrate:\n    package: ./cmd/migrate\n',
      );
      const hw = startHotwatch([], { cwd: dir.dir, waitTimeoutMs: 90_000 });
      try {
        await waitFor(async () => (await httpGet(port)) === 'v=api', { description: 'api serves', timeoutMs: 90_000 });
        await hw.waitForLog(ofApp('migrate', 'app.exit'), 'migrate ran and exited');
        await new Promise((r) => setTimeout(r, 1_500)); // the port is looked at 300 and 1000 ms after the exit
        expect(hw.events('app.port-held')).toEqual([]);
      } finally {
        expect((await hw.stop()).code, hw.stderr().slice(-3000)).toBe(0);
      }
    } finally {
      dir.cleanup();
    }
  }, 180_000);

  it('an unknown app name is exit 2 with the names there are', async () => {
    writeModule(tmp.dir, ports);
    const r = await runCli(['run', 'api', 'nope'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"nope"');
    expect(r.stderr).toContain('api, worker, cron');
  });

  it('two apps with one output, or one fixed port, are config errors with file:line:col', async () => {
    writeModule(tmp.dir, ports);
    const cfg = path.join(tmp.dir, 'watcher.config.yaml');
    fs.writeFileSync(
      cfg,
      `apps:\n  api:\n    package: ./cmd/api\n    output: bin/x\n  worker:\n    package: ./cmd/worker\n    output: bin/x\n`,
    );
    let r = await runCli(['run'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/watcher\.config\.yaml:7:\d+ apps\.api and apps\.worker both build to bin\/x/);
    fs.writeFileSync(cfg, `apps:\n  api:\n    package: ./cmd/api\n    port: 8123\n  worker:\n    package: ./cmd/worker\n    port: 8123\n`);
    r = await runCli(['run'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/watcher\.config\.yaml:7:\d+ apps\.api and apps\.worker both listen on port 8123/);
  });

  it('hotwatch doctor lists the apps (text and JSON, valid against its schema) and checks each package', async () => {
    writeModule(tmp.dir, ports);
    const json = await runCli(['doctor', '--json'], { cwd: tmp.dir, timeoutMs: 60_000 });
    const report = JSON.parse(json.stdout) as unknown;
    const schema = JSON.parse(fs.readFileSync(path.join(REPO, 'schema/doctor.schema.json'), 'utf8')) as Record<string, unknown>;
    expect(validateJsonSchema(schema, report)).toEqual([]);
    const parsed = DoctorReportSchema.parse(report);
    expect(parsed.facts.apps?.map((a) => [a.name, a.package, a.port])).toEqual(APPS.map((a) => [a, `./cmd/${a}`, ports[a]]));
    const ids = parsed.checks.map((c) => c.id);
    for (const a of APPS) expect(ids).toContain(`go.package:${a}`);
    expect(ids.filter((i) => i === 'go.found')).toHaveLength(1);
    expect(parsed.app).toBe('ok');
    const text = await runCli(['doctor'], { cwd: tmp.dir, timeoutMs: 60_000 });
    expect(text.stdout).toContain('3 apps from one watcher: api (./cmd/api');
    expect(text.stdout).toMatch(/worker: Main package: cmd\/worker: package main/);
    // A broken package is said under its app's name.
    fs.rmSync(path.join(tmp.dir, 'cmd/cron/main.go'));
    const broken = DoctorReportSchema.parse(JSON.parse((await runCli(['doctor', '--json'], { cwd: tmp.dir, timeoutMs: 60_000 })).stdout));
    expect(broken.checks.find((c) => c.id === 'go.package:cron')?.status).toBe('fail');
    expect(broken.app).toBe('broken');
  }, 120_000);

  it('`hotwatch run api --proxy-port P` puts the proxy in front of the one app named', async () => {
    writeModule(tmp.dir, ports);
    const proxyPort = await freePort();
    const hw = startHotwatch(['api', '--proxy-port', String(proxyPort)], { cwd: tmp.dir, waitTimeoutMs: 90_000 });
    try {
      const first = await serves(proxyPort, (x) => x.shared === 's1', 'api serves through the proxy');
      fs.writeFileSync(path.join(tmp.dir, 'cmd/api/own/own.go'), ownSource('p2'));
      const next = await serves(proxyPort, (x) => x.own === 'p2', 'the new api serves through the proxy');
      expect(next.pid).not.toBe(first.pid);
      // Files in no package: a static file only reloads the pages, a template restarts the api (no build).
      let from = hw.logs.length;
      fs.mkdirSync(path.join(tmp.dir, 'static'), { recursive: true });
      fs.writeFileSync(path.join(tmp.dir, 'static', 'app.css'), 'body{}\n');
      await hw.waitForLog(ofApp('api', 'proxy.reload-only'), 'the css edit reloads the pages', { from });
      expect((await ask(proxyPort))?.pid).toBe(next.pid);
      from = hw.logs.length;
      fs.mkdirSync(path.join(tmp.dir, 'templates'), { recursive: true });
      fs.writeFileSync(path.join(tmp.dir, 'templates', 'page.tmpl'), '<p>{{.}}</p>\n');
      await serves(proxyPort, (x) => x.pid !== next.pid, 'the template edit restarts the api');
      expect(hw.events('build.start', from)).toEqual([]);
      expect(hw.logs.filter((l) => typeof l.app === 'string' && l.app !== 'api')).toEqual([]);
    } finally {
      const r = await hw.stop();
      expect(r.code, hw.stderr().slice(-3000)).toBe(0);
    }
  }, 180_000);

  it('--proxy-port with several apps chosen is exit 2', async () => {
    writeModule(tmp.dir, ports);
    const r = await runCli(['run', 'api', 'worker', '--proxy-port', String(await freePort())], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the proxy fronts one app, but this run has 2 (api, worker)');
  });

  it("an app's missing env file or working directory is exit 2 at its key, before anything starts", async () => {
    writeModule(tmp.dir, ports);
    const cfg = path.join(tmp.dir, 'watcher.config.yaml');
    fs.writeFileSync(cfg, 'apps:\n  api: { package: ./cmd/api, envFiles: [nope.env], cwd: nodir }\n  worker: { package: ./cmd/worker }\n');
    const r = await runCli(['run'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/watcher\.config\.yaml:2:\d+ apps\.api\.cwd: .*nodir does not exist/);
    expect(r.stderr).toMatch(/watcher\.config\.yaml:2:\d+ apps\.api\.envFiles\[0\]: env file .*nope\.env does not exist/);
    expect(r.stderr).toContain('remove it from apps.api.envFiles');
  });

  it("an app's package that is not there is exit 2 at apps.NAME.package, and the fix names that key", async () => {
    writeModule(tmp.dir, ports);
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'apps:\n  api:\n    package: ./cmd/nope\n');
    const r = await runCli(['run'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/watcher\.config\.yaml:3:\d+ apps\.api: package \.\/cmd\/nope: .* does not exist/);
    expect(r.stderr).toContain(
      'fix: set apps.api.package: ./cmd/api in watcher.config.yaml (main packages under the root: ./cmd/api, ./cmd/cron, ./cmd/worker)',
    );
  });

  it('the proxy in front of several apps is refused', async () => {
    writeModule(tmp.dir, ports, 'proxy:\n  enabled: true\n');
    const r = await runCli(['run'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the proxy fronts one app');
  });
});
