/**
 * Service mode through the real `hotwatch run` (issue 17): real go builds, a real AF_UNIX datagram
 * listener standing in for systemd, the real control socket.
 *   (a) sd_notify: READY=1 once the app serves (or once a failed first build leaves hotwatch waiting),
 *       STATUS= naming the serving pid, WATCHDOG=1 pings, STOPPING=1 on SIGTERM;
 *   (b) `hotwatch status --json` / `--check` and /metrics after a good build, a failed build, in a crash loop;
 *   (c) a watch loss shows in /status and in the metrics' losses.
 */
import fs from 'node:fs';
import http from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { BIN, freePort, goMain, runCli, startHotwatch, writeGoApp, type Hotwatch } from '../helpers/hotwatch.js';
import { startNotifyReceiver, type NotifyReceiver } from '../helpers/notify-receiver.js';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.js';
import { waitFor } from '../helpers/wait.js';
import type { StatusSnapshot } from '../../src/service/status.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function project(setup: (dir: string) => void = (dir) => writeGoApp(dir, 'v1')) {
  const tmp = makeTmpDir('hotwatch-service-');
  cleanups.push(tmp.cleanup);
  setup(tmp.dir);
  return tmp.dir;
}

function start(dir: string, env: NodeJS.ProcessEnv): Hotwatch {
  const hw = startHotwatch([], { cwd: dir, env, waitTimeoutMs: 60_000 });
  cleanups.push(() => hw.stop());
  return hw;
}

async function receiver(dir: string): Promise<NotifyReceiver> {
  const r = await startNotifyReceiver(path.join(dir, 'notify.sock'));
  cleanups.push(() => r.close());
  return r;
}

const statusLines = (r: NotifyReceiver) => r.received.flatMap((d) => d.lines.filter((l) => l.startsWith('STATUS=')));

async function status(dir: string, ...flags: string[]) {
  return runCli(['status', ...flags], { cwd: dir, env: { ...process.env }, timeoutMs: 20_000 });
}

async function statusJson(dir: string): Promise<StatusSnapshot> {
  const r = await status(dir, '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusSnapshot;
}

function metrics(dir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: path.join(dir, '.hotwatch', 'control.sock'), path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET /metrics: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
  });
}

const BROKEN = 'package main\n\nfunc main() {\n\tundefinedThing()\n}\n';

const CRASHER = `package main

import "os"

func main() { os.Exit(3) }
`;

describe('service mode in hotwatch run (e2e)', () => {
  it('sd_notify: READY=1 once serving, STATUS= names the pid, WATCHDOG=1 pings, STOPPING=1 on SIGTERM', async () => {
    const dir = project();
    const r = await receiver(dir);
    const port = await freePort();
    const hw = start(dir, { PORT: String(port), NOTIFY_SOCKET: r.address, WATCHDOG_USEC: '400000' });
    const listening = await hw.waitForLog((l) => l.event === 'app.listening', 'the app listens');
    const pid = Number(listening.pid);
    const ready = await r.waitForLine('READY=1', { timeoutMs: 30_000 });
    // Without run.port the app serves once it runs; the address it listens on follows in STATUS=.
    expect(r.received[ready]!.lines.find((l) => l.startsWith('STATUS='))).toMatch(new RegExp(`^STATUS=serving pid ${pid}\\b`));
    await waitFor(() => statusLines(r).some((l) => l.startsWith(`STATUS=serving pid ${pid} on :${port}; last build ok in`)), {
      description: `STATUS= with the address (got ${JSON.stringify(statusLines(r))})`,
      timeoutMs: 10_000,
    });
    expect(r.received[ready]!.lines).toContain(`MAINPID=${hw.pid}`);
    // Nothing from the app: its environment held no NOTIFY_SOCKET.
    expect(r.received.every((d) => d.pid === -1 || d.pid !== pid)).toBe(true);
    await waitFor(() => r.received.filter((d) => d.lines.includes('WATCHDOG=1')).length >= 3, {
      description: '3 watchdog pings',
      timeoutMs: 10_000,
    });
    expect((await hw.stop('SIGTERM')).code).toBe(0);
    await r.waitForLine('STOPPING=1');
  }, 90_000);

  it('sd_notify: READY=1 waits for the watches too (the first build runs while they are armed, and may serve first)', async () => {
    const dir = project();
    const r = await receiver(dir);
    const port = await freePort();
    const gate = path.join(dir, '..', `${path.basename(dir)}.arm`);
    cleanups.push(() => fs.rmSync(gate, { force: true }));
    const hw = start(dir, { PORT: String(port), NOTIFY_SOCKET: r.address, HOTWATCH_TEST_FAULTS: '', HOTWATCH_TEST_ARMING_GATE: gate });
    await hw.waitForLog((l) => l.event === 'app.listening', 'the app serves while nothing is armed yet');
    await new Promise((res) => setTimeout(res, 1000));
    expect(hw.events('watch.ready'), 'arming is still held back').toEqual([]);
    expect(
      r.received.some((d) => d.lines.includes('READY=1')),
      'no READY=1 before the watches are armed',
    ).toBe(false);
    // Serving, but not "watch ok": an edit now would only be caught once the arming ends.
    await waitFor(() => statusLines(r).some((l) => /^STATUS=serving pid \d+.*; watch arming: root /.test(l)), {
      description: `STATUS= says the watch is arming (got ${JSON.stringify(statusLines(r))})`,
      timeoutMs: 10_000,
    });
    expect(
      statusLines(r).some((l) => l.includes('watch ok')),
      'no "watch ok" before the watches are armed',
    ).toBe(false);
    fs.writeFileSync(gate, '');
    await hw.waitForLog((l) => l.event === 'watch.ready', 'watching is ready');
    await r.waitForLine('READY=1', { timeoutMs: 30_000 });
    await waitFor(() => statusLines(r).at(-1)?.includes('watch ok') === true, {
      description: `STATUS= says "watch ok" once armed (got ${JSON.stringify(statusLines(r))})`,
      timeoutMs: 10_000,
    });
  }, 90_000);

  it('sd_notify: READY=1 after a failed first build too (hotwatch is up, waiting for a fix)', async () => {
    const dir = project((d) => {
      writeGoApp(d, 'v1');
      fs.writeFileSync(path.join(d, 'main.go'), BROKEN);
    });
    const r = await receiver(dir);
    const hw = start(dir, { NOTIFY_SOCKET: r.address });
    await hw.waitForLog((l) => l.event === 'build.failed', 'the build fails');
    const ready = await r.waitForLine('READY=1', { timeoutMs: 30_000 });
    expect(r.received[ready]!.lines.find((l) => l.startsWith('STATUS='))).toMatch(/not serving: the last build failed/);
    // A fix serves: the STATUS= line says so.
    fs.writeFileSync(path.join(dir, 'main.go'), goMain('v2'));
    const port = await hw.waitForLog((l) => l.event === 'app.listening', 'the fix serves');
    await waitFor(() => statusLines(r).some((l) => l.startsWith(`STATUS=serving pid ${port.pid}`)), {
      description: `STATUS= serving (got ${JSON.stringify(statusLines(r))})`,
      timeoutMs: 10_000,
    });
  }, 90_000);

  it('hotwatch status --json/--check and /metrics: a good build, then a failed one', async () => {
    const dir = project();
    const port = await freePort();
    const hw = start(dir, { PORT: String(port) });
    const listening = await hw.waitForLog((l) => l.event === 'app.listening', 'the app listens');
    await waitFor(async () => (await status(dir, '--check')).code === 0, { description: 'status --check exits 0', timeoutMs: 10_000 });
    const ok = await statusJson(dir);
    expect(ok.state.name).toBe('running');
    expect(ok.app?.pid).toBe(listening.pid);
    expect(ok.lastBuild?.outcome).toBe('ok');
    expect(ok.lastBuild?.durationMs).toBeGreaterThan(0);
    expect(ok.health.ok).toBe(true);

    // An edit: timed from its first write to the new app listening.
    fs.writeFileSync(path.join(dir, 'main.go'), goMain('v2'));
    const v2 = await hw.waitForLog((l) => l.event === 'app.listening' && l.pid !== listening.pid, 'the edit serves');
    const edited = parsePrometheusText(await metrics(dir));
    expect(sampleValue(edited, 'hotwatch_edit_to_serving_seconds_count')).toBe(1);

    fs.writeFileSync(path.join(dir, 'main.go'), BROKEN);
    await hw.waitForLog((l) => l.event === 'build.failed', 'the build fails');
    const failed = await statusJson(dir);
    expect(failed.lastBuild?.outcome).toBe('failed');
    expect(failed.lastBuild?.errors.join('\n')).toMatch(/main\.go:4:\d+: undefined: undefinedThing/);
    // build.onFailure: keep-running: the last good app still serves.
    expect(failed.app?.pid).toBe(v2.pid);
    expect(failed.builds).toMatchObject({ ok: 2, failed: 1 });

    const fams = parsePrometheusText(await metrics(dir));
    expect(sampleValue(fams, 'hotwatch_builds_total', { outcome: 'ok' })).toBe(2);
    expect(sampleValue(fams, 'hotwatch_builds_total', { outcome: 'failed' })).toBe(1);
    expect(sampleValue(fams, 'hotwatch_app_serving')).toBe(1);

    // A file planted with a terminal escape and a bidi override in its name: status shows their escapes, never
    // live sequences (this one would clear the screen and reorder the line).
    fs.writeFileSync(path.join(dir, 'main.go'), goMain('v3'));
    const planted = path.join(dir, 'x\u001b[2J\u202eog.go');
    fs.writeFileSync(planted, 'package main\n\nvar broken =\n');
    await hw.waitForLog((l) => l.event === 'build.failed' && String(l.output).includes('\u202e'), 'the planted file fails the build');
    const shown = (await status(dir)).stdout;
    expect(shown).toContain('x\\x1b[2J\\u202eog.go');
    expect(shown).not.toMatch(/[\u001b\u202e]/);
  }, 90_000);

  it('a failed build reverted (the file back as the app runs it): status and STATUS= drop the failure, as the overlay does', async () => {
    const dir = project();
    const r = await receiver(dir);
    const port = await freePort();
    const hw = start(dir, { PORT: String(port), NOTIFY_SOCKET: r.address });
    const listening = await hw.waitForLog((l) => l.event === 'app.listening', 'the app listens');
    await r.waitForLine('READY=1', { timeoutMs: 30_000 });
    const main = path.join(dir, 'main.go');
    const original = fs.readFileSync(main);
    fs.writeFileSync(main, `${original}\nthis is not go\n`);
    await hw.waitForLog((l) => l.event === 'build.failed', 'the broken file fails to build');
    await waitFor(() => statusLines(r).at(-1)?.includes('last build failed') === true, {
      description: `STATUS= says the build failed (got ${JSON.stringify(statusLines(r))})`,
      timeoutMs: 10_000,
    });
    // The build line's error lines (the events keep the history, with its time).
    const errorLine = /^ {11}main\.go:\d+:\d+: syntax error/m;
    expect((await status(dir)).stdout).toMatch(errorLine);

    fs.writeFileSync(main, original);
    const back = await hw.waitForLog((l) => l.event === 'build.reverted', 'the file is back to what the app runs');
    expect(back).toMatchObject({ pid: listening.pid, afterFailure: true });
    await waitFor(() => statusLines(r).at(-1)?.includes('the failed build no longer applies') === true, {
      description: `STATUS= drops the failure (got ${JSON.stringify(statusLines(r))})`,
      timeoutMs: 10_000,
    });
    expect(statusLines(r).at(-1)).toMatch(new RegExp(`^STATUS=serving pid ${listening.pid} on :${port}; sources back to what it runs`));
    const json = await statusJson(dir);
    expect(json.lastBuild).toMatchObject({ outcome: 'failed', clearedAt: expect.any(Number) });
    expect(json.app?.pid).toBe(listening.pid);
    expect(json.health.ok).toBe(true);
    const text = (await status(dir)).stdout;
    expect(text).toMatch(/^build {4}sources back to what the app runs .* ago: the failed build \(.* ago\) no longer applies/m);
    expect(text).not.toMatch(errorLine);
    expect(text).not.toMatch(/last failed/);
    expect(text).toContain('the failed build no longer applies: the files are back to what the app');
    // The news stays true after a config reload (nothing rebuilds: the same app runs).
    const mark = hw.logs.length;
    const reload = await runCli(['reload'], { cwd: dir, timeoutMs: 20_000 });
    expect(reload.code, reload.stderr).toBe(0);
    await hw.waitForLog((l) => l.event === 'config.reloaded', 'the reload is done', { from: mark });
    expect((await status(dir)).stdout).not.toMatch(errorLine);
    expect(statusLines(r).at(-1)).not.toContain('last build failed');
  }, 90_000);

  it('a crash loop (run.onCrash: restart): the crash-loop line, --check exits 1, restarts counted', async () => {
    const dir = project((d) => {
      fs.writeFileSync(path.join(d, 'go.mod'), 'module example.com/crash\n\ngo 1.22\n');
      fs.writeFileSync(path.join(d, 'main.go'), CRASHER);
      fs.writeFileSync(path.join(d, 'watcher.config.yaml'), 'run:\n  onCrash: restart\n  backoffInitial: 100ms\n  backoffMax: 400ms\n');
    });
    const hw = start(dir, {});
    await hw.waitForLog(() => hw.events('app.exit').length >= 5, 'five exits');
    const check = await status(dir, '--check');
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toMatch(/crash loop: \d+ exits in \d+ s/);
    const s = await statusJson(dir);
    expect(s.crashLoop).not.toBeNull();
    expect(s.restarts).toBeGreaterThanOrEqual(4);
    const fams = parsePrometheusText(await metrics(dir));
    expect(sampleValue(fams, 'hotwatch_app_restarts_total', { reason: 'crash' })).toBeGreaterThanOrEqual(4);
    expect(sampleValue(fams, 'hotwatch_app_exits_total', { kind: 'crash' })).toBeGreaterThanOrEqual(5);
  }, 90_000);

  it('an app that closes its listener and keeps running: --check exits 1, status says it no longer listens', async () => {
    const dir = project((d) => {
      fs.writeFileSync(path.join(d, 'go.mod'), 'module example.com/closes\n\ngo 1.22\n');
      fs.writeFileSync(
        path.join(d, 'main.go'),
        `package main

import (
	"net"
	"os"
	"path/filepath"
	"time"
)

func main() {
	l, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		panic(err)
	}
	// Listens until told to stop (a file appears), then keeps running without a listener.
	for {
		if _, err := os.Stat(filepath.Join(os.Getenv("MARKS"), "close")); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	l.Close()
	select {}
}
`,
      );
    });
    const port = await freePort();
    start(dir, { PORT: String(port), MARKS: dir });
    await waitFor(async () => (await status(dir, '--check')).code === 0, { description: 'serving first', timeoutMs: 60_000 });
    fs.writeFileSync(path.join(dir, 'close'), '');
    await waitFor(async () => (await status(dir, '--check')).code === 1, {
      description: '--check sees the listener gone',
      timeoutMs: 20_000,
    });
    const s = await statusJson(dir);
    expect(s.health.serving).toBe(false);
    expect(s.health.why).toMatch(new RegExp(`no longer listens \\(it listened on :${port}\\); it still runs`));
    expect(s.app?.listening).toEqual([]);
  }, 90_000);

  it('the status socket removed (git clean -fdx): status says a hotwatch runs (pid), its socket coming back, not that none runs', async () => {
    const dir = project();
    const port = await freePort();
    const hw = start(dir, { PORT: String(port) });
    await waitFor(async () => (await status(dir, '--check')).code === 0, { description: 'serving', timeoutMs: 60_000 });
    fs.rmSync(path.join(dir, '.hotwatch'), { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    const gone = await status(dir, '--check');
    expect(gone.code, gone.stderr).toBe(1);
    expect(gone.stderr).toContain(`a hotwatch runs in ${dir} (pid ${hw.pid}), but its status socket is gone`);
    await waitFor(async () => (await status(dir, '--check')).code === 0, { description: 'the socket placed again', timeoutMs: 40_000 });
    // So is the state file, which names the app for the next run if this one is killed (SIGKILL, OOM).
    const file = path.join(dir, '.hotwatch', 'state.json');
    await waitFor(() => fs.existsSync(file), { description: 'state.json written again', timeoutMs: 10_000 });
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { hotwatch: { pid: number }; app?: unknown };
    expect(state.hotwatch.pid).toBe(hw.pid);
    expect(state.app).toBeDefined();
  }, 90_000);

  it('a FIFO planted at control.sock: the run refuses it, status names it with the fix, and once removed the socket is placed', async () => {
    const dir = project();
    fs.mkdirSync(path.join(dir, '.hotwatch'), { mode: 0o700 });
    const sock = path.join(dir, '.hotwatch', 'control.sock');
    spawnSync('mkfifo', [sock]);
    const port = await freePort();
    const hw = start(dir, { PORT: String(port) });
    const refused = await hw.waitForLog((l) => l.event === 'service.control-unavailable', 'the planted FIFO is refused');
    expect(refused.msg).toContain('is a FIFO, not a control socket of this user: refusing to replace or follow it');
    const planted = await status(dir, '--check');
    expect(planted.code, planted.stderr).toBe(1);
    expect(planted.stderr).toContain(
      `a hotwatch runs in ${dir} (pid ${hw.pid}), but ${sock} is a FIFO, not its status socket: it will not replace or follow that; remove it (rm -r ${sock}) and it places its socket within 15 s`,
    );
    fs.rmSync(sock); // the fix it names
    await hw.waitForLog((l) => l.event === 'service.control-placed', 'the socket placed once the FIFO is gone', { timeoutMs: 40_000 });
    await waitFor(async () => (await status(dir, '--check')).code === 0, { description: 'status answers', timeoutMs: 40_000 });
  }, 120_000);

  it('a stopped hotwatch (SIGSTOP, Ctrl-Z): status --check and reload say so at once (exit 1), not a 2-minute wait then "none runs"', async () => {
    const dir = project();
    const port = await freePort();
    const hw = start(dir, { PORT: String(port) });
    await waitFor(async () => (await status(dir, '--check')).code === 0, { description: 'serving', timeoutMs: 60_000 });
    process.kill(hw.pid, 'SIGSTOP');
    try {
      const said = `a hotwatch runs in ${dir} (pid ${hw.pid}), but it is stopped (Ctrl-Z, or SIGSTOP): it answers once continued (fg in its shell, or kill -CONT ${hw.pid})`;
      const t0 = Date.now();
      const st = await status(dir, '--check');
      expect(st.code, st.stderr).toBe(1);
      expect(st.stderr).toContain(said);
      const reload = await runCli(['reload'], { cwd: dir, env: { ...process.env }, timeoutMs: 20_000 });
      expect(reload.code, reload.stderr).toBe(1);
      expect(reload.stderr).toContain(said);
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      process.kill(hw.pid, 'SIGCONT');
    }
    await waitFor(async () => (await status(dir, '--check')).code === 0, { description: 'answers once continued', timeoutMs: 30_000 });
  }, 120_000);

  it('a watch loss (deafen-after) shows in /status and in the metrics losses', async () => {
    const dir = project();
    const port = await freePort();
    const hw = start(dir, { PORT: String(port), HOTWATCH_TEST_FAULTS: 'deafen-after=2s' });
    await hw.waitForLog((l) => l.event === 'app.listening', 'the app listens');
    await hw.waitForLog((l) => l.event === 'watch.deaf', 'the loss is found');
    await hw.waitForLog((l) => l.event === 'watch.rearmed', 'the watches are re-armed');
    const s = await statusJson(dir);
    const events = s.recentEvents.map((e) => JSON.stringify(e));
    expect(events.join('\n')).toMatch(/watch lost/);
    expect(events.join('\n')).toMatch(/watch recovered/);
    expect(s.watch.healthy).toBe(true);
    const fams = parsePrometheusText(await metrics(dir));
    const losses = fams.get('hotwatch_watch_losses_total')!.samples.reduce((n, x) => n + x.value, 0);
    expect(losses).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it('re-arming fails (rearm-fails): the fallback to polling shows in /status and the metrics, and the pings go on (polling works)', async () => {
    const dir = project((d) => {
      writeGoApp(d, 'v1');
      fs.writeFileSync(path.join(d, 'watcher.config.yaml'), 'watchdog:\n  interval: 1s\n  auditInterval: 2s\n');
    });
    const r = await receiver(dir);
    const port = await freePort();
    const env = {
      PORT: String(port),
      NOTIFY_SOCKET: r.address,
      WATCHDOG_USEC: '400000',
      HOTWATCH_TEST_FAULTS: 'deafen-after=2s,rearm-fails=3',
    };
    const hw = start(dir, env);
    await hw.waitForLog((l) => l.event === 'watch.deaf', 'the loss is found');
    const fallback = await hw.waitForLog((l) => l.event === 'watch.fallback' && l.backend === 'poll', 'the fallback to polling');
    const s = await statusJson(dir);
    if (!hw.logs.slice(hw.logs.indexOf(fallback)).some((l) => l.event === 'watch.restored')) {
      expect(s.watch.scopes.map((x) => x.state)).toContain('polling');
      expect(s.watch.backend).toMatch(/poll/);
    }
    expect(s.watch.healthy).toBe(true);
    const fams = parsePrometheusText(await metrics(dir));
    expect(
      sampleValue(fams, 'hotwatch_watch_recoveries_total', {
        scope: String(fallback.scope),
        cause: String(fallback.reason),
        how: 'polling',
      }),
    ).toBe(1);
    const pingsAfter = r.received.length;
    await r.waitForLine('WATCHDOG=1', { from: pingsAfter });
    await hw.waitForLog((l) => l.event === 'watch.restored', 'native watching restored');
    await waitFor(async () => (await statusJson(dir)).watch.scopes.every((x) => x.state === 'ok'), {
      description: '/status: every scope ok again',
      timeoutMs: 5_000,
    });
  }, 90_000);

  it('under systemd (INVOCATION_ID, stderr not a terminal): <N> level prefixes, no time, no colours', async () => {
    const dir = project((d) => {
      writeGoApp(d, 'v1');
      fs.writeFileSync(path.join(d, 'main.go'), BROKEN);
    });
    const { JOURNAL_STREAM: _, ...env } = process.env;
    const p = spawn(process.execPath, [BIN, 'run', '--log-format', 'pretty'], {
      cwd: dir,
      env: { ...env, INVOCATION_ID: 'e2e', FORCE_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    cleanups.push(() => p.kill('SIGKILL'));
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(() => /^<3>.*BUILD FAILED/m.test(err), { description: `a <3> BUILD FAILED line (got ${err})`, timeoutMs: 30_000 });
    const lines = err.split('\n').filter(Boolean);
    expect(lines.some((l) => l.startsWith('<6>'))).toBe(true);
    // Every line carries its level (journald makes each line an entry), the compiler's too.
    expect(lines.filter((l) => !/^<[2-7]>/.test(l))).toEqual([]);
    expect(err).not.toMatch(/\x1b\[/);
    expect(err).not.toMatch(/^<\d>\[?\d\d:\d\d:\d\d/m);
    p.kill('SIGTERM');
    expect(await new Promise((r) => p.on('exit', r))).toBe(0);
  }, 60_000);
});
