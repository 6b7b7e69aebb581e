/**
 * Files the binary embeds (//go:embed) rebuild when they change, whatever their extension, with no
 * config (src/watch/roots/embedded-files.ts): the built CLI, real go builds, a real app serving what it
 * embeds. A `web/dist/version.json` is not a watched extension; the toolchain's answer makes it one. A
 * `//go:embed` added while hotwatch runs is followed once the edit settles.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotwatchSession, startHotwatch } from '../helpers/hotwatch.js';

const MAIN = `package main

import (
\t"fmt"
\t"net/http"
\t"os"

\t"example.com/e2e/web"
)

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "v=%s", web.Version()) })
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;

/** Package web: embeds dist/ and serves dist/version.json's text (plus, with `notes`, web/notes/*.txt's). */
const web = (notes: boolean) => `package web

import (
\t"embed"
\t"strings"
)

//go:embed dist
var dist embed.FS
${notes ? '\n//go:embed notes/*.txt\nvar notes embed.FS\n' : ''}
func Version() string {
\tb, _ := dist.ReadFile("dist/version.json")
\tv := strings.TrimSpace(string(b))
${notes ? '\tn, _ := notes.ReadFile("notes/n.txt")\n\tv += "+" + strings.TrimSpace(string(n))\n' : ''}\treturn v
}
`;

const session = hotwatchSession((dir) => {
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
  fs.writeFileSync(path.join(dir, 'main.go'), MAIN);
  fs.mkdirSync(path.join(dir, 'web', 'dist'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'web', 'notes'));
  fs.writeFileSync(path.join(dir, 'web', 'web.go'), web(false));
  fs.writeFileSync(path.join(dir, 'web', 'dist', 'version.json'), 'v1\n');
  fs.writeFileSync(path.join(dir, 'web', 'notes', 'n.txt'), 'n1\n');
});

describe('embedded files (//go:embed), no config', () => {
  it('an embedded file of an unwatched extension rebuilds and serves; the log says what is watched for it', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('v1');
    const said = await hw.waitForLog((l) => l.event === 'watch.embeds', 'the embedded files are watched');
    expect(said.globs).toEqual(['web/dist', 'web/dist/**']);
    expect(String(said.msg)).toContain('web/dist');
    fs.writeFileSync(path.join(session.dir, 'web', 'dist', 'version.json'), 'v2\n');
    await session.serves('v2');
    // A file created in the embedded directory later counts too (go embeds the whole tree).
    fs.mkdirSync(path.join(session.dir, 'web', 'dist', 'css'));
    fs.writeFileSync(path.join(session.dir, 'web', 'dist', 'css', 'app.css'), 'body{}\n');
    await hw.waitForLog((l) => l.event === 'build.start' && String(l.trigger).includes('app.css'), 'a new embedded file builds');
    await session.serves('v2');
  });

  it('embedded files written again with the same bytes (a frontend build emptying dist/ first): the same binary, no restart', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('v1');
    await hw.waitForLog((l) => l.event === 'watch.embeds', 'the embedded files are watched');
    const mark = hw.logs.length;
    const dist = path.join(session.dir, 'web', 'dist');
    fs.rmSync(dist, { recursive: true });
    fs.mkdirSync(dist);
    fs.writeFileSync(path.join(dist, 'version.json'), 'v1\n');
    const same = await hw.waitForLog((l) => l.event === 'build.same-binary', 'the build gives the same binary', {
      from: mark,
      timeoutMs: 60_000,
    });
    expect(same.restarting, 'an embedded file is compiled into the binary: nothing to restart').toBeUndefined();
    expect(hw.events('app.start', mark)).toEqual([]);
    await session.serves('v1');
  });

  it('an embedded file edited while hotwatch was starting (before go was asked): built once the answer comes', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('v1');
    // go is asked 2 s after the tree is armed: this edit is not watched yet, only the answer finds it.
    expect(hw.events('watch.embeds')).toEqual([]);
    fs.writeFileSync(path.join(session.dir, 'web', 'dist', 'version.json'), 'v3\n');
    await hw.waitForLog((l) => l.event === 'watch.embeds', 'the embedded files are watched', { timeoutMs: 90_000 });
    await session.serves('v3');
  }, 180_000);

  it('a //go:embed added while hotwatch runs: its files are watched once the edit settles', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('v1');
    await hw.waitForLog((l) => l.event === 'watch.embeds', 'the embedded files are watched');
    fs.writeFileSync(path.join(session.dir, 'web', 'web.go'), web(true));
    await session.serves('v1+n1');
    const said = await hw.waitForLog(
      (l) => l.event === 'watch.embeds' && (l.globs as string[]).includes('web/notes/*.txt'),
      'the new pattern is watched',
      {
        timeoutMs: 30_000,
      },
    );
    expect(String(said.msg)).toContain('web/notes/*.txt');
    fs.writeFileSync(path.join(session.dir, 'web', 'notes', 'n.txt'), 'n2\n');
    await session.serves('v1+n2');
  });
});

/** Package web embedding one more file, `extra/x.txt` (absent at first): Version is dist's text + "+" + its. */
const WEB_EXTRA = `package web

import (
\t"embed"
\t"strings"
)

//go:embed dist
var dist embed.FS

//go:embed extra/x.txt
var extra string

func Version() string {
\tb, _ := dist.ReadFile("dist/version.json")
\treturn strings.TrimSpace(string(b)) + "+" + strings.TrimSpace(extra)
}
`;

describe('a //go:embed added while hotwatch runs, and its file', () => {
  it('naming a file not there yet: the build fails, the pattern is watched, and creating the file builds and serves', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('v1');
    await hw.waitForLog((l) => l.event === 'watch.embeds', 'the embedded files are watched');
    const from = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'web', 'web.go'), WEB_EXTRA);
    await hw.waitForLog((l) => l.event === 'build.failed', 'the build fails: no matching files', { from });
    await hw.waitForLog(
      (l) => l.event === 'watch.embeds' && (l.globs as string[]).includes('web/extra/x.txt'),
      'the pattern of the package go could not load is watched',
      { from, timeoutMs: 30_000 },
    );
    fs.mkdirSync(path.join(session.dir, 'web', 'extra'));
    fs.writeFileSync(path.join(session.dir, 'web', 'extra', 'x.txt'), 'x1\n');
    await session.serves('v1+x1');
  });

  it('naming a file there already, edited before go answered: the edit is built once the answer comes', async () => {
    fs.mkdirSync(path.join(session.dir, 'web', 'extra'));
    fs.writeFileSync(path.join(session.dir, 'web', 'extra', 'x.txt'), 'x1\n');
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('v1');
    await hw.waitForLog((l) => l.event === 'watch.embeds', 'the embedded files are watched');
    const from = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'web', 'web.go'), WEB_EXTRA);
    await session.serves('v1+x1');
    // Not watched yet: go is asked 2 s after the .go edit settles.
    fs.writeFileSync(path.join(session.dir, 'web', 'extra', 'x.txt'), 'x2\n');
    await hw.waitForLog((l) => l.event === 'watch.embeds', 'the new pattern is watched', { from, timeoutMs: 30_000 });
    await session.serves('v1+x2');
  });
});

describe('embedded files behind a build tag that build.cmd sets (go build -tags dev)', () => {
  it('an embedded file of the tagged source rebuilds and serves', async () => {
    // web.go without the embed; dev.go (//go:build dev) embeds devdata/ and overrides the version.
    fs.writeFileSync(
      path.join(session.dir, 'web', 'web.go'),
      'package web\n\nvar version = "plain"\n\nfunc Version() string { return version }\n',
    );
    fs.mkdirSync(path.join(session.dir, 'web', 'devdata'));
    fs.writeFileSync(path.join(session.dir, 'web', 'devdata', 'v.json'), 'd1\n');
    fs.writeFileSync(
      path.join(session.dir, 'web', 'dev.go'),
      '//go:build dev\n\npackage web\n\nimport (\n\t"embed"\n\t"strings"\n)\n\n//go:embed devdata\nvar dev embed.FS\n\nfunc init() {\n\tb, _ := dev.ReadFile("devdata/v.json")\n\tversion = strings.TrimSpace(string(b))\n}\n',
    );
    fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), 'build:\n  cmd: go build -tags dev -o .hotwatch/bin/app .\n');
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('d1');
    await hw.waitForLog((l) => l.event === 'watch.embeds' && (l.globs as string[]).includes('web/devdata'), 'the tagged embed is watched');
    fs.writeFileSync(path.join(session.dir, 'web', 'devdata', 'v.json'), 'd2\n');
    await session.serves('d2');
  });
});

/** A local module the app is built from (`replace example.com/lib => ../lib`, outside the root) that embeds data/. */
const LIB = `package lib

import (
\t"embed"
\t"strings"
)

//go:embed data
var data embed.FS

func Version() string {
\tb, _ := data.ReadFile("data/version.json")
\treturn strings.TrimSpace(string(b))
}
`;

const outside = hotwatchSession((dir) => {
  const [app, lib] = [path.join(dir, 'app'), path.join(dir, 'lib')];
  fs.mkdirSync(path.join(lib, 'data'), { recursive: true });
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(lib, 'go.mod'), 'module example.com/lib\n\ngo 1.22\n');
  fs.writeFileSync(path.join(lib, 'lib.go'), LIB);
  fs.writeFileSync(path.join(lib, 'data', 'version.json'), 'L1\n');
  fs.writeFileSync(
    path.join(app, 'go.mod'),
    'module example.com/e2e\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n',
  );
  fs.writeFileSync(path.join(app, 'main.go'), MAIN.replace('example.com/e2e/web', 'example.com/lib').replace('web.Version', 'lib.Version'));
});

describe('embedded files of a local module outside the root (a replace target)', () => {
  it('an embedded file there rebuilds and serves, and a new file in its embedded directory builds', async () => {
    const app = path.join(outside.dir, 'app');
    const hw = (outside.hw = startHotwatch([], { cwd: app, env: { PORT: String(outside.port) } }));
    await outside.serves('L1');
    const said = await hw.waitForLog(
      (l) => l.event === 'watch.embeds' && (l.globs as string[]).some((g) => g.includes('lib/data')),
      'the replace target embedded files are watched',
    );
    expect(String(said.msg)).toContain('../lib/data');
    fs.writeFileSync(path.join(outside.dir, 'lib', 'data', 'version.json'), 'L2\n');
    await outside.serves('L2');
    fs.writeFileSync(path.join(outside.dir, 'lib', 'data', 'extra.csv'), 'a,b\n');
    await hw.waitForLog((l) => l.event === 'build.start' && String(l.trigger).includes('extra.csv'), 'a new embedded file there builds');
  });

  it('the same for a go.work module outside the root', async () => {
    const app = path.join(outside.dir, 'app');
    fs.writeFileSync(path.join(app, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
    fs.writeFileSync(path.join(outside.dir, 'go.work'), 'go 1.22\n\nuse (\n\t./app\n\t./lib\n)\n');
    const hw = (outside.hw = startHotwatch([], { cwd: app, env: { PORT: String(outside.port) } }));
    await outside.serves('L1');
    await hw.waitForLog(
      (l) => l.event === 'watch.embeds' && (l.globs as string[]).includes('../lib/data'),
      'the workspace module embedded files are watched',
    );
    fs.writeFileSync(path.join(outside.dir, 'lib', 'data', 'version.json'), 'W2\n');
    await outside.serves('W2');
  });
});
