#!/usr/bin/env node
// The watchdog's benchmark (issue 3), standalone: `node bench/watchdog.mjs [--quick] [--json FILE]`
// (after `npm run build`). Runs the BUILT CLI on a temp Go module, as a real process:
//   1. injected deafness (HOTWATCH_TEST_FAULTS=deafen-after): time to detect (watchdog.fault → watch.deaf)
//      and to recover (watch.rearmed recoveryMs), and until the edit made while deaf serves; goals: detect
//      within 2 sentinel intervals, recover within 1 more;
//   2. a hung watcher thread (hang-after): the same figures;
//   1b/2b. the same faults injected once the tree has been quiet for a while (45 s after ready: the checks
//      have backed off to their longest wait, issue 19), where no event arrives to wake anything: goals
//      from the README, detect within 30 s + 2 intervals (deafness), 30 s + 6 s (hung);
//   3. idle CPU of `hotwatch run` with and without the watchdog (utime+stime from /proc/PID/stat), goal
//      under 0.5% of one core for the watchdog's share;
//   4. edit → build.start latency with and without the watchdog (goal: no measurable difference).
// Imports nothing from src/ or dist/. Cleans up every process and temp dir it made.
// --bin PATH runs another build's bin/hotwatch.js (an A/B: the same bench on a build from before).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const BIN = args.includes('--bin') ? path.resolve(args[args.indexOf('--bin') + 1]) : path.join(REPO, 'bin', 'hotwatch.js');
/** When the quiet-tree faults are injected (s after ready), and the longest wait between two checks on a quiet tree. */
const QUIET_FAULT_S = 45;
const QUIET_MAX_MS = 30_000;
const QUICK = args.includes('--quick');
const JSON_OUT = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const RUNS = QUICK ? 2 : 5;
const IDLE_S = QUICK ? 8 : 20;
const EDITS = QUICK ? 4 : 10;
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function httpGet(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return await res.text();
  } catch {
    return undefined;
  }
}

async function waitFor(cond, what, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(20);
  }
}

const mainGo = (v) => `package main

import (
\t"fmt"
\t"net/http"
\t"os"
\t"example.com/wdbench/src"
)

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "main=${v} src="+src.Version) })
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;
const srcGo = (v) => `package src\n\nconst Version = "${v}"\n`;

const temps = [];
const procs = new Set();

function makeModule(watchdogYaml) {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'hotwatch-wdbench-'));
  temps.push(parent);
  const root = path.join(parent, 'mod');
  fs.mkdirSync(path.join(root, 'src'), { recursive: true });
  fs.writeFileSync(path.join(root, 'go.mod'), 'module example.com/wdbench\n\ngo 1.22\n');
  fs.writeFileSync(path.join(root, 'main.go'), mainGo('m1'));
  fs.writeFileSync(path.join(root, 'src', 'version.go'), srcGo('s1'));
  const config = path.join(parent, 'hw.yaml');
  fs.writeFileSync(config, `root: mod\nrun:\n  gracePeriod: 1s\n${watchdogYaml}\n`);
  return { root, config };
}

function startHotwatch(config, root, env) {
  const logs = [];
  const p = spawn(process.execPath, [BIN, 'run', '--log-format', 'json', '--config', config], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  procs.add(p);
  let partial = '';
  p.stderr.on('data', (d) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      if (!l.startsWith('{')) continue;
      try {
        logs.push(JSON.parse(l));
      } catch {
        // app output
      }
    }
  });
  const exited = new Promise((r) => p.once('exit', r));
  const stop = async () => {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
    procs.delete(p);
  };
  const log = (pred, what, timeoutMs = 30_000, from = 0) =>
    waitFor(
      () => {
        if (p.exitCode !== null) throw new Error(`hotwatch exited (${p.exitCode}) while waiting for ${what}`);
        return logs.slice(from).find(pred);
      },
      what,
      timeoutMs,
    );
  return { p, logs, stop, log };
}

const at = (l) => Date.parse(l.time);

/** One injected fault: detect (fault → deaf), recover (recoveryMs), edit-made-while-deaf serves. */
async function faultRun(fault, intervalMs, afterS = 1) {
  const port = await freePort();
  const { root, config } = makeModule(`watchdog:\n  interval: ${intervalMs}ms`);
  const hw = startHotwatch(config, root, { PORT: String(port), HOTWATCH_TEST_FAULTS: `${fault}=${afterS}s` });
  try {
    await waitFor(async () => (await httpGet(port)) === 'main=m1 src=s1', 'the first build serves', 120_000);
    const f = await hw.log((l) => l.event === 'watchdog.fault', 'watchdog.fault', afterS * 1000 + 30_000);
    const from = hw.logs.indexOf(f);
    const editedAt = Date.now();
    fs.writeFileSync(path.join(root, 'src', 'version.go'), srcGo('s2'));
    const deaf = await hw.log((l) => l.event === 'watch.deaf', 'watch.deaf', 90_000, from);
    const rearmed = await hw.log((l) => l.event === 'watch.rearmed' || l.event === 'watch.fallback', 'watch.rearmed', 60_000, from);
    await waitFor(async () => (await httpGet(port)) === 'main=m1 src=s2', 'the edit made while deaf serves', 60_000);
    return {
      cause: deaf.cause,
      detectMs: at(deaf) - at(f),
      recoverMs: rearmed.event === 'watch.rearmed' ? rearmed.recoveryMs : NaN,
      editServesMs: Date.now() - editedAt,
    };
  } finally {
    await hw.stop();
  }
}

function cpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14 and 15)
}

/** Idle CPU (% of one core) of hotwatch over IDLE_S seconds, with the watchdog on or off. */
async function idleRun(enabled) {
  const port = await freePort();
  const { root, config } = makeModule(`watchdog:\n  enabled: ${enabled}`);
  const hw = startHotwatch(config, root, { PORT: String(port) });
  try {
    await hw.log((l) => l.event === 'app.listening', 'app.listening', 120_000);
    await sleep(2000); // let start-up work (content seeding, JIT) settle
    const t0 = performance.now();
    const c0 = cpuTicks(hw.p.pid);
    await sleep(IDLE_S * 1000);
    const c1 = cpuTicks(hw.p.pid);
    const secs = (performance.now() - t0) / 1000;
    const infoLines = hw.logs.filter((l) => l.level >= 30 && Date.parse(l.time) >= Date.now() - secs * 1000).length;
    return { cpuPct: ((c1 - c0) / CLK_TCK / secs) * 100, infoLines };
  } finally {
    await hw.stop();
  }
}

/** Edit → build.start (ms between the write and the log line's timestamp), median over EDITS edits. */
async function latencyRun(enabled) {
  const port = await freePort();
  const { root, config } = makeModule(`watchdog:\n  enabled: ${enabled}`);
  const hw = startHotwatch(config, root, { PORT: String(port) });
  const out = [];
  try {
    await hw.log((l) => l.event === 'app.listening', 'app.listening', 120_000);
    for (let i = 0; i < EDITS; i++) {
      const from = hw.logs.length;
      const t = Date.now();
      fs.writeFileSync(path.join(root, 'src', 'version.go'), srcGo(`e${i}`));
      const b = await hw.log((l) => l.event === 'build.start', 'build.start', 30_000, from);
      out.push(at(b) - t);
      await hw.log((l) => l.event === 'app.listening', 'app.listening', 60_000, from);
      await sleep(300);
    }
    return median(out);
  } finally {
    await hw.stop();
  }
}

function cleanup() {
  for (const p of procs) p.kill('SIGKILL');
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

async function main() {
  if (!fs.existsSync(path.join(REPO, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const results = { runs: RUNS, idleSeconds: IDLE_S, edits: EDITS, deafen: {}, hang: {}, idle: {}, latency: {} };
  for (const intervalMs of [1000, 2000]) {
    const rs = [];
    for (let i = 0; i < RUNS; i++) rs.push(await faultRun('deafen-after', intervalMs));
    results.deafen[intervalMs] = {
      detectMs: median(rs.map((r) => r.detectMs)),
      detectMaxMs: Math.max(...rs.map((r) => r.detectMs)),
      recoverMs: median(rs.map((r) => r.recoverMs)),
      recoverMaxMs: Math.max(...rs.map((r) => r.recoverMs)),
      editServesMs: median(rs.map((r) => r.editServesMs)),
      causes: [...new Set(rs.map((r) => r.cause))],
    };
  }
  const hs = [];
  for (let i = 0; i < Math.max(1, RUNS - 2); i++) hs.push(await faultRun('hang-after', 2000));
  results.hang = {
    detectMs: median(hs.map((r) => r.detectMs)),
    recoverMs: median(hs.map((r) => r.recoverMs)),
    editServesMs: median(hs.map((r) => r.editServesMs)),
    causes: [...new Set(hs.map((r) => r.cause))],
  };
  const quietRuns = QUICK ? 1 : 2;
  for (const fault of ['deafen-after', 'hang-after']) {
    const qs = [];
    for (let i = 0; i < quietRuns; i++) qs.push(await faultRun(fault, 2000, QUIET_FAULT_S));
    results.quiet = results.quiet ?? {};
    results.quiet[fault] = {
      detectMs: median(qs.map((r) => r.detectMs)),
      detectMaxMs: Math.max(...qs.map((r) => r.detectMs)),
      recoverMs: median(qs.map((r) => r.recoverMs)),
      editServesMs: median(qs.map((r) => r.editServesMs)),
      causes: [...new Set(qs.map((r) => r.cause))],
    };
  }
  for (const enabled of [false, true]) results.idle[enabled ? 'on' : 'off'] = await idleRun(enabled);
  for (const enabled of [false, true]) results.latency[enabled ? 'on' : 'off'] = await latencyRun(enabled);

  const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const rows = [];
  for (const [iv, r] of Object.entries(results.deafen)) {
    rows.push([
      `deafness, interval ${iv}ms: detect (median / max)`,
      `${f(r.detectMs)} / ${f(r.detectMaxMs)} ms`,
      `≤ ${2 * iv} ms`,
      r.detectMaxMs <= 2 * iv ? 'ok' : 'MISSED',
    ]);
    rows.push([
      `deafness, interval ${iv}ms: recover (median / max)`,
      `${f(r.recoverMs)} / ${f(r.recoverMaxMs)} ms`,
      `≤ ${iv} ms`,
      r.recoverMaxMs <= Number(iv) ? 'ok' : 'MISSED',
    ]);
    rows.push([`deafness, interval ${iv}ms: edit made while deaf serves`, `${f(r.editServesMs)} ms`, '-', '']);
  }
  rows.push([
    `hung thread, interval 2000ms: detect (${results.hang.causes.join(', ')})`,
    `${f(results.hang.detectMs)} ms`,
    '≤ 6000 ms',
    results.hang.detectMs <= 6000 ? 'ok' : 'MISSED',
  ]);
  rows.push(['hung thread: recover', `${f(results.hang.recoverMs)} ms`, '-', '']);
  for (const [fault, r] of Object.entries(results.quiet)) {
    const goal = QUIET_MAX_MS + (fault === 'hang-after' ? 6000 : 4000);
    const what = fault === 'hang-after' ? 'hung thread' : 'deafness';
    rows.push([
      `${what} on a quiet tree (${QUIET_FAULT_S}s after ready, interval 2000ms): detect (median / max; ${r.causes.join(', ')})`,
      `${f(r.detectMs)} / ${f(r.detectMaxMs)} ms`,
      `≤ ${goal} ms`,
      r.detectMaxMs <= goal ? 'ok' : 'MISSED',
    ]);
    rows.push([`${what} on a quiet tree: recover / edit made while deaf serves`, `${f(r.recoverMs)} / ${f(r.editServesMs)} ms`, '-', '']);
  }
  const dCpu = results.idle.on.cpuPct - results.idle.off.cpuPct;
  rows.push([`idle CPU, watchdog off (${IDLE_S}s)`, `${f(results.idle.off.cpuPct, 2)} % of a core`, '-', '']);
  rows.push([`idle CPU, watchdog on (${IDLE_S}s, interval 2s)`, `${f(results.idle.on.cpuPct, 2)} % of a core`, '-', '']);
  rows.push(['idle CPU, watchdog share', `${f(dCpu, 2)} % of a core`, '< 0.5 %', dCpu < 0.5 ? 'ok' : 'over']);
  rows.push(['idle log lines at info+ (on)', `${results.idle.on.infoLines}`, '0', results.idle.on.infoLines === 0 ? 'ok' : 'noisy']);
  rows.push(['edit → build.start, watchdog off (median)', `${f(results.latency.off)} ms`, '-', '']);
  rows.push(['edit → build.start, watchdog on (median)', `${f(results.latency.on)} ms`, '≈ off', '']);
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => String(r[i]).length)));
  console.log(
    `hotwatch watchdog benchmark (${QUICK ? 'quick' : 'full'}; ${BIN}; node ${process.version}; ${os.cpus().length} cores; medians of ${RUNS} runs)`,
  );
  for (const r of rows)
    console.log(`  ${String(r[0]).padEnd(w[0])}  ${String(r[1]).padStart(w[1])}  goal ${String(r[2]).padEnd(w[2])}  ${r[3]}`);
  if (JSON_OUT) fs.writeFileSync(JSON_OUT, `${JSON.stringify(results, null, 2)}\n`);
  return results;
}

main()
  .then(() => cleanup())
  .catch((e) => {
    cleanup();
    console.error(`bench/watchdog.mjs: ${e.stack ?? e}`);
    process.exit(1);
  });
