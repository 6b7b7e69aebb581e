#!/usr/bin/env node
/**
 * Issue 13's real-application check: hotwatch on a Go app that uses a large public framework as a
 * library, PocketBase, fetched by the Go toolchain like any user's dependency. In a temp dir: a module
 * with its own package (internal/greet, answered by GET /hello), a git repo, a watcher.config.yaml that
 * excludes pb_data (the data dir the app writes at run time). Then, with the built CLI
 * (`node bin/hotwatch.js run --log-format json`):
 *   1. edit → serving for N edits of internal/greet, beside a bare `go build` + stop + start + first
 *      answer of a copy of the same app, measured in the same rounds;
 *   2. builds per git operation: checkout -b, a commit, then checkout main / other alternately;
 *   3. false failures (build.failed while the sources were never broken) during those, during rapid
 *      back-to-back checkouts, and what `git stash && git stash pop` costs (reverted, or restarted);
 *   4. a table on stdout, `--json FILE` for every sample.
 * Not run by default (it downloads PocketBase): `node bench/real-app.mjs` or `node bench/run.mjs --only realapp`.
 * Flags: --rounds N (edits, default 5), --switches N (checkouts main/other, default 6), --json FILE.
 * PocketBase: @latest, or when it needs a newer Go than this one, $HOTWATCH_BENCH_PB_VERSION (default
 * v0.39.11, the newest that builds with go 1.26 on the day this was written).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { cleanupAll, installCleanupHandlers, makeTmpDir, removeTmpDir } from './lib/cleanup.mjs';
import { freePort } from './lib/goapp.mjs';
import { startProcess, tryOutput } from './lib/process.mjs';
import { median, summary } from './lib/stats.mjs';
import { HOTWATCH_BIN } from './lib/subjects.mjs';
import { fmt, renderTable } from './lib/table.mjs';
import { sleep, waitFor } from './lib/wait.mjs';

const exec = promisify(execFile);
const FALLBACK_PB = process.env.HOTWATCH_BENCH_PB_VERSION || 'v0.39.11';
const PB = 'github.com/pocketbase/pocketbase';

// ---------------------------------------------------------------- the app

const MAIN_GO = `package main

import (
\t"log"

\t"example.com/realapp/internal/greet"
\t"github.com/pocketbase/pocketbase"
\t"github.com/pocketbase/pocketbase/core"
)

func main() {
\tapp := pocketbase.New()
\tapp.OnServe().BindFunc(func(se *core.ServeEvent) error {
\t\tse.Router.GET("/hello", func(e *core.RequestEvent) error {
\t\t\treturn e.String(200, greet.Hello())
\t\t})
\t\treturn se.Next()
\t})
\tif err := app.Start(); err != nil {
\t\tlog.Fatal(err)
\t}
}
`;

const greetGo = (version) => `// Package greet is the app's own code: what GET /hello answers.
package greet

// Version changes on every measured edit.
const Version = "${version}"

// Hello is the body of GET /hello.
func Hello() string { return "v=" + Version }
`;

const EXTRA_GO = `package greet

// Shout exists only on the branch "other": a checkout adds and removes this file.
func Shout() string { return Hello() + "!" }
`;

const writeGreet = (dir, version) => fs.writeFileSync(path.join(dir, 'internal/greet/greet.go'), greetGo(version));

function writeApp(dir) {
  fs.mkdirSync(path.join(dir, 'internal/greet'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/realapp\n\ngo 1.24\n');
  fs.writeFileSync(path.join(dir, 'main.go'), MAIN_GO);
  writeGreet(dir, 'v0');
  fs.writeFileSync(path.join(dir, '.gitignore'), 'pb_data/\nbin/\n.hotwatch/\n');
}

const appArgs = (port) => ['serve', `--http=127.0.0.1:${port}`, '--dir', './pb_data'];

function writeConfig(dir, port) {
  fs.writeFileSync(
    path.join(dir, 'watcher.config.yaml'),
    `# hotwatch: the PocketBase app writes its data under pb_data at run time
watch:
  excludeDirs: [pb_data]
run:
  args: [${appArgs(port)
    .map((a) => JSON.stringify(a))
    .join(', ')}]
  port: ${port}
`,
  );
}

const git = (dir, ...args) => exec('git', args, { cwd: dir, timeout: 30_000 });

// ---------------------------------------------------------------- HTTP

function get(port, p = '/hello', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 ? body : `HTTP ${res.statusCode}`));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** Polls GET /hello every ~2 ms until it answers v=<version>; resolves with performance.now(). */
async function untilServes(port, version, { timeoutMs = 120_000, isDead = () => undefined, signal } = {}) {
  const want = `v=${version}`;
  const deadline = performance.now() + timeoutMs;
  let last;
  for (;;) {
    signal?.throwIfAborted();
    last = await get(port);
    if (last === want) return performance.now();
    const dead = isDead();
    if (dead) throw new Error(`waiting for ${want}: ${dead}`);
    if (performance.now() > deadline) throw new Error(`no ${want} on port ${port} within ${timeoutMs} ms (last answer: ${last ?? 'none'})`);
    await sleep(2);
  }
}

// ---------------------------------------------------------------- hotwatch's log

/** build.start as reported by the job (info, with `trigger`), not the debug line of the runner. */
const isBuildStart = (l) => l.json?.event === 'build.start' && 'trigger' in l.json;
const ev = (name) => (l) => l.json?.event === name;
const count = (h, from, pred) => h.lines.slice(from).filter(pred).length;
const BUSY_STATES = new Set(['building', 'starting', 'stopping']);

/**
 * Polls until hotwatch is settled: the expected answer is served, its job is in a resting state, and
 * its log has been silent for `quietMs` (so a late build of the same operation is counted with it).
 */
async function settled(h, port, version, { quietMs = 1500, timeoutMs = 90_000 } = {}) {
  const t = await untilServes(port, version, { timeoutMs, isDead: () => h.exit && `hotwatch exited: ${h.tail(10)}` });
  await waitFor(
    () => {
      const states = h.lines.filter(ev('job.state'));
      const state = states.length ? states[states.length - 1].json.to : undefined;
      // hotwatch's own lines only, not its once-a-second watchdog tick, nor the app's output
      let last = 0;
      for (let i = h.lines.length - 1; i >= 0; i--) {
        const e = h.lines[i].json?.event;
        if (e && !e.startsWith('watchdog.')) {
          last = h.lines[i].t;
          break;
        }
      }
      return !BUSY_STATES.has(state) && performance.now() - last >= quietMs;
    },
    { timeoutMs, intervalMs: 20, description: `hotwatch to settle (log quiet for ${quietMs} ms)\n${h.tail(10)}` },
  );
  const body = await get(port);
  if (body !== `v=${version}`) throw new Error(`after settling, /hello answers ${body ?? 'nothing'}, expected v=${version}`);
  return t;
}

function opCounts(h, from) {
  return {
    builds: count(h, from, isBuildStart),
    failed: count(h, from, ev('build.failed')),
    errors: count(h, from, ev('build.error')),
    superseded: count(h, from, (l) =>
      ['build.superseded', 'build.stale', 'build.canceled', 'build.failed-superseded'].includes(l.json?.event),
    ),
    reverted: count(h, from, (l) => ['batch.reverted', 'build.reverted'].includes(l.json?.event)),
    unchanged: count(h, from, ev('batch.unchanged')),
    sameBinary: count(h, from, ev('build.same-binary')),
    restarts: count(h, from, ev('app.start')),
  };
}

// ---------------------------------------------------------------- setup

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** go get PocketBase (latest, or the fallback when latest needs a newer Go) + go mod tidy. */
async function fetchPocketBase(dir, say) {
  const env = { ...process.env, GOFLAGS: '-buildvcs=false' };
  const o = { cwd: dir, env, timeout: 900_000, maxBuffer: 64 << 20 };
  let version = 'latest';
  try {
    await exec('go', ['get', `${PB}@latest`], o);
  } catch (e) {
    const msg = String(e.stderr || e.message);
    const m = /requires go >= (\S+)/.exec(msg);
    if (!m) throw new Error(`go get ${PB}@latest failed: ${msg}`);
    say(
      `  ${PB}@latest requires go >= ${m[1]} (this is ${tryOutput('go', ['env', 'GOVERSION'])}, GOTOOLCHAIN=local): using ${FALLBACK_PB}`,
    );
    version = FALLBACK_PB;
    try {
      await exec('go', ['get', `${PB}@${FALLBACK_PB}`], o);
    } catch (e2) {
      throw new Error(`go get ${PB}@${FALLBACK_PB} failed: ${e2.stderr || e2.message}`);
    }
  }
  await exec('go', ['mod', 'tidy'], o);
  const listed = (await exec('go', ['list', '-m', PB], o)).stdout.trim().split(/\s+/)[1];
  return { asked: version, version: listed };
}

// ---------------------------------------------------------------- 1. edit → serving

async function baselineRound(dir, port, version, state) {
  const t0 = performance.now();
  writeGreet(dir, version);
  const polling = new AbortController();
  const served = untilServes(port, version, { signal: polling.signal });
  served.catch(() => undefined);
  try {
    await exec('go', ['build', '-o', 'bin/app', '.'], { cwd: dir, timeout: 600_000 });
  } catch (e) {
    polling.abort();
    throw new Error(`baseline go build failed: ${e.stderr || e.message}`);
  }
  const built = performance.now();
  if (state.app) await state.app.stop({ graceMs: 5000 });
  const stopped = performance.now();
  const app = startProcess(path.join(dir, 'bin/app'), appArgs(port), { cwd: dir, name: 'baseline app' });
  state.app = app;
  const t1 = await Promise.race([
    served,
    app.exited.then(() => {
      throw new Error(`the baseline app exited: ${app.tail(5)}`);
    }),
  ]).finally(() => polling.abort());
  return { totalMs: t1 - t0, buildMs: built - t0, stopMs: stopped - built, startToServeMs: t1 - stopped };
}

async function editScenario({ h, dir, port, baseDir, basePort, rounds, say }) {
  const baseState = { app: undefined };
  const base = [];
  const hw = [];
  try {
    await baselineRound(baseDir, basePort, 'v0', baseState);
    for (let i = 0; i <= rounds; i++) {
      const version = `r${i}`;
      const order = i % 2 ? ['hotwatch', 'baseline'] : ['baseline', 'hotwatch'];
      let b;
      let x;
      for (const who of order) {
        if (who === 'baseline') {
          b = await baselineRound(baseDir, basePort, version, baseState);
          continue;
        }
        const from = h.lines.length;
        const t0 = performance.now();
        writeGreet(dir, version);
        const t1 = await untilServes(port, version, { isDead: () => h.exit && `hotwatch exited: ${h.tail(10)}` });
        await settled(h, port, version, { quietMs: 500 });
        const done = h.lines.slice(from).find(ev('build.done'));
        x = { totalMs: t1 - t0, buildMs: done?.json.buildMs, ...opCounts(h, from) };
      }
      say(
        `  edit ${i}${i === 0 ? ' (warm-up)' : ''}: baseline ${b.totalMs.toFixed(0)} ms (build ${b.buildMs.toFixed(0)}), hotwatch ${x.totalMs.toFixed(0)} ms (build ${x.buildMs ?? '?'})`,
      );
      if (i > 0) {
        base.push({ ...b, round: i });
        hw.push({ ...x, round: i });
      }
    }
  } finally {
    await baseState.app?.stop({ graceMs: 5000 });
  }
  const baseNonBuild = median(base.map((b) => b.totalMs - b.buildMs));
  const hwNonBuild = median(hw.map((x) => x.totalMs - (x.buildMs ?? NaN)));
  return {
    rounds,
    baseline: {
      totalMs: summary(base.map((b) => b.totalMs)),
      buildMs: summary(base.map((b) => b.buildMs)),
      stopMs: summary(base.map((b) => b.stopMs)),
      startToServeMs: summary(base.map((b) => b.startToServeMs)),
      nonBuildMs: baseNonBuild,
      samples: base,
    },
    hotwatch: {
      totalMs: summary(hw.map((x) => x.totalMs)),
      buildMs: summary(hw.map((x) => x.buildMs)),
      nonBuildMs: hwNonBuild,
      extraBuilds: hw.filter((x) => x.builds !== 1).length,
      failed: hw.reduce((a, x) => a + x.failed, 0),
      samples: hw,
    },
    ratio: median(hw.map((x) => x.totalMs)) / median(base.map((b) => b.totalMs)),
    nonBuildOverheadMs: hwNonBuild - baseNonBuild,
  };
}

// ---------------------------------------------------------------- 2./3. git operations

async function gitScenario({ h, dir, port, mainVersion, switches, say }) {
  const ops = [];
  const op = async (name, expect, fn, { wantBuilds } = {}) => {
    const from = h.lines.length;
    const t0 = performance.now();
    await fn();
    let servedMs;
    let error;
    try {
      servedMs = (await settled(h, port, expect)) - t0;
    } catch (e) {
      error = String(e.message ?? e);
    }
    const c = opCounts(h, from);
    // hotwatch's account of the operation: its events in order (but build output, ticks, job states), for the JSON
    const events = h.lines
      .slice(from)
      .filter((l) => l.json?.event && !['build.output', 'watchdog.tick', 'job.state'].includes(l.json.event))
      .map(
        (l) =>
          `+${(l.t - t0).toFixed(0)}ms ${l.json.event}${l.json.trigger ? ` (${l.json.trigger})` : ''}${l.json.reason ? ` (${l.json.reason})` : ''}`,
      );
    const row = { op: name, expect, servedMs, wantBuilds, ...c, answer: await get(port), error, events };
    ops.push(row);
    say(
      `  ${name}: ${c.builds} build(s), ${c.failed} failed, ${c.restarts} restart(s), serves ${row.answer ?? 'nothing'} (want v=${expect})${error ? ` — ${error.split('\n')[0]}` : ''}`,
    );
    return row;
  };

  await op('git checkout -b other', mainVersion, () => git(dir, 'checkout', '-q', '-b', 'other'), { wantBuilds: 0 });
  await op('edit on other (3 files)', 'other', async () => {
    writeGreet(dir, 'other');
    fs.writeFileSync(path.join(dir, 'internal/greet/shout.go'), EXTRA_GO);
    fs.writeFileSync(path.join(dir, 'main.go'), MAIN_GO.replace('func main() {', '// main runs the app (branch other).\nfunc main() {'));
  });
  await op(
    'git commit -am (on other)',
    'other',
    async () => {
      await git(dir, 'add', '-A');
      await git(dir, 'commit', '-q', '-m', 'other');
    },
    { wantBuilds: 0 },
  );
  for (let i = 0; i < switches; i++) {
    const to = i % 2 === 0 ? 'main' : 'other';
    await op(`git checkout ${to}`, to === 'main' ? mainVersion : 'other', () => git(dir, 'checkout', '-q', to), { wantBuilds: 1 });
  }
  // The switches go main, other, main, …: after an even number we are on other. Go to main for the rapid pairs.
  if (switches % 2 === 0) await op('git checkout main', mainVersion, () => git(dir, 'checkout', '-q', 'main'), { wantBuilds: 1 });
  const rapid = [];
  for (const gapMs of [300, 600]) {
    const row = await op(`git checkout other; ${gapMs} ms; git checkout main`, mainVersion, async () => {
      await git(dir, 'checkout', '-q', 'other');
      await sleep(gapMs); // the workload: a second checkout while the first one's build may be running
      await git(dir, 'checkout', '-q', 'main');
    });
    rapid.push(row);
  }
  // git stash && git stash pop: an uncommitted edit, served, then stashed and popped at once.
  const stash = [];
  await op('uncommitted edit (for stash)', 'stash0', () => writeGreet(dir, 'stash0'));
  for (let i = 0; i < 3; i++) {
    const row = await op(
      'git stash && git stash pop',
      'stash0',
      async () => {
        await git(dir, 'stash', '-q');
        await git(dir, 'stash', 'pop', '-q');
      },
      { wantBuilds: 0 },
    );
    stash.push(row);
  }
  return { ops, rapid, stash };
}

// ---------------------------------------------------------------- report

function render(r) {
  const e = r.edit;
  const out = [];
  out.push(
    `hotwatch ${r.versions.hotwatch}, ${r.versions.go}, PocketBase ${r.versions.pocketbase}, node ${r.versions.node}, git ${r.versions.git}`,
  );
  out.push(`${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memGb} GB, ${r.date}`);
  out.push(
    `cold: go get + go mod tidy ${fmt.ms(r.cold.fetchMs)} (module cache ${r.cold.moduleCacheHadPb ? 'already had PocketBase' : 'empty for PocketBase'}), first go build ${fmt.ms(r.cold.firstBuildMs)}, then a no-change build ${fmt.ms(r.cold.secondBuildMs)}; binary ${r.cold.binaryMb.toFixed(0)} MB; hotwatch to first answer ${fmt.ms(r.cold.hotwatchFirstServeMs)}`,
  );
  if (e) {
    out.push('');
    out.push(
      renderTable(
        ['1. edit internal/greet → new /hello answer', 'median', 'min', 'max'],
        [
          [
            'go build + stop + start + first answer',
            fmt.ms(e.baseline.totalMs.median),
            fmt.ms(e.baseline.totalMs.min),
            fmt.ms(e.baseline.totalMs.max),
          ],
          ['  of which go build', fmt.ms(e.baseline.buildMs.median), fmt.ms(e.baseline.buildMs.min), fmt.ms(e.baseline.buildMs.max)],
          [
            '  of which start → first answer',
            fmt.ms(e.baseline.startToServeMs.median),
            fmt.ms(e.baseline.startToServeMs.min),
            fmt.ms(e.baseline.startToServeMs.max),
          ],
          ['hotwatch', fmt.ms(e.hotwatch.totalMs.median), fmt.ms(e.hotwatch.totalMs.min), fmt.ms(e.hotwatch.totalMs.max)],
          [
            '  of which go build (its buildMs)',
            fmt.ms(e.hotwatch.buildMs.median),
            fmt.ms(e.hotwatch.buildMs.min),
            fmt.ms(e.hotwatch.buildMs.max),
          ],
          ['hotwatch / baseline', fmt.x(e.ratio), '', ''],
          [
            'time outside go build: hotwatch vs bare',
            `${fmt.ms(e.hotwatch.nonBuildMs)} vs ${fmt.ms(e.baseline.nonBuildMs)}`,
            fmt.signedMs(e.nonBuildOverheadMs),
            '',
          ],
          ['edits with a build count other than 1', String(e.hotwatch.extraBuilds), '', ''],
        ],
      ),
    );
  }
  if (r.git) {
    out.push('');
    out.push(
      renderTable(
        [
          '2./3. operation (each after the previous one served)',
          'builds',
          'goal',
          'failed',
          'restarts',
          'reverted',
          'serves',
          'right',
          'served in',
        ],
        r.git.ops.map((o) => [
          o.op,
          String(o.builds),
          o.wantBuilds === undefined ? '' : String(o.wantBuilds),
          String(o.failed + o.errors),
          String(o.restarts),
          String(o.reverted),
          o.answer ?? 'nothing',
          o.answer === `v=${o.expect}` && !o.error ? 'yes' : 'NO',
          fmt.ms(o.servedMs),
        ]),
      ),
    );
    const s = r.summary;
    out.push('');
    out.push(
      renderTable(
        ['summary', 'value', 'goal'],
        [
          ['checkouts main/other with exactly 1 build', `${s.switchesOneBuild}/${s.switches}`, `${s.switches}/${s.switches}`],
          ['served version right after every operation', `${s.rightAnswers}/${s.ops}`, `${s.ops}/${s.ops}`],
          ['false build failures (sources never broken)', String(s.falseFailures), '0'],
          ['rapid checkout pairs: builds (each)', s.rapidBuilds.join(', '), ''],
          [
            'git stash && pop: builds / restarts / no-build batches (each)',
            s.stash.map((x) => `${x.builds}/${x.restarts}/${x.skipped}`).join(', '),
            '0/0/≥0',
          ],
        ],
      ),
    );
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- main

export async function realAppScenario({ rounds = 5, switches = 6, say = (s) => process.stderr.write(`${s}\n`) } = {}) {
  const hwVersion = tryOutput(process.execPath, [HOTWATCH_BIN, '--version'])?.replace(/^hotwatch\s*/, '');
  if (!hwVersion) throw new Error(`${HOTWATCH_BIN} --version failed: is the CLI built (npm run build)?`);
  const r = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model?.trim(),
      memGb: Math.round(os.totalmem() / 2 ** 30),
      loadavg: os.loadavg(),
    },
    versions: {
      hotwatch: hwVersion,
      go: tryOutput('go', ['env', 'GOVERSION']) ?? 'missing',
      node: process.versions.node,
      git: tryOutput('git', ['--version'])?.replace(/^git version /, '') ?? 'missing',
    },
    errors: [],
  };
  const dir = makeTmpDir('realapp');
  const baseDir = makeTmpDir('realapp-baseline');
  let h;
  try {
    const modCache = tryOutput('go', ['env', 'GOMODCACHE']);
    const hadPb = !!modCache && fs.existsSync(path.join(modCache, 'github.com/pocketbase'));
    writeApp(dir);
    say(`  ${dir}: go get ${PB} + go mod tidy …`);
    let pb;
    const fetchMs = await timed(async () => {
      pb = await fetchPocketBase(dir, say);
    });
    r.versions.pocketbase = pb.version;
    say(
      `  PocketBase ${pb.version} in ${(fetchMs / 1000).toFixed(1)} s; first go build (compiles PocketBase and modernc sqlite when the build cache is cold) …`,
    );
    const firstBuildMs = await timed(() => exec('go', ['build', '-o', 'bin/app', '.'], { cwd: dir, timeout: 1_800_000 }));
    const secondBuildMs = await timed(() => exec('go', ['build', '-o', 'bin/app', '.'], { cwd: dir, timeout: 600_000 }));
    const binaryMb = fs.statSync(path.join(dir, 'bin/app')).size / 2 ** 20;
    fs.rmSync(path.join(dir, 'bin'), { recursive: true, force: true });
    r.cold = { moduleCacheHadPb: hadPb, fetchMs, firstBuildMs, secondBuildMs, binaryMb };
    say(
      `  first build ${(firstBuildMs / 1000).toFixed(1)} s, no-change build ${(secondBuildMs / 1000).toFixed(1)} s, binary ${binaryMb.toFixed(0)} MB`,
    );

    // The baseline's own copy of the module (same module cache and build cache).
    fs.cpSync(dir, baseDir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.git`) });
    const port = await freePort();
    const basePort = await freePort();
    writeConfig(dir, port);
    await git(dir, 'init', '-q', '-b', 'main');
    await git(dir, 'add', '-A');
    await git(dir, '-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', 'commit', '-q', '-m', 'a PocketBase app');
    await git(dir, 'config', 'user.name', 'bench');
    await git(dir, 'config', 'user.email', 'bench@example.invalid');

    h = startProcess(process.execPath, [HOTWATCH_BIN, 'run', '--log-format', 'json', '--log-level', 'debug', '--root', dir], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      name: 'hotwatch',
    });
    const t0 = performance.now();
    await settled(h, port, 'v0', { timeoutMs: 600_000 });
    r.cold.hotwatchFirstServeMs = h.lines.find((l) => l.json?.event === 'app.listening')?.t - t0;
    if (!fs.existsSync(path.join(dir, 'pb_data'))) r.errors.push('the app did not create pb_data');
    say(`  hotwatch serves v0 (pb_data ${fs.existsSync(path.join(dir, 'pb_data')) ? 'created' : 'MISSING'})`);

    r.edit = await editScenario({ h, dir, port, baseDir, basePort, rounds, say });
    // The edits stay uncommitted on main: commit them, so that main serves the last edit's version.
    const mainVersion = `r${rounds}`;
    await git(dir, 'commit', '-q', '-am', 'edits');
    r.git = await gitScenario({ h, dir, port, mainVersion, switches, say });
    const switchOps = r.git.ops.filter((o) => /^git checkout (main|other)$/.test(o.op));
    const all = [...r.edit.hotwatch.samples, ...r.git.ops];
    r.summary = {
      switches: switchOps.length,
      switchesOneBuild: switchOps.filter((o) => o.builds === 1).length,
      ops: r.git.ops.length,
      rightAnswers: r.git.ops.filter((o) => o.answer === `v=${o.expect}` && !o.error).length,
      falseFailures: all.reduce((a, o) => a + o.failed + (o.errors ?? 0), 0),
      rapidBuilds: r.git.rapid.map((o) => o.builds),
      stash: r.git.stash.map((o) => ({
        builds: o.builds,
        restarts: o.restarts,
        reverted: o.reverted,
        skipped: o.reverted + o.unchanged + o.sameBinary,
      })),
    };
    r.failedLines = h.lines.filter(ev('build.failed')).map((l) => l.json);
  } catch (e) {
    r.errors.push(String(e.stack ?? e));
    if (h) r.hotwatchTail = h.tail(40);
    throw Object.assign(e, { partial: r });
  } finally {
    if (h) {
      const stop = await h.stop({ graceMs: 15_000 });
      r.hotwatchExit = { code: stop.code, signal: stop.signal };
    }
    removeTmpDir(dir);
    removeTmpDir(baseDir);
  }
  r.report = render(r);
  return r;
}

async function main() {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, switches: { type: 'string' }, json: { type: 'string' } } });
  installCleanupHandlers();
  const say = (s) => process.stderr.write(`${s}\n`);
  let r;
  let code = 0;
  try {
    r = await realAppScenario({ rounds: Number(values.rounds ?? 5), switches: Number(values.switches ?? 6), say });
    process.stdout.write(`${r.report}\n`);
  } catch (e) {
    say(`real-app: ${e.stack ?? e}`);
    r = e.partial;
    code = 1;
  }
  if (values.json && r) {
    fs.writeFileSync(values.json, `${JSON.stringify(r, null, 2)}\n`);
    say(`real-app: wrote ${path.resolve(values.json)}`);
  }
  return code;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      cleanupAll();
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`real-app: internal error: ${e.stack ?? e}\n`);
      cleanupAll();
      process.exitCode = 1;
    },
  );
}
