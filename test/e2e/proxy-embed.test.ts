/**
 * A template the binary embeds (`//go:embed`) is not read at run time: its edit needs a build, even where
 * proxy.restartOnly names it (web/templates/** by default). E2E: real go build, real app, real HTTP.
 *   - through the proxy: the edit builds (the log says the file is embedded, by which package), and the
 *     rebuilt app serves the new text;
 *   - without the proxy: the edit builds too, and the new text serves.
 * (A template read from disk restarts without a build: proxy-run.test.ts, case (d).)
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotwatchSession, httpGet, startHotwatch } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';

const MAIN = `package main

import (
\t"fmt"
\t"net/http"
\t"os"

\t"example.com/e2e/web"
)

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, web.Page()) })
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;
const WEB = `package web

import "embed"

//go:embed templates/*
var pages embed.FS

func Page() string {
\tb, err := pages.ReadFile("templates/index.html")
\tif err != nil {
\t\treturn err.Error()
\t}
\treturn string(b)
}
`;

describe('an embedded template (e2e)', () => {
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), MAIN);
    fs.mkdirSync(path.join(dir, 'web', 'templates'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'web', 'web.go'), WEB);
    fs.writeFileSync(path.join(dir, 'web', 'templates', 'index.html'), 'page=one');
  });
  const serves = (text: string) =>
    waitFor(async () => (await httpGet(session.port)) === text, { description: `${text} serves`, timeoutMs: 60_000 });

  it('through the proxy: its edit rebuilds (the log says why) and the new text serves', async () => {
    const hw = (session.hw = startHotwatch(['--proxy-port', String(session.port)], { cwd: session.dir }));
    await serves('page=one');
    await hw.waitForLog((l) => l.event === 'app.start', 'the first start');
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'web', 'templates', 'index.html'), 'page=two');
    await serves('page=two');
    const said = await hw.waitForLog((l) => l.event === 'proxy.embedded', 'the embed is said', { from: mark });
    expect(said.msg).toMatch(/^web\/templates\/index\.html is embedded by \.\/web \(\/\/go:embed\): rebuilding/);
    expect(hw.events('build.start', mark)).toHaveLength(1);
    expect(hw.events('app.restart', mark)).toEqual([]);
  }, 120_000);

  it('without the proxy: its edit rebuilds and the new text serves', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await serves('page=one');
    await hw.waitForLog((l) => l.event === 'app.start', 'the first start');
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'web', 'templates', 'index.html'), 'page=two');
    await serves('page=two');
    expect(hw.events('build.start', mark).length).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
