/**
 * The control endpoint with real sockets: who can connect (another uid cannot, by the socket's mode), what
 * is never followed or clobbered, what /status and /metrics say after simulated events, and how
 * `hotwatch status --check` exits.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServiceMode, type ServiceMode } from '../../src/service/service-mode.js';
import { startControlServer } from '../../src/service/control-server.js';
import type { StatusSnapshot } from '../../src/service/status.js';
import { statusCommand } from '../../src/cli/status.js';
import { FakeStatusSource } from '../helpers/fake-status-source.js';
import { parsePrometheusText, sampleValue, type Family } from '../helpers/prom-text.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/hotwatch.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const quiet = { info: () => {}, warn: () => {} };

async function start(opts: { root?: string; reload?: () => Promise<{ ok: boolean; message: string }>; tcp?: { port: number } } = {}) {
  let root = opts.root;
  if (!root) {
    const tmp = makeTmpDir('hotwatch-control-');
    cleanups.push(tmp.cleanup);
    root = tmp.dir;
  }
  const source = new FakeStatusSource();
  source.watchView.scopes[0]!.path = root;
  const ac = new AbortController();
  const svc: ServiceMode = await startServiceMode({ root, version: '0.1.0', source, signal: ac.signal, log: quiet, env: {}, ...opts });
  cleanups.push(() => svc.close());
  return { root, source, svc, sock: path.join(root, '.hotwatch', 'control.sock') };
}

function request(socketPath: string, method: string, urlPath: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: urlPath, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Connects to `sock` as uid/gid 65534 (nobody) with no supplementary groups; the error code, or "connected". */
function connectAsNobody(sock: string): string {
  const script = `require('net').createConnection(${JSON.stringify(sock)}).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); });`;
  return execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script], {
    encoding: 'utf8',
  }).trim();
}

async function check(root: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, cwd: root } as never;
  const code = await statusCommand(['--check', '--root', root], io);
  return { code, out, err };
}

/** /status after the scenario of the test below. */
function expectStatus(status: StatusSnapshot, root: string): void {
  expect(status).toMatchObject({
    schema: 1,
    hotwatch: { pid: process.pid, root, version: '0.1.0' },
    state: { name: 'running' },
    app: { pid: 6000, listening: ['127.0.0.1:8080'], serving: true },
    lastBuild: { outcome: 'failed', durationMs: 300, errors: ['./main.go:7:2: undefined: fmtx', './main.go:9:1: missing return'] },
    builds: { ok: 1, failed: 1, canceled: 0, runningSince: null },
    restarts: 3,
    lastExit: { pid: 5002, code: 2, expected: false, how: 'code 2' },
    watch: { backend: 'native', watches: 12, healthy: true },
    health: { ok: true, serving: true, watchHealthy: true },
  });
  expect(status.recentEvents.map((e) => e.event)).toEqual(
    expect.arrayContaining(['build.ok', 'build.failed', 'app.crashed', 'watch.lost', 'watch.recovered']),
  );
}

/** /metrics after the same scenario, parsed strictly. */
function expectMetrics(f: Map<string, Family>, root: string): void {
  expect(sampleValue(f, 'hotwatch_builds_total', { outcome: 'ok' })).toBe(1);
  expect(sampleValue(f, 'hotwatch_builds_total', { outcome: 'failed' })).toBe(1);
  expect(sampleValue(f, 'hotwatch_build_duration_seconds_count', { outcome: 'ok' })).toBe(1);
  expect(sampleValue(f, 'hotwatch_build_duration_seconds_bucket', { outcome: 'ok', le: '1' })).toBe(1);
  expect(sampleValue(f, 'hotwatch_build_duration_seconds_bucket', { outcome: 'ok', le: '0.5' })).toBe(0);
  expect(sampleValue(f, 'hotwatch_app_restarts_total', { reason: 'crash' })).toBe(2);
  expect(sampleValue(f, 'hotwatch_app_restarts_total', { reason: 'build' })).toBe(1);
  expect(sampleValue(f, 'hotwatch_app_exits_total', { kind: 'crash' })).toBe(3);
  expect(sampleValue(f, 'hotwatch_watch_losses_total', { scope: 'root', cause: 'sentinel-timeout' })).toBe(1);
  expect(sampleValue(f, 'hotwatch_watch_recoveries_total', { scope: 'root', cause: 'sentinel-timeout', how: 'rearmed' })).toBe(1);
  expect(sampleValue(f, 'hotwatch_events_dropped_total', { reason: 'ring-overflow' })).toBe(3);
  expect(sampleValue(f, 'hotwatch_events_coalesced_total')).toBe(7);
  expect(sampleValue(f, 'hotwatch_edit_to_serving_seconds_sum')).toBeCloseTo(0.64);
  expect(sampleValue(f, 'hotwatch_app_serving')).toBe(1);
  expect(sampleValue(f, 'hotwatch_watch_healthy')).toBe(1);
  expect(sampleValue(f, 'hotwatch_inotify_watches')).toBe(12);
  expect(sampleValue(f, 'hotwatch_watch_scope_healthy', { kind: 'root', path: root, state: 'ok' })).toBe(1);
  expect(f.get('hotwatch_builds_total')).toMatchObject({ type: 'counter', help: expect.stringContaining('by outcome') });
}

describe('the control socket', () => {
  it('is a 0600 socket of ours; another user is refused by its mode (and let in when the mode allows, so the refusal is the mode)', async () => {
    const { root, sock } = await start();
    const st = fs.lstatSync(sock);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(process.geteuid!());
    // Let nobody walk to the socket, so the socket's own mode is the only thing in the way.
    fs.chmodSync(root, 0o755);
    fs.chmodSync(path.dirname(sock), 0o711);
    expect(connectAsNobody(sock)).toBe('EACCES');
    fs.chmodSync(sock, 0o666);
    expect(connectAsNobody(sock)).toBe('connected');
    fs.chmodSync(sock, 0o600);
    expect(connectAsNobody(sock)).toBe('EACCES');
    expect((await request(sock, 'GET', '/status')).status).toBe(200);
  });

  it('follows no planted symlink, clobbers no file, replaces only a stale socket of ours, refuses a live one', async () => {
    const tmp = makeTmpDir('hotwatch-control-');
    cleanups.push(tmp.cleanup);
    const root = path.join(tmp.dir, 'repo');
    fs.mkdirSync(path.join(root, '.hotwatch'), { recursive: true, mode: 0o700 });
    const sock = path.join(root, '.hotwatch', 'control.sock');
    const target = path.join(tmp.dir, 'elsewhere.sock');
    const base = { root, status: () => ({}) as never, metrics: async () => ({ contentType: 'text/plain', body: '' }) };

    fs.symlinkSync(target, sock);
    await expect(startControlServer(base)).rejects.toThrow(/control\.sock is a symlink.*refusing/);
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.lstatSync(sock).isSymbolicLink()).toBe(true);
    fs.unlinkSync(sock);

    fs.writeFileSync(sock, 'mine');
    await expect(startControlServer(base)).rejects.toThrow(/is a file/);
    expect(fs.readFileSync(sock, 'utf8')).toBe('mine');
    fs.unlinkSync(sock);

    // A socket left by a process that died (python does not remove it): replaced.
    execFileSync('python3', ['-c', `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(sock)})`]);
    expect(fs.lstatSync(sock).isSocket()).toBe(true);
    const first = await startControlServer(base);
    cleanups.push(() => first.close());
    await expect(startControlServer(base)).rejects.toThrow(/answers: another hotwatch/);

    // .hotwatch itself swapped for a symlink: refused before anything is created through it.
    const other = path.join(tmp.dir, 'other-root');
    fs.mkdirSync(other);
    fs.symlinkSync(path.join(tmp.dir, 'planted'), path.join(other, '.hotwatch'));
    fs.mkdirSync(path.join(tmp.dir, 'planted'));
    await expect(startControlServer({ ...base, root: other })).rejects.toThrow(/symlink/);
    expect(fs.readdirSync(path.join(tmp.dir, 'planted'))).toEqual([]);
  });

  it('works under a root deeper than a socket path may be long (107 bytes)', async () => {
    const tmp = makeTmpDir('hotwatch-control-');
    cleanups.push(tmp.cleanup);
    const root = path.join(tmp.dir, 'a-rather-long-directory-name-'.repeat(5));
    fs.mkdirSync(root);
    expect(path.join(root, '.hotwatch/control.sock').length).toBeGreaterThan(107);
    const { source } = await start({ root });
    source.set({ state: 'running', app: { pid: 4242, startedAt: Date.now(), listening: ['127.0.0.1:8080'] } });
    expect(await check(root)).toMatchObject({ code: 0, out: 'ok: serving on 127.0.0.1:8080, watch healthy\n' });
  });
});

describe('status and metrics after simulated events', () => {
  it('reports builds, a crash loop and a watch loss in /status and /metrics, and --check flips', async () => {
    const { root, source, svc, sock } = await start();
    const r = svc.recorder;
    expect(await check(root)).toMatchObject({ code: 1, out: expect.stringMatching(/^not serving yet: starting for \d+ s\n$/) });

    r.buildStarted();
    r.buildFinished({ outcome: 'ok', durationMs: 812 });
    r.appStarted({ pid: 4242, reason: 'initial' });
    source.set({ state: 'running', app: { pid: 4242, startedAt: Date.now(), listening: [] } });
    expect(await check(root)).toMatchObject({ code: 1, out: expect.stringContaining('the app (pid 4242) is not listening yet') });
    r.appListening({ pid: 4242, address: '127.0.0.1:8080' });
    source.set({ app: { pid: 4242, startedAt: Date.now(), listening: ['127.0.0.1:8080'] } });
    r.editToServing(640);
    expect(await check(root)).toMatchObject({ code: 0 });

    r.buildFinished({ outcome: 'failed', durationMs: 300, errors: ['./main.go:7:2: undefined: fmtx', './main.go:9:1: missing return'] });
    r.appExited({ pid: 4242, code: 0, signal: 'SIGTERM', uptimeMs: 5000, expected: true });
    source.set({ state: 'build-failed', app: undefined });
    expect(await check(root)).toMatchObject({
      code: 1,
      out: 'not serving: the last build failed (2 error lines); fix the code and save\n',
    });

    // Three crashes within 20 s, restarting with backoff: a crash loop, said with the next try (the files put
    // back before them: the failure no longer applies, the app runs the newest code).
    const now = Date.now();
    r.buildFailureCleared({ pid: 4999, at: now - 25_000 });
    for (const [i, ago] of [20_000, 12_000, 2_000].entries()) {
      r.appStarted({ pid: 5000 + i, reason: i === 0 ? 'build' : 'crash', at: now - ago - 1000 });
      r.appExited({ pid: 5000 + i, code: 2, signal: null, uptimeMs: 1000, expected: false, at: now - ago });
    }
    source.set({ state: 'backoff', nextTryAt: now + 8_000 });
    const loop = await check(root);
    expect(loop.code).toBe(1);
    expect(loop.out).toMatch(/^not serving: crash loop: 3 exits in 18 s, next try in [78] s\n$/);

    // Restarted after the loop, it stayed up 12 s: serving again (until then the loop holds it back).
    source.set({ state: 'running', app: { pid: 6000, startedAt: Date.now() - 2_000, listening: ['127.0.0.1:8080'] } });
    expect((await check(root)).out).toMatch(/^not serving: crash loop: 3 exits in 18 s; the app \(pid 6000\) restarted 2 s ago\n$/);
    source.set({ app: { pid: 6000, startedAt: Date.now() - 12_000, listening: ['127.0.0.1:8080'] } });
    r.watchLost({ scope: 'root', cause: 'sentinel-timeout', path: root });
    source.scope('deaf', 'sentinel-timeout');
    expect(await check(root)).toMatchObject({
      code: 1,
      out: expect.stringMatching(new RegExp(`^watch unhealthy: root ${root} deaf, recovering \\(sentinel-timeout\\) for \\d+ s\\n$`)),
    });
    r.watchRecovered({ scope: 'root', cause: 'sentinel-timeout', how: 'rearmed', recoveryMs: 95 });
    source.scope('ok');
    expect(await check(root)).toMatchObject({ code: 0 });
    r.eventsDropped({ count: 3, reason: 'ring-overflow' });
    r.eventsCoalesced(7);

    expectStatus(JSON.parse((await request(sock, 'GET', '/status')).body), root);
    const m = await request(sock, 'GET', '/metrics');
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expectMetrics(parsePrometheusText(m.body), root);
  });

  it('POST /reload calls the hook over the unix socket only; the TCP port is loopback-only and read-only', async () => {
    let reloads = 0;
    const { sock, svc } = await start({ reload: async () => ({ ok: true, message: `reloaded ${++reloads}` }), tcp: { port: 0 } });
    expect(await request(sock, 'POST', '/reload')).toMatchObject({ status: 200, body: expect.stringContaining('reloaded 1') });
    expect((await request(sock, 'GET', '/reload')).status).toBe(405);
    expect((await request(sock, 'GET', '/nope')).status).toBe(404);
    const tcp = svc.control!.tcpAddress!;
    expect(tcp).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await fetch(`http://${tcp}/reload`, { method: 'POST' })).status).toBe(403);
    expect(reloads).toBe(1);
    expect(JSON.parse(await (await fetch(`http://${tcp}/status`)).text())).toMatchObject({ schema: 1 });
    expect(parsePrometheusText(await (await fetch(`http://${tcp}/metrics`)).text()).has('hotwatch_builds_total')).toBe(true);

    const bare = await start();
    expect((await request(bare.sock, 'POST', '/reload')).status).toBe(501);
    const tmp = makeTmpDir('hotwatch-control-');
    cleanups.push(tmp.cleanup);
    await expect(
      startControlServer({
        root: tmp.dir,
        status: () => ({}) as never,
        metrics: async () => ({ contentType: '', body: '' }),
        tcp: { port: 0, host: '0.0.0.0' },
      }),
    ).rejects.toThrow(/not a loopback address/);
    // The unix socket it had bound is gone again.
    expect(fs.existsSync(path.join(tmp.dir, '.hotwatch', 'control.sock'))).toBe(false);
  });

  it('`hotwatch status` (the built CLI): exit 2 where no hotwatch runs, 0/1 by health with --check, JSON with --json', async () => {
    const tmp = makeTmpDir('hotwatch-control-');
    cleanups.push(tmp.cleanup);
    // Never spawnSync here: the server answering lives in this process's event loop.
    const none = await runCli(['status', '--check', '--root', tmp.dir]);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(`hotwatch: no hotwatch runs in ${tmp.dir} (no .hotwatch/ there)\n`);

    const { root, source } = await start();
    const cli = (...args: string[]) => runCli(['status', ...args], { cwd: root });
    expect(await cli('--check')).toMatchObject({ code: 1 });
    source.set({ state: 'running', app: { pid: 4242, startedAt: Date.now() - 65_000, listening: ['127.0.0.1:8080'] } });
    expect(await cli('--check')).toMatchObject({ code: 0, stdout: 'ok: serving on 127.0.0.1:8080, watch healthy\n' });
    expect(JSON.parse((await cli('--json')).stdout)).toMatchObject({ app: { pid: 4242 } });
    const human = await cli();
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^app {6}pid 4242, serving on 127\.0\.0\.1:8080, up 1m0[56]s, 0 restarts$/m);
    // From a subdirectory, the running root is found upward.
    fs.mkdirSync(path.join(root, 'cmd', 'server'), { recursive: true });
    expect((await runCli(['status', '--check'], { cwd: path.join(root, 'cmd', 'server') })).code).toBe(0);
  });

  it('a socket whose file was removed (git clean -fdx took .hotwatch/) is placed again, and answers', async () => {
    const tmp = makeTmpDir('hotwatch-control-');
    cleanups.push(tmp.cleanup);
    const said: Array<{ socket: string; err?: unknown }> = [];
    const server = await startControlServer({
      root: tmp.dir,
      status: () => ({}) as never,
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      keepMs: 100,
      onPlacedAgain: (socket, err) => said.push({ socket, err }),
    });
    cleanups.push(() => server.close());
    const sock = path.join(tmp.dir, '.hotwatch', 'control.sock');
    expect((await request(sock, 'GET', '/status')).status).toBe(200);
    fs.rmSync(path.join(tmp.dir, '.hotwatch'), { recursive: true, force: true });
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(sock) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await request(sock, 'GET', '/status')).status).toBe(200);
    expect(said).toEqual([{ socket: sock }]);
    expect(fs.statSync(sock).mode & 0o777).toBe(0o600);
    await server.close();
    expect(fs.existsSync(sock)).toBe(false);
  });
});
