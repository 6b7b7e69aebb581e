/**
 * The proxy in front of `hotwatch run` (e2e: real go build, real processes, real HTTP on 127.0.0.1):
 *   (a) 20 clients keep requesting through the proxy while 10 edits rebuild and restart the app: not one
 *       request fails, and the last version serves;
 *   (b) a new version that panics at start: the old one answers throughout, the log says why, a page
 *       carries the overlay's report; the fix serves;
 *   (c) a new version that never listens: the same, after proxy.readyTimeout;
 *   (d) a template edit restarts without a build; a static file edit only reloads.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, hotwatchSession, startHotwatch } from '../helpers/hotwatch.js';
import { request } from '../helpers/http-client.js';
import { waitFor } from '../helpers/wait.js';

/** The app: `/` answers v=<version>, `/page` is an HTML page, `/tmpl` the template read at each request. */
const app = (version: string, boot = ''): string => `package main

import (
\t"fmt"
\t"net/http"
\t"os"
\t"strings"
\t"time"
)

func main() {
\t${boot}
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "v=%s", "${version}") })
\thttp.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
\t\tw.Header().Set("Content-Type", "text/html; charset=utf-8")
\t\tfmt.Fprintf(w, "<!doctype html><html><head><title>t</title></head><body><p>v=%s</p></body></html>", "${version}")
\t})
\thttp.HandleFunc("/crash", func(w http.ResponseWriter, r *http.Request) {
\t\tfmt.Fprintln(os.Stderr, "fatal: the database is gone")
\t\tos.Exit(3)
\t})
\thttp.HandleFunc("/order", func(w http.ResponseWriter, r *http.Request) {
\t\t// Recorded as received, then worked on for 2 s: a stop meanwhile would cut it.
\t\tf, _ := os.OpenFile(os.Getenv("ORDERS"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
\t\tfmt.Fprintf(f, "%s %s\\n", "${version}", r.Method)
\t\tf.Close()
\t\ttime.Sleep(2 * time.Second)
\t\tfmt.Fprintf(w, "order placed by %s", "${version}")
\t})
\thttp.HandleFunc("/download", func(w http.ResponseWriter, r *http.Request) {
\t\t// 20 KiB over 2 s, chunked (no Content-Length: a cut body looks whole to many clients).
\t\tfor i := 0; i < 20; i++ {
\t\t\tw.Write([]byte(strings.Repeat("${version}"[:1], 1024)))
\t\t\tw.(http.Flusher).Flush()
\t\t\ttime.Sleep(100 * time.Millisecond)
\t\t}
\t})
\thttp.HandleFunc("/tmpl", func(w http.ResponseWriter, r *http.Request) {
\t\tb, _ := os.ReadFile("templates/x.tmpl")
\t\tw.Write(b)
\t})
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;

const PANIC = 'panic("boom: the config is missing")';
const NEVER_READY = 'select {}';

async function text(port: number, p = '/'): Promise<string | undefined> {
  try {
    const a = await request(port, { path: p, timeoutMs: 10_000 });
    return a.status === 200 ? a.text : undefined;
  } catch {
    return undefined;
  }
}

describe('hotwatch run --proxy-port (e2e)', () => {
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), app('v0'));
    fs.mkdirSync(path.join(dir, 'templates'));
    fs.writeFileSync(path.join(dir, 'templates', 'x.tmpl'), 'tmpl=one\n');
    fs.mkdirSync(path.join(dir, 'static'));
    fs.writeFileSync(path.join(dir, 'static', 'app.css'), 'body{}\n');
  });
  const proxied = (v: string, port: number) =>
    waitFor(async () => (await text(port)) === `v=${v}`, { description: `the proxy serves v=${v}`, timeoutMs: 60_000 });

  for (const [mode, config] of [
    ['blue-green (the default)', ''],
    ['stop, then start (proveNewVersion: false)', 'proxy:\n  proveNewVersion: false\n'],
  ] as const) {
    it(`(a) ${mode}: 20 clients through 10 rebuilds and restarts: zero failed requests, the last version serves`, async () => {
      const port = session.port;
      if (config) fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), config);
      const hw = (session.hw = startHotwatch(['--proxy-port', String(port)], { cwd: session.dir }));
      await proxied('v0', port);
      let stop = false;
      const failures: string[] = [];
      let ok = 0;
      const client = async (): Promise<void> => {
        while (!stop) {
          try {
            const a = await request(port, { timeoutMs: 30_000 });
            if (a.status === 200 && a.text.startsWith('v=')) ok++;
            else failures.push(`${a.status} ${a.text.slice(0, 80)}`);
          } catch (e) {
            failures.push(String(e));
          }
        }
      };
      const clients = Array.from({ length: 20 }, client);
      try {
        for (let i = 1; i <= 10; i++) {
          fs.writeFileSync(path.join(session.dir, 'main.go'), app(`v${i}`));
          await proxied(`v${i}`, port);
          // At a person's uneven pace: the same file saved at the same time after each start, cycle after
          // cycle, is a build loop's signature (self-trigger-pattern.ts), not a person's save.
          await new Promise((r) => setTimeout(r, 700 + (i % 3) * 500));
        }
      } catch (e) {
        stop = true;
        throw new Error(`${String(e)}\n${hw.stderr().slice(-3000)}`);
      }
      stop = true;
      await Promise.all(clients);
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(100);
      expect(await text(port)).toBe('v=v10');
      expect(hw.events('build.start').length).toBeGreaterThanOrEqual(11);
    }, 240_000);
  }

  for (const [name, boot, extra] of [
    ['(b) a new version that panics at start', PANIC, []],
    ['(c) a new version that never listens', NEVER_READY, ['proxy:\n  readyTimeout: 2s\n']],
  ] as const) {
    it(`${name}: the old one answers throughout, the log says why, pages show it; the fix serves`, async () => {
      const port = session.port;
      if (extra.length > 0) fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), extra.join(''));
      const hw = (session.hw = startHotwatch(['--proxy-port', String(port)], { cwd: session.dir }));
      await proxied('v0', port);
      let stop = false;
      const answers: Array<string | undefined> = [];
      const poll = (async () => {
        while (!stop) answers.push(await text(port));
      })();
      const mark = hw.logs.length;
      fs.writeFileSync(path.join(session.dir, 'main.go'), app('v1', boot));
      const said = await hw.waitForLog((l) => l.event === 'app.start-failed', 'the failed start is said', {
        from: mark,
        timeoutMs: 60_000,
      });
      expect(said.msg).toMatch(/the previous version keeps serving/);
      if (boot === PANIC) expect(said.msg).toMatch(/exited|boom/);
      else expect(said.msg).toMatch(/not ready after/);
      const page = await request(port, { path: '/page' });
      expect(page.status).toBe(200);
      expect(page.text).toContain('v=v0');
      expect(page.text).toMatch(/<script/);
      // The overlay reads the failure from the live-reload state.
      const state = await stateOf(port, page.text);
      expect(JSON.stringify(state)).toMatch(boot === PANIC ? /boom: the config is missing/ : /not ready/);
      expect(await text(port)).toBe('v=v0');
      fs.writeFileSync(path.join(session.dir, 'main.go'), app('v2'));
      await proxied('v2', port);
      stop = true;
      await poll;
      expect(answers.filter((a) => a === undefined)).toEqual([]);
      expect(answers.filter((a) => a !== 'v=v0' && a !== 'v=v2')).toEqual([]);
    }, 120_000);
  }

  it('(h) a new version that listens on a port of its own, not on $PORT: said at once with both fixes; the failure names it', async () => {
    const port = session.port;
    const own = await freePort();
    fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), 'proxy:\n  readyTimeout: 5s\n');
    const hw = (session.hw = startHotwatch(['--proxy-port', String(port)], { cwd: session.dir }));
    await proxied('v0', port);
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'main.go'), app('v1', `os.Setenv("PORT", "${own}")`));
    const warned = await hw.waitForLog((l) => l.event === 'app.wrong-port', 'the wrong port is said', { from: mark, timeoutMs: 60_000 });
    expect(warned).toMatchObject({ level: 40, listening: [own] });
    expect(String(warned.msg)).toContain(`--app-port ${own}`);
    // The pages are told at once (the overlay's state), not after the 5 s readyTimeout.
    const failure = async () =>
      ((await request(port, { path: '/__hotwatch/state' }).then((a) => JSON.parse(a.text))) as { failure: { title?: string } | null })
        .failure;
    expect((await failure())?.title).toBe(`The app listens on :${own}, not on port ${String(warned.port)} ($PORT)`);
    const failed = await hw.waitForLog((l) => l.event === 'app.start-failed', 'the failed start is said', {
      from: mark,
      timeoutMs: 60_000,
    });
    expect(hw.logs.indexOf(warned), 'said while still waiting, before the deadline').toBeLessThan(hw.logs.indexOf(failed));
    expect(String(failed.msg)).toContain(`it listens on :${own} instead`);
    expect(await text(port)).toBe('v=v0');
  }, 120_000);

  it('(i) an app that holds a file lock: the new version beside the old one fails, the fix named is proveNewVersion: false, and applied, the edit serves', async () => {
    const port = session.port;
    const boot =
      'f, _ := os.OpenFile("data.lock", os.O_CREATE|os.O_RDWR, 0o600)\n\tdefer f.Close()\n\tif err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {\n\t\tfmt.Fprintln(os.Stderr, "open data.db: database is locked by another process")\n\t\tos.Exit(1)\n\t}';
    const locking = (v: string): string => app(v, boot).replace('\t"strings"\n', '\t"strings"\n\t"syscall"\n');
    fs.writeFileSync(path.join(session.dir, 'main.go'), locking('v0'));
    fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), 'proxy:\n  readyTimeout: 5s\n');
    const hw = (session.hw = startHotwatch(['--proxy-port', String(port)], { cwd: session.dir }));
    await proxied('v0', port);
    let mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'main.go'), locking('v1'));
    const failed = await hw.waitForLog((l) => l.event === 'app.start-failed', 'the failed start is said', {
      from: mark,
      timeoutMs: 60_000,
    });
    expect(String(failed.msg)).toMatch(/it started beside the version that serves .*set proxy\.proveNewVersion: false/);
    expect(String(failed.msg)).toContain('database is locked');
    expect(await text(port)).toBe('v=v0');
    expect(String(failed.msg)).toContain('start hotwatch again');
    // The fix as written: the config edited, hotwatch started again, then a save.
    expect((await hw.stop()).code).toBe(0);
    fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), 'proxy:\n  readyTimeout: 5s\n  proveNewVersion: false\n');
    const again = (session.hw = startHotwatch(['--proxy-port', String(port)], { cwd: session.dir }));
    await proxied('v1', port);
    mark = again.logs.length;
    fs.writeFileSync(path.join(session.dir, 'main.go'), locking('v2'));
    await proxied('v2', port);
    expect(again.events('app.start-failed', mark)).toEqual([]);
  }, 150_000);

  it('(i) an app with a second fixed port (pprof, metrics): the holder named is the version hotwatch serves, never with kill as the fix', async () => {
    const port = session.port;
    const fixed = await freePort();
    const boot = `ln, err := net.Listen("tcp", "127.0.0.1:${fixed}")\n\tif err != nil {\n\t\tfmt.Fprintln(os.Stderr, err)\n\t\tos.Exit(1)\n\t}\n\tgo http.Serve(ln, http.NewServeMux())`;
    const twoPorts = (v: string): string => app(v, boot).replace('\t"net/http"\n', '\t"net"\n\t"net/http"\n');
    fs.writeFileSync(path.join(session.dir, 'main.go'), twoPorts('v0'));
    fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), 'proxy:\n  readyTimeout: 5s\n');
    const hw = (session.hw = startHotwatch(['--proxy-port', String(port)], { cwd: session.dir }));
    await proxied('v0', port);
    const serving = hw.events('app.start').at(-1)!.pid;
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'main.go'), twoPorts('v1'));
    const held = await hw.waitForLog((l) => l.event === 'app.port-in-use', 'the port held is said', { from: mark, timeoutMs: 60_000 });
    expect(held).toMatchObject({ port: fixed, own: serving });
    expect(String(held.msg)).toContain(`the version hotwatch serves now (pid ${serving}) holds it`);
    expect(String(held.msg)).toContain('set proxy.proveNewVersion: false');
    expect(String(held.msg)).not.toContain('kill');
    expect(await text(port)).toBe('v=v0');
  }, 150_000);

  it('run.env PORT set in the config: said to be replaced behind the proxy, with the way to keep it', async () => {
    const port = session.port;
    fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), 'run:\n  env: { PORT: "46555" }\n');
    const hw = (session.hw = startHotwatch(['--proxy-port', String(port)], { cwd: session.dir }));
    await proxied('v0', port);
    const [said] = hw.events('proxy.port-env-replaced');
    expect(said).toMatchObject({ level: 40, variable: 'PORT', value: '46555' });
    expect(String(said!.msg)).toContain('set proxy.appPort: 46555 (or --app-port 46555)');
  }, 120_000);

  it('(e) an app that crashes: pages get a 503 carrying its last output; the next edit serves again', async () => {
    const port = session.port;
    const hw = (session.hw = startHotwatch(['--proxy-port', String(port)], { cwd: session.dir }));
    await proxied('v0', port);
    await request(port, { path: '/crash', timeoutMs: 5_000 }).catch(() => undefined);
    await hw.waitForLog((l) => l.event === 'app.exit', 'the crash is said');
    const page = await request(port, { path: '/page', headers: { accept: 'text/html' }, timeoutMs: 10_000 });
    expect(page.status).toBe(503);
    expect(page.text).toContain('fatal: the database is gone');
    await new Promise((r) => setTimeout(r, 700));
    fs.writeFileSync(path.join(session.dir, 'main.go'), app('v1'));
    await proxied('v1', port);
  }, 90_000);

  it('(f) a broken build shows in the page; undoing it (the same binary, no restart) takes it away', async () => {
    const port = session.port;
    const hw = (session.hw = startHotwatch(['--proxy-port', String(port)], { cwd: session.dir }));
    await proxied('v0', port);
    const failure = async (): Promise<unknown> =>
      ((await request(port, { path: '/__hotwatch/state' }).then((a) => JSON.parse(a.text))) as { failure: unknown }).failure;
    await new Promise((r) => setTimeout(r, 700));
    const good = fs.readFileSync(path.join(session.dir, 'main.go'), 'utf8');
    fs.writeFileSync(path.join(session.dir, 'main.go'), `${good}\nfunc broken() { undefinedName() }\n`);
    await waitFor(async () => JSON.stringify(await failure()).includes('undefinedName'), {
      description: 'the failure shows',
      timeoutMs: 60_000,
    });
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'main.go'), good);
    await waitFor(async () => (await failure()) === null, { description: 'the failure is gone', timeoutMs: 60_000 });
    expect(hw.events('app.start', mark)).toEqual([]);
    expect(await text(port)).toBe('v=v0');
  }, 90_000);

  it('(h2) a broken build stays shown across a template restart (the old binary runs again; the build is still broken)', async () => {
    const port = session.port;
    const hw = (session.hw = startHotwatch(['--proxy-port', String(port)], { cwd: session.dir }));
    await proxied('v0', port);
    const failure = async (): Promise<string> =>
      JSON.stringify(
        ((await request(port, { path: '/__hotwatch/state' }).then((a) => JSON.parse(a.text))) as { failure: unknown }).failure,
      );
    await new Promise((r) => setTimeout(r, 700));
    const good = fs.readFileSync(path.join(session.dir, 'main.go'), 'utf8');
    fs.writeFileSync(path.join(session.dir, 'main.go'), `${good}\nfunc broken() { undefinedName() }\n`);
    await waitFor(async () => (await failure()).includes('undefinedName'), { description: 'the failure shows', timeoutMs: 60_000 });
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'templates', 'x.tmpl'), 'tmpl=two\n');
    await waitFor(async () => (await text(port, '/tmpl')) === 'tmpl=two\n', {
      description: 'the template restart serves',
      timeoutMs: 60_000,
    });
    expect(hw.events('build.start', mark)).toEqual([]);
    expect(await failure()).toContain('undefinedName');
  }, 90_000);

  it('(h3) build.onFailure: stop: the page says the app is stopped, not that the previous version serves', async () => {
    const port = session.port;
    fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), 'build:\n  onFailure: stop\n');
    const hw = (session.hw = startHotwatch(['--proxy-port', String(port)], { cwd: session.dir }));
    await proxied('v0', port);
    await new Promise((r) => setTimeout(r, 700));
    const good = fs.readFileSync(path.join(session.dir, 'main.go'), 'utf8');
    fs.writeFileSync(path.join(session.dir, 'main.go'), `${good}\nfunc broken() { undefinedName() }\n`);
    const page = await waitFor(
      async () => {
        const a = await request(port, { timeoutMs: 10_000 });
        return a.status === 503 ? a.text : undefined;
      },
      { description: 'the 503 with the report', timeoutMs: 60_000 },
    );
    expect(page).toContain('the app is stopped (build.onFailure: stop)');
    expect(page).not.toContain('keeps serving');
    expect(hw.events('build.failed').length).toBe(1);
  }, 90_000);

  it('(d) a template edit restarts without a build; a static edit only reloads', async () => {
    const port = session.port;
    const hw = (session.hw = startHotwatch(['--proxy-port', String(port)], { cwd: session.dir }));
    await proxied('v0', port);
    let mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'templates', 'x.tmpl'), 'tmpl=two\n');
    await waitFor(async () => (await text(port, '/tmpl')) === 'tmpl=two\n', { description: 'the new template serves', timeoutMs: 30_000 });
    const restart = await hw.waitForLog((l) => l.event === 'app.restart', 'the restart is said', { from: mark });
    expect(restart.reason).toMatch(/proxy\.restartOnly: templates\/x\.tmpl/);
    expect(hw.events('build.start', mark)).toEqual([]);
    await hw.waitForLog((l) => l.event === 'app.start', 'the restarted app', { from: mark });
    mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'static', 'app.css'), 'body{color:red}\n');
    await hw.waitForLog((l) => l.event === 'proxy.reload-only', 'the reload is said', { from: mark });
    expect(hw.events('build.start', mark)).toEqual([]);
    expect(hw.events('app.restart', mark)).toEqual([]);
    expect(hw.events('app.start', mark)).toEqual([]);
  }, 90_000);

  it('(g) restarts without a build (template edits) start the new process beside the old: 20 clients, zero failures', async () => {
    const port = session.port;
    const hw = (session.hw = startHotwatch(['--proxy-port', String(port)], { cwd: session.dir }));
    await proxied('v0', port);
    const first = await hw.waitForLog((l) => l.event === 'app.start', 'the first start');
    const mark = hw.logs.length;
    let stop = false;
    const failures: string[] = [];
    let ok = 0;
    const client = async (): Promise<void> => {
      while (!stop) {
        try {
          const a = await request(port, { path: '/tmpl', timeoutMs: 30_000 });
          if (a.status === 200 && a.text.startsWith('tmpl=')) ok++;
          else failures.push(`${a.status} ${a.text.slice(0, 80)}`);
        } catch (e) {
          failures.push(String(e));
        }
      }
    };
    const retired = (): number => hw.events('app.stop', mark).filter((l) => l.why === 'replaced by the new version').length;
    const clients = Array.from({ length: 20 }, client);
    try {
      for (let i = 1; i <= 5; i++) {
        // Atomically (write, then rename): the app reads the file at each request and must never see it half-written.
        fs.writeFileSync(path.join(session.dir, 'x.tmpl.next'), `tmpl=${i}\n`);
        fs.renameSync(path.join(session.dir, 'x.tmpl.next'), path.join(session.dir, 'templates', 'x.tmpl'));
        await waitFor(async () => (await text(port, '/tmpl')) === `tmpl=${i}\n`, {
          description: `the restarted app serves tmpl=${i}`,
          timeoutMs: 30_000,
        });
        await waitFor(() => retired() >= i, { description: `restart ${i}: the old process retired`, timeoutMs: 30_000 });
        await new Promise((r) => setTimeout(r, 700));
      }
    } catch (e) {
      stop = true;
      throw new Error(`${String(e)}\n${hw.stderr().slice(-3000)}`);
    }
    stop = true;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(50);
    expect(hw.events('build.start', mark)).toEqual([]);
    const restarts = hw.events('app.restart', mark);
    expect(restarts).toHaveLength(5);
    expect(restarts[0]!.msg).toMatch(/starts beside it/);
    // Never stop-then-start: every old process is stopped only once its successor serves.
    expect(hw.events('app.stop', mark).map((l) => l.why)).toEqual(Array(5).fill('replaced by the new version'));
    const pids = [first.pid, ...hw.events('app.start', mark).map((l) => l.pid)];
    expect(new Set(pids).size).toBe(6);
  }, 180_000);
});

/** The live-reload state the page's script reads (the overlay shows its failure). */
describe('a request in flight when the proxy switches to a new version (e2e)', () => {
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), app('v0'));
    fs.mkdirSync(path.join(dir, 'templates'));
    fs.writeFileSync(path.join(dir, 'templates', 'x.tmpl'), 'tmpl=one\n');
  });

  it('a POST the old version is working on ends there (it is stopped only then), and reaches the app once', async () => {
    const port = session.port;
    const orders = path.join(session.dir, 'orders.log');
    const hw = (session.hw = startHotwatch(['--proxy-port', String(port)], { cwd: session.dir, env: { ORDERS: orders } }));
    await waitFor(async () => (await text(port)) === 'v=v0', { description: 'v0 serves', timeoutMs: 60_000 });
    const agent = new (await import('node:http')).Agent({ keepAlive: true });
    expect((await request(port, { agent })).text).toBe('v=v0'); // the proxy's connection to the app is now a kept-alive one
    const order = request(port, { method: 'POST', path: '/order', body: 'one widget', agent, timeoutMs: 30_000 });
    await waitFor(() => fs.existsSync(orders), { description: `v0 received the order\n${hw.stderr().slice(-1500)}` });
    fs.writeFileSync(path.join(session.dir, 'main.go'), app('v1'));
    const answer = await order;
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('order placed by v0');
    await waitFor(async () => (await text(port)) === 'v=v1', { description: 'v1 serves', timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 500));
    expect(fs.readFileSync(orders, 'utf8')).toBe('v0 POST\n');
    agent.destroy();
  });
});

describe('a download in flight when the proxy switches to a new version (e2e)', () => {
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), app('v0'));
  });

  it('a GET the old version is answering ends whole there (blue-green: it is stopped once its responses end)', async () => {
    const port = session.port;
    const hw = (session.hw = startHotwatch(['--proxy-port', String(port)], { cwd: session.dir }));
    await waitFor(async () => (await text(port)) === 'v=v0', { description: 'v0 serves', timeoutMs: 60_000 });
    const http = await import('node:http');
    let got = 0;
    let firstBytes = false;
    const done = new Promise<{ complete: boolean; error?: string }>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/download', agent: false }, (res) => {
        res.on('data', (d: Buffer) => {
          got += d.length;
          firstBytes = true;
        });
        res.on('end', () => resolve({ complete: res.complete }));
        res.on('error', (e) => resolve({ complete: false, error: e.message }));
      });
      req.on('error', (e) => resolve({ complete: false, error: e.message }));
    });
    await waitFor(() => firstBytes, { description: 'the download started' });
    fs.writeFileSync(path.join(session.dir, 'main.go'), app('v1'));
    await waitFor(async () => (await text(port)) === 'v=v1', { description: 'v1 serves', timeoutMs: 60_000 });
    expect(await done).toEqual({ complete: true });
    expect(got).toBe(20 * 1024);
    expect(hw.stderr()).not.toContain('response cut');
  });
});

async function stateOf(port: number, page: string): Promise<unknown> {
  expect(page).toContain('/__hotwatch/');
  const a = await request(port, { path: '/__hotwatch/state', timeoutMs: 2_000 });
  return JSON.parse(a.text) as unknown;
}
