#!/usr/bin/env node
/**
 * Issue 19's start-up figures on a given Go module (a real project: the lean scenario's own tree is small,
 * and the issue's 1.37× was measured on PocketBase, where the build dominates):
 *
 *   node bench/lean-module.mjs --module /work/pb --pkg ./examples/base \
 *     --args 'serve --http 127.0.0.1:{port}' --path /api/health [--rounds 3] [--arming-gate]
 *
 * Each round, in rotated order: a bare `go build -o <tmp> <pkg>` + start + first answer, then each
 * hotwatch (this build, and HOTWATCH_BENCH_COMPARE's when set): launch → first build start (`build.start`),
 * → watching ready, → first answer, and the build's own duration as hotwatch reports it. The module is used
 * in place: the outputs are deleted before each launch, so every launch links a fresh binary against a
 * warm build cache (a developer's first `hotwatch run` of the day). `--arming-gate` adds a hotwatch run
 * whose watches are armed only after the first answer (the test-only HOTWATCH_TEST_ARMING_GATE): what the
 * concurrent arming costs the first build on these cores. `{port}` in --args is a free port, also in $PORT.
 * Any HTTP answer counts (--path, default /). hotwatch's CPU time until the first answer (every thread, and its
 * inotify helper: /proc schedstat) says what of ours ran beside the build. Median of the rounds; the module
 * is never edited.
 * Each hotwatch keeps one port (and so the same flags) for all its launches, as a developer's `hotwatch
 * run` does: from the second launch on, the first build remembered by the one before is spawned at once
 * (src/startup/remembered-build.ts); an untimed launch of each records it first. `--first-launch` removes
 * the remembered plans before each launch instead (a directory hotwatch never ran in).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';
import { freePort } from './lib/goapp.mjs';
import { watcherPids } from './lib/procfs.mjs';
import { threadCost } from './scenarios/lean.mjs';
import { startProcess } from './lib/process.mjs';
import { median } from './lib/stats.mjs';
import { sleep } from './lib/wait.mjs';
import { HOTWATCH_BIN } from './lib/subjects.mjs';
import { firstBuildStart } from './lib/first-build-start.mjs';

const run = promisify(execFile);
const { values: opt } = parseArgs({
  options: {
    module: { type: 'string' },
    pkg: { type: 'string', default: '.' },
    args: { type: 'string', default: '' },
    path: { type: 'string', default: '/' },
    rounds: { type: 'string', default: '3' },
    'arming-gate': { type: 'boolean', default: false },
    'first-launch': { type: 'boolean', default: false },
  },
});
if (!opt.module) {
  process.stderr.write('usage: node bench/lean-module.mjs --module DIR [--pkg ./cmd/x] [--args "serve {port}"] [--path /health]\n');
  process.exit(2);
}
const moduleDir = path.resolve(opt.module);
const argsFor = (port) => (opt.args ? opt.args.replaceAll('{port}', String(port)).split(/\s+/) : []);

/** Any HTTP answer on `port` (a fresh connection each try, every 2 ms); performance.now() of it. */
async function firstAnswer(port, isDead) {
  const deadline = performance.now() + 180_000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: opt.path, agent: false, timeout: 1000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(true));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
    });
    if (ok) return performance.now();
    const dead = isDead();
    if (dead) throw new Error(dead);
    if (performance.now() > deadline) throw new Error(`no answer on port ${port}`);
    await sleep(2);
  }
}

async function bare() {
  const out = path.join(os.tmpdir(), `lean-module-bare-${process.pid}`);
  fs.rmSync(out, { force: true });
  const port = await freePort();
  const t0 = performance.now();
  await run('go', ['build', '-o', out, opt.pkg], { cwd: moduleDir, timeout: 300_000 });
  const built = performance.now();
  const app = startProcess(out, argsFor(port), { cwd: moduleDir, env: { ...process.env, PORT: String(port) }, name: 'bare' });
  try {
    const served = await firstAnswer(port, () => app.exit && 'the bare app exited');
    return { servingMs: served - t0, buildMs: built - t0 };
  } finally {
    await app.stop({ graceMs: 5000 });
    fs.rmSync(out, { force: true });
  }
}

const planDir = path.join(
  process.env.HOTWATCH_CACHE_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'hotwatch'),
  'first-builds',
);
const ports = new Map();

async function hotwatch(bin, gated) {
  fs.rmSync(path.join(moduleDir, '.hotwatch'), { recursive: true, force: true });
  if (opt['first-launch']) fs.rmSync(planDir, { recursive: true, force: true });
  const key = `${bin} ${gated}`;
  if (!ports.has(key)) ports.set(key, await freePort());
  const port = ports.get(key);
  const gate = path.join(os.tmpdir(), `lean-module-gate-${process.pid}`);
  fs.rmSync(gate, { force: true });
  const env = { ...process.env, PORT: String(port), NO_COLOR: '1' };
  if (gated) Object.assign(env, { HOTWATCH_TEST_FAULTS: '', HOTWATCH_TEST_ARMING_GATE: gate });
  const argv = [bin, 'run', '--log-format', 'json', '--root', moduleDir, '--package', opt.pkg, '--', ...argsFor(port)];
  const h = startProcess(process.execPath, argv, { cwd: moduleDir, env, name: 'hotwatch' });
  try {
    const served = await firstAnswer(port, () => h.exit && 'hotwatch exited');
    // hotwatch's own CPU time (every thread, and its inotify helper) until the first answer: what ran
    // beside the build on these cores.
    const cpuMs = threadCost(watcherPids(h.pid)).ns / 1e6;
    if (gated) fs.writeFileSync(gate, '');
    const ready = await h.waitForLine((l) => l.json?.event === 'watch.ready', { timeoutMs: 60_000, description: 'watch.ready' });
    const start = firstBuildStart(h);
    const done = h.events('build.done')[0];
    return {
      buildStartMs: start !== undefined ? start - h.startedAt : undefined,
      readyMs: ready.t - h.startedAt,
      servingMs: served - h.startedAt,
      buildMs: done?.json?.buildMs,
      cpuMs,
    };
  } finally {
    await h.stop({ graceMs: 10_000 });
    fs.rmSync(gate, { force: true });
  }
}

const subjects = [{ name: 'hotwatch', run: () => hotwatch(HOTWATCH_BIN, false) }];
if (process.env.HOTWATCH_BENCH_COMPARE)
  subjects.push({ name: 'compare', run: () => hotwatch(path.resolve(process.env.HOTWATCH_BENCH_COMPARE), false) });
if (opt['arming-gate']) subjects.push({ name: 'hotwatch, arming after the answer', run: () => hotwatch(HOTWATCH_BIN, true) });
subjects.push({ name: 'bare go build + start', run: bare });

const samples = Object.fromEntries(subjects.map((s) => [s.name, []]));
await bare(); // warms the build cache (its first link may be cold)
if (!opt['first-launch']) for (const s of subjects) if (s.name !== 'bare go build + start') await s.run(); // records each one's plan
for (let r = 0; r < Number(opt.rounds); r++) {
  const order = subjects.map((_, i) => subjects[(i + r) % subjects.length]);
  for (const s of order) {
    const x = await s.run();
    samples[s.name].push(x);
    process.stdout.write(
      `  ${s.name} #${r + 1}: ${JSON.stringify(Object.fromEntries(Object.entries(x).map(([k, v]) => [k, Math.round(v)])))}\n`,
    );
  }
}
const bareServing = median(samples['bare go build + start'].map((x) => x.servingMs));
process.stdout.write(`\n${moduleDir} ${opt.pkg}, median of ${opt.rounds}:\n`);
for (const s of subjects) {
  const m = (k) => {
    const v = samples[s.name].map((x) => x[k]).filter((x) => Number.isFinite(x));
    return v.length ? Math.round(median(v)) : undefined;
  };
  const ratio = (m('servingMs') / bareServing).toFixed(2);
  process.stdout.write(
    `  ${s.name.padEnd(36)} build start ${m('buildStartMs') ?? '-'} ms, ready ${m('readyMs') ?? '-'} ms, first answer ${m('servingMs')} ms (${ratio}× bare), build ${m('buildMs')} ms, hotwatch's CPU until then ${m('cpuMs') ?? '-'} ms\n`,
  );
}
