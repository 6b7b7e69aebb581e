#!/usr/bin/env node
/**
 * `npm run bench`: hotwatch's benchmark (issue 2). Runs the BUILT CLI (bin/hotwatch.js) as a real
 * process and reports medians, each beside a bare baseline measured in the same run:
 *   1. edit → serving latency vs `go build` + start + first answer
 *   2. a 10,000-directory / 100,000-file tree: time to ready, inotify watches, RSS (beside chokidar 5
 *      and @parcel/watcher, each in its own process)
 *   3. `hotwatch doctor --json` wall time on that tree
 *   4. the bursts the debounce window must bridge (git checkout, atomic save, gofmt double write)
 *   5. air, reflex and nodemon on 1 and 2 where installed (PATH or $HOTWATCH_BENCH_TOOLS)
 *   6. the proxy: latency it adds, and requests across 50 app restarts under 20 clients
 *   7. lean (issue 19): launch → first build start, RSS beside an idle node, idle CPU and wake-ups/s
 *   8. several apps (apps:, N = 10) from one hotwatch, beside N single-app hotwatch processes
 *   9. storm (issue 19): 2,000 files rewritten + 1 edit, last write → serving and builds, beside reflex and entr
 * Flags: --quick (smoke run), --json FILE, --only latency,tree,doctor,bursts,proxy, --no-chokidar, --no-tools.
 * Progress goes to stderr, the report to stdout. Exit 0 when every figure was measured (a missed goal is
 * a finding, not a failure), 1 when something could not be measured.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanupHandlers, makeTmpDir, removeTmpDir, cleanupAll } from './lib/cleanup.mjs';
import { tryOutput } from './lib/process.mjs';
import { renderReport } from './lib/report.mjs';
import { compareSubject, hotwatchSubject, otherSubjects, HOTWATCH_BIN, REPO } from './lib/subjects.mjs';
import { generateTree } from './lib/tree.mjs';
import { latencyScenario } from './scenarios/latency.mjs';
import { bigTreeScenario } from './scenarios/big-tree.mjs';
import { doctorScenario } from './scenarios/doctor.mjs';
import { burstsScenario } from './scenarios/bursts.mjs';
import { proxyScenario } from './scenarios/proxy.mjs';
import { leanScenario } from './scenarios/lean.mjs';
import { realAppScenario } from './real-app.mjs';
import { appsScenario } from './scenarios/apps.mjs';
import { stormScenario } from './scenarios/storm.mjs';

const PLANS = {
  full: {
    rounds: 10,
    pauseMs: 300,
    dirs: 10_000,
    filesPerDir: 10,
    treeRepeats: 3,
    libRepeats: 3,
    doctorRepeats: 5,
    changedFiles: 2000,
    checkouts: 6,
    saves: 10,
    proxyRequests: 3000,
    proxyRestarts: 50,
    leanRepeats: 3,
    idleSeconds: 60,
  },
  quick: {
    rounds: 3,
    pauseMs: 200,
    dirs: 1_000,
    filesPerDir: 10,
    treeRepeats: 1,
    libRepeats: 1,
    doctorRepeats: 2,
    changedFiles: 500,
    checkouts: 2,
    saves: 3,
    proxyRequests: 500,
    proxyRestarts: 9,
    leanRepeats: 1,
    idleSeconds: 10,
  },
};
const SCENARIOS = ['latency', 'tree', 'doctor', 'bursts', 'proxy', 'lean', 'apps', 'storm'];
/** Opt-in only (`--only realapp`): it downloads PocketBase through the Go module proxy. */
const OPT_IN = ['realapp'];

const HELP = `Usage: node bench/run.mjs [--quick] [--json FILE] [--only ${SCENARIOS.join(',')}] [--no-chokidar] [--no-tools]
  (npm run bench builds first, then runs this)

  --quick        smoke run: 3 edits, a 1,000-directory tree, fewer repetitions
  --rounds N     edits in the latency scenario (default 10; 3 with --quick); launches of each
                 subject in the storm scenario (default 3, 2 storms each; 1 with --quick)
  --idle-seconds N  idle CPU window of the lean scenario (default 60; 10 with --quick)
  --json FILE    also write every figure (and every sample) as JSON
  --only LIST    run only these scenarios (comma-separated); realapp (PocketBase, downloads modules)
                 runs only when named here
  --no-chokidar  skip chokidar 5 on the big tree (it needs ~110,000 watches and ~1 GB)
  --no-tools     do not measure air, reflex, nodemon or entr even where installed
Tools are found on PATH or in $HOTWATCH_BENCH_TOOLS (dirs, colon-separated; dir, dir/bin and
dir/node_modules/.bin are searched). HOTWATCH_KEEP_TMP=1 keeps the temp dirs.
`;

function parse() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      rounds: { type: 'string' },
      'idle-seconds': { type: 'string' },
      json: { type: 'string' },
      only: { type: 'string' },
      'no-chokidar': { type: 'boolean' },
      'no-tools': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : SCENARIOS;
  const unknown = only.filter((s) => !SCENARIOS.includes(s) && !OPT_IN.includes(s));
  if (unknown.length)
    throw new Error(`--only: unknown scenario ${unknown.join(', ')} (expected some of ${[...SCENARIOS, ...OPT_IN].join(', ')})`);
  if (values.rounds !== undefined && !(Number.isInteger(Number(values.rounds)) && Number(values.rounds) >= 1)) {
    throw new Error(`--rounds: expected a whole number of edits >= 1, got ${values.rounds}`);
  }
  return { ...values, only };
}

const say = (s) => process.stderr.write(`${s}\n`);

function pkgVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'missing';
  }
}

function meta(mode, found, missing) {
  const cpus = os.cpus();
  return {
    mode,
    date: new Date().toISOString(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    memGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    loadavg: os.loadavg(),
    versions: {
      node: process.versions.node,
      go: tryOutput('go', ['env', 'GOVERSION']) ?? 'missing',
      git: tryOutput('git', ['--version'])?.replace(/^git version /, '') ?? 'missing',
      chokidar: pkgVersion('chokidar'),
      '@parcel/watcher': pkgVersion('@parcel/watcher'),
      ...Object.fromEntries(found.map((t) => [t.name, t.version])),
    },
    missingTools: missing,
    howRun: Object.fromEntries(found.map((t) => [t.name, t.defaults])),
  };
}

async function main() {
  let opts;
  try {
    opts = parse();
  } catch (e) {
    process.stderr.write(`bench: ${e.message}\n${HELP}`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(HELP);
    return 0;
  }
  installCleanupHandlers();
  const mode = opts.quick ? 'quick' : 'full';
  const plan = PLANS[mode];
  const results = { errors: [] };

  const hwVersion = tryOutput(process.execPath, [HOTWATCH_BIN, '--version']);
  const hotwatch = hwVersion ? hotwatchSubject() : undefined;
  if (!hotwatch) {
    results.errors.push(`${HOTWATCH_BIN} --version failed: is the CLI built (npm run build)? hotwatch was NOT measured`);
    say(`bench: ${results.errors[0]}`);
  }
  const { found, missing } = opts['no-tools'] ? { found: [], missing: ['air', 'reflex', 'nodemon'] } : otherSubjects();
  results.meta = meta(mode, found, missing);
  if (hotwatch) results.meta.versions = { hotwatch: hotwatch.version, ...results.meta.versions };
  say(`bench: ${mode} run; comparing with: ${found.map((t) => `${t.name} ${t.version}`).join(', ') || 'nothing else (none installed)'}`);
  const compare = compareSubject();
  const subjects = [...(hotwatch ? [hotwatch] : []), ...(compare ? [compare] : []), ...found];
  const t0 = performance.now();

  const step = async (name, fn) => {
    if (!opts.only.includes(name)) return undefined;
    const s = performance.now();
    say(`bench: ${name} …`);
    try {
      return await fn();
    } catch (e) {
      results.errors.push(`${name}: ${e.stack ?? e}`);
      say(`bench: ${name} failed: ${e.stack ?? e}`);
      return undefined;
    } finally {
      say(`bench: ${name} took ${((performance.now() - s) / 1000).toFixed(1)} s`);
    }
  };

  results.latency = await step('latency', () =>
    latencyScenario({ rounds: opts.rounds !== undefined ? Number(opts.rounds) : plan.rounds, pauseMs: plan.pauseMs, subjects, say }),
  );
  if (opts.only.includes('tree') || opts.only.includes('doctor')) {
    const dir = makeTmpDir('tree');
    try {
      const g0 = performance.now();
      const tree = generateTree(dir, { dirs: plan.dirs, filesPerDir: plan.filesPerDir });
      say(`bench: generated ${tree.dirsWithRoot} dirs / ${tree.files} files in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
      results.bigTree = await step('tree', () =>
        bigTreeScenario({
          tree,
          repeats: plan.treeRepeats,
          libRepeats: plan.libRepeats,
          chokidar: !opts['no-chokidar'],
          hotwatch: hotwatch ?? null,
          compare,
          tools: found,
          say,
        }),
      );
      if (hotwatch) results.doctor = await step('doctor', () => doctorScenario({ tree, repeats: plan.doctorRepeats, say }));
    } finally {
      removeTmpDir(dir);
    }
  }
  results.bursts = await step('bursts', () =>
    burstsScenario({ changedFiles: plan.changedFiles, checkouts: plan.checkouts, saves: plan.saves, say }),
  );
  results.proxy = await step('proxy', () =>
    proxyScenario({ requests: plan.proxyRequests, restarts: plan.proxyRestarts, clients: 20, say }),
  );
  results.lean = await step('lean', () =>
    leanScenario({
      repeats: plan.leanRepeats,
      idleSeconds: opts['idle-seconds'] !== undefined ? Number(opts['idle-seconds']) : plan.idleSeconds,
      bigDirs: plan.dirs,
      say,
    }),
  );
  results.apps = await step('apps', () => appsScenario({ n: 10, rounds: opts.quick ? 2 : 5, tools: !opts['no-tools'], say }));
  results.storm = await step('storm', () =>
    stormScenario({
      rounds: opts.rounds !== undefined ? Number(opts.rounds) : opts.quick ? 1 : 3,
      storms: 2,
      noTools: opts['no-tools'],
      say,
    }),
  );
  results.realApp = await step('realapp', () => realAppScenario({ rounds: opts.rounds !== undefined ? Number(opts.rounds) : 5, say }));
  results.meta.totalSeconds = (performance.now() - t0) / 1000;
  results.meta.loadavgAtEnd = os.loadavg();

  const others = opts.only.some((s) => SCENARIOS.includes(s) && s !== 'lean' && s !== 'apps' && s !== 'storm');
  const report = [
    others ? renderReport(results) : undefined,
    results.lean?.report,
    results.apps?.report,
    results.storm?.report,
    results.realApp?.report,
  ]
    .filter(Boolean)
    .join('\n\n');
  process.stdout.write(`\n${report}\n\ntotal ${results.meta.totalSeconds.toFixed(0)} s\n`);
  if (opts.json) {
    fs.writeFileSync(opts.json, `${JSON.stringify(results, null, 2)}\n`);
    say(`bench: wrote ${path.resolve(opts.json)}`);
  }
  return results.errors.length || !hotwatch ? 1 : 0;
}

main().then(
  (code) => {
    cleanupAll();
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bench: internal error: ${e.stack ?? e}\n`);
    cleanupAll();
    process.exitCode = 1;
  },
);
