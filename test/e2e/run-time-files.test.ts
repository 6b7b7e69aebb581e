/**
 * A file go does not compile, read by the app at start (e2e: real go build, real processes, real HTTP).
 * `template.ParseFiles` at start is the usual pattern: an edit of the template builds the very binary the
 * app runs, and the app must restart all the same to read it again (it said "nothing to restart", and
 * the old page was served for good). A .go file the build does not compile (a package main does not
 * import) still restarts nothing. A build is counted once in the status and the metrics, same binary or not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotwatchSession, httpGet, runCli, startHotwatch } from '../helpers/hotwatch.js';

const TEMPLATED = `package main

import (
\t"fmt"
\t"html/template"
\t"net/http"
\t"os"
)

// page is parsed once, at start, as most apps do.
var page = template.Must(template.ParseFiles("templates/index.tmpl"))

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { _ = page.Execute(w, nil) })
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;

describe('a template the app reads at start (e2e)', () => {
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/tmpl\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), TEMPLATED);
    fs.mkdirSync(path.join(dir, 'templates'));
    fs.writeFileSync(path.join(dir, 'templates/index.tmpl'), 'v=page-one');
  });

  it('its edit restarts the app (the same binary), a package main does not import does not; each build counted once', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('page-one');
    const first = await hw.waitForLog((l) => l.event === 'app.listening', 'the app listens');
    let mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'templates/index.tmpl'), 'v=page-two');
    await session.serves('page-two');
    const same = await hw.waitForLog((l) => l.event === 'build.same-binary', 'the same binary, said', { from: mark });
    expect(same).toMatchObject({ pid: first.pid, restarting: ['templates/index.tmpl'] });
    expect(same.msg).toMatch(/not compiled into it \(the app may read it at run time\): restarting it/);
    await hw.waitForLog((l) => l.event === 'app.listening' && l.pid !== first.pid, 'the restarted app listens', { from: mark });

    mark = hw.logs.length;
    const running = hw.events('app.listening').at(-1)!.pid;
    fs.mkdirSync(path.join(session.dir, 'tools'));
    fs.writeFileSync(path.join(session.dir, 'tools/tools.go'), 'package tools\n\nconst Unused = 1\n');
    const unused = await hw.waitForLog((l) => l.event === 'build.same-binary', 'a package main does not import: the same binary', {
      from: mark,
    });
    expect(unused.restarting).toBeUndefined();
    expect(unused.msg).toMatch(/nothing to restart/);
    expect(hw.events('app.start', mark)).toEqual([]);
    expect(hw.events('app.listening').at(-1)!.pid).toBe(running);

    const status = await runCli(['status', '--json'], { cwd: session.dir });
    const builds = hw.events('build.start').length;
    expect(builds, 'the first build, the template, the unused package').toBe(3);
    expect((JSON.parse(status.stdout) as { builds: { ok: number } }).builds.ok, 'each build counted once').toBe(builds);
  }, 120_000);
});

describe('build.output a launcher script that runs what build.cmd builds (e2e)', () => {
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/launcher\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), TEMPLATED.replace('_ = page.Execute(w, nil)', 'fmt.Fprint(w, "v=one")'));
    fs.mkdirSync(path.join(dir, 'templates'));
    fs.writeFileSync(path.join(dir, 'templates/index.tmpl'), 'unused');
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.writeFileSync(
      path.join(dir, 'scripts/run.sh'),
      '#!/bin/sh\n# the dev launcher (air: bin = "scripts/run.sh")\nexec ./bin/server "$@"\n',
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), 'build:\n  cmd: go build -o bin/server .\n  output: scripts/run.sh\n');
  });

  it('each edit restarts it: the script is the same bytes, the program it starts is not', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('one');
    const main = path.join(session.dir, 'main.go');
    fs.writeFileSync(main, fs.readFileSync(main, 'utf8').replace('v=one', 'v=two'));
    await session.serves('two');
    expect(hw.events('build.same-binary')).toEqual([]);
  }, 90_000);
});

const UPLOADS = `package main

import (
\t"fmt"
\t"net/http"
\t"os"
\t"time"
)

func main() {
\t_ = os.MkdirAll("uploads", 0o755)
\thttp.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
\t\t_ = os.WriteFile(fmt.Sprintf("uploads/%d.html", time.Now().UnixNano()), []byte("<p>user content</p>"), 0o644)
\t\tfmt.Fprint(w, "stored")
\t})
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "v=up") })
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;

describe('an app that writes files into the watched tree as it serves (e2e)', () => {
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/uploads\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), UPLOADS);
  });

  it('each upload restarts it (the app may read them); after three, one warning names the directory and the exclude, which ends it', async () => {
    // Started from elsewhere: the files the report names are the root's, not the current directory's.
    const hw = (session.hw = startHotwatch(['--root', session.dir], {
      cwd: path.dirname(session.dir),
      env: { PORT: String(session.port) },
    }));
    await session.serves('up');
    let pid = (await hw.waitForLog((l) => l.event === 'app.listening', 'the app listens')).pid;
    for (let i = 1; i <= 3; i++) {
      const [before, from] = [pid, hw.logs.length];
      expect(await httpGet(session.port, '/upload')).toBe('stored');
      pid = (await hw.waitForLog((l) => l.event === 'app.listening' && l.pid !== before, `the app restarted after upload ${i}`, { from }))
        .pid;
    }
    const hint = await hw.waitForLog((l) => l.event === 'app.writes-watched-files', 'the warning');
    expect(hint).toMatchObject({ level: 40, dir: path.join(session.dir, 'uploads'), restarts: 3 });
    expect(hint.msg).toContain('add "uploads/**" to watch.exclude');
    expect(hw.events('app.writes-watched-files')).toHaveLength(1);

    // The fix it names works: with the exclude, an upload restarts nothing.
    fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), 'watch:\n  exclude: ["uploads/**"]\n');
    await hw.waitForLog((l) => l.event === 'config.reloaded', 'the config reloaded', { timeoutMs: 30_000 });
    const mark = hw.logs.length;
    expect(await httpGet(session.port, '/upload')).toBe('stored');
    await new Promise((r) => setTimeout(r, 3000));
    expect(hw.logs.slice(mark).filter((l) => l.event === 'build.start' || l.event === 'app.start')).toEqual([]);
  }, 120_000);
});
