/**
 * Scenario 5: the proxy in front of the app (issue 16). A real Go app (test/fixtures/go/upstream) and
 * hotwatch's proxy each in a process of their own, measured from this one:
 *   a. added latency: one keep-alive client, requests alternating direct / through the proxy, p50/p99;
 *   b. restarts under load: 20 keep-alive clients (GET, and every 4th a POST whose echo is checked)
 *      while the app restarts N times, cycling through blue-green (new port, proven, switch, old stopped),
 *      stop-then-start on the same port (restarting() first) and a crash (SIGKILL, no word first):
 *      requests served, failures, p50/p99, and the longest any request waited.
 * HOTWATCH_BENCH_PROXY_CHILD=FILE measures another proxy speaking bench/children/proxy.mjs's protocol.
 */
import { execFileSync, fork } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { onCleanup, makeTmpDir, removeTmpDir } from '../lib/cleanup.mjs';
import { freePort } from '../lib/goapp.mjs';
import { startProcess } from '../lib/process.mjs';
import { median, percentile } from '../lib/stats.mjs';
import { REPO } from '../lib/subjects.mjs';
import { sleep, waitFor } from '../lib/wait.mjs';

const APP_SOURCE = path.join(REPO, 'test/fixtures/go/upstream');
const CHILD = process.env.HOTWATCH_BENCH_PROXY_CHILD ?? path.join(REPO, 'bench/children/proxy.mjs');

function get(port, agent, opts = {}) {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, agent, method: opts.method ?? 'GET', path: opts.path ?? '/' }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString(), ms: performance.now() - t0 }),
      );
    });
    req.setTimeout(15_000, () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

function startProxyChild() {
  const child = fork(CHILD, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const unregister = onCleanup(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const pending = new Map();
  let nextId = 0;
  const started = new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`proxy child exited (${code}): ${stderr}`)));
    child.on('message', (m) => {
      if (m.port) resolve(m.port);
      if (m.ack !== undefined) pending.get(m.ack)?.();
    });
  });
  const call = (op, arg) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ id, op, arg });
    });
  const close = async () => {
    await call('close');
    unregister();
  };
  return { started, call, stderr: () => stderr, close };
}

function startApp(bin, port, version) {
  const h = startProcess(bin, [], { env: { ...process.env, PORT: String(port), VERSION: version }, name: `app v${version}` });
  return { port, version, h };
}

async function serves(app) {
  const agent = new http.Agent({ keepAlive: false });
  await waitFor(async () => (await get(app.port, agent)).status === 200, {
    timeoutMs: 10_000,
    intervalMs: 2,
    description: `app v${app.version} serving`,
  });
}

/** a. One client, alternating direct and proxied requests on kept-alive connections. */
async function addedLatency(appPort, proxyPort, requests) {
  const direct = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const proxied = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const d = [];
  const p = [];
  for (let i = 0; i < requests + 200; i++) {
    const order = i % 2 === 0 ? ['d', 'p'] : ['p', 'd'];
    for (const which of order) {
      const r = which === 'd' ? await get(appPort, direct) : await get(proxyPort, proxied);
      if (i >= 200) (which === 'd' ? d : p).push(r.ms);
    }
  }
  direct.destroy();
  proxied.destroy();
  const pairs = d.map((x, i) => p[i] - x);
  return {
    requests,
    direct: { p50: median(d), p99: percentile(d, 99) },
    proxied: { p50: median(p), p99: percentile(p, 99) },
    addedP50: median(p) - median(d),
    addedP99: percentile(p, 99) - percentile(d, 99),
    pairedAddedMedian: median(pairs),
  };
}

/** b's clients: each loops over a kept-alive connection until stopped. */
function startLoad(port, clients) {
  const stats = { served: 0, failures: [], ms: [], byVersion: new Map() };
  let running = true;
  const one = async (c) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; running; i++) {
      const post = i % 4 === 3;
      const body = `client ${c} request ${i} `.repeat(40);
      try {
        const r = await get(port, agent, post ? { method: 'POST', path: '/echo', body } : {});
        const ok = r.status === 200 && (post ? r.text === body : /^v=\d+$/.test(r.text));
        if (!ok) stats.failures.push(`${post ? 'POST' : 'GET'} ${r.status}: ${r.text.slice(0, 120)}`);
        const version = post ? String(r.headers['x-version']) : r.text.slice(2);
        stats.byVersion.set(version, (stats.byVersion.get(version) ?? 0) + 1);
        stats.served++;
        stats.ms.push(r.ms);
      } catch (e) {
        stats.failures.push(`${post ? 'POST' : 'GET'}: ${e.message}`);
      }
    }
    agent.destroy();
  };
  const all = Promise.all(Array.from({ length: clients }, (_, c) => one(c)));
  const stop = async () => {
    running = false;
    await all;
  };
  return { stats, stop };
}

async function restartsUnderLoad(bin, proxy, proxyPort, first, { restarts, clients, perRound }) {
  let app = first;
  const load = startLoad(proxyPort, clients);
  const modes = { 'blue-green': 0, 'same-port': 0, crash: 0 };
  const t0 = performance.now();
  for (let i = 1; i <= restarts; i++) {
    const version = String(i);
    const mode = ['crash', 'blue-green', 'same-port'][i % 3];
    modes[mode]++;
    if (mode === 'blue-green') {
      const next = startApp(bin, await freePort(), version);
      await serves(next);
      await proxy.call('ready', { host: '127.0.0.1', port: next.port });
      await app.h.stop({ sig: 'SIGTERM' });
      app = next;
    } else {
      if (mode === 'same-port') await proxy.call('restarting', 'bench restart');
      await app.h.stop({ sig: mode === 'crash' ? 'SIGKILL' : 'SIGTERM' });
      app = startApp(bin, app.port, version);
      await serves(app);
      await proxy.call('ready', { host: '127.0.0.1', port: app.port });
    }
    await waitFor(() => (load.stats.byVersion.get(version) ?? 0) >= perRound, {
      timeoutMs: 20_000,
      description: `${perRound} answers from v${version}`,
    });
  }
  const seconds = (performance.now() - t0) / 1000;
  await load.stop();
  const s = load.stats;
  return {
    restarts,
    modes,
    clients,
    seconds,
    served: s.served,
    failures: s.failures.length,
    firstFailures: s.failures.slice(0, 5),
    p50: median(s.ms),
    p99: percentile(s.ms, 99),
    longestMs: Math.max(...s.ms),
    app,
  };
}

export async function proxyScenario({ requests, restarts, clients, say }) {
  const dir = makeTmpDir('proxy');
  const bin = path.join(dir, 'upstream');
  execFileSync('go', ['build', '-o', bin, '.'], { cwd: APP_SOURCE, timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const proxy = startProxyChild();
  try {
    const proxyPort = await proxy.started;
    const app = startApp(bin, await freePort(), '0');
    await serves(app);
    await proxy.call('ready', { host: '127.0.0.1', port: app.port });
    await sleep(100);
    say(`bench: proxy: added latency over ${requests} request pairs …`);
    const latency = await addedLatency(app.port, proxyPort, requests);
    say(`bench: proxy: ${restarts} restarts under ${clients} clients …`);
    const under = await restartsUnderLoad(bin, proxy, proxyPort, app, { restarts, clients, perRound: 200 });
    await under.app.h.stop({ sig: 'SIGTERM' });
    delete under.app;
    return { child: path.relative(REPO, CHILD), latency, restarts: under };
  } finally {
    await proxy.close().catch(() => undefined);
    removeTmpDir(dir);
  }
}
