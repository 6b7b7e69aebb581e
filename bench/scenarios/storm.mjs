/**
 * Scenario 9 (issue 19): a checkout's storm, end to end. On a Go module of 200 directories (2,000 files,
 * half of them .go), every file is rewritten with the same content (as `git checkout` rewrites what it
 * touches), then main.go gets one real edit. Measured: the last write → the new version serving, and
 * the builds started for the storm + edit (the goal is one), for hotwatch, the build it is compared with
 * (HOTWATCH_BENCH_COMPARE), and reflex and entr where installed, each launch in turn, the order rotated
 * round by round. Each launch serves v0, then takes `storms` storms, each followed by a pause.
 * hotwatch's own steps of each storm (the window, the watcher's barrier, the content check) come from its
 * debug log line `batch.timing`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { makeTmpDir, removeTmpDir } from '../lib/cleanup.mjs';
import { freePort, pollUntilServes, saveVersion } from '../lib/goapp.mjs';
import { median, summary } from '../lib/stats.mjs';
import { BUILD_MARK, compareEnv, entrSubject, HOTWATCH_BIN, hotwatchSubject, otherSubjects } from '../lib/subjects.mjs';
import { generateTree } from '../lib/tree.mjs';
import { sleep } from '../lib/wait.mjs';

/** After the version serves: builds started later than this still count (a second build of the storm). */
const TAIL_MS = 2000;

/** Every file below the root's subdirectories (the generated tree, not main.go or go.mod). */
function treeFiles(root) {
  const out = [];
  for (const e of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
    // What the tools write into the module (their binaries, hotwatch's state) is not the tree's: left alone.
    if (e.isFile() && e.parentPath !== root && !/^(tmp|bin|\.hotwatch)([/\\]|$)/.test(path.relative(root, e.parentPath)))
      out.push(path.join(e.parentPath, e.name));
  }
  return out;
}

/**
 * Lines that say a build started: hotwatch's build.start at info level (its debug level adds a second
 * build.start line per build, with the command), a peer's marker line.
 */
const isBuildStart = (l) => (l.json?.event === 'build.start' && l.json.level >= 30) || l.text.includes(BUILD_MARK);
const buildsSince = (h, from) => h.lines.slice(from).filter(isBuildStart).length;

/** hotwatch's own account of the storm's batch (batch.timing, debug level), when it logs one. */
function hotwatchSteps(h, from) {
  const t = h.lines.slice(from).find((l) => l.json?.event === 'batch.timing');
  return t?.json;
}

async function oneLaunch(subject, { dirs, storms, say }) {
  const dir = makeTmpDir('storm');
  generateTree(dir, { dirs, filesPerDir: 10 });
  const files = treeFiles(dir);
  if (files.length < 1000) throw new Error(`the storm's tree has ${files.length} files: expected ${dirs * 10}`);
  const contents = files.map((f) => fs.readFileSync(f));
  const port = await freePort();
  const h = subject.start(dir, port, { markBuilds: true });
  const isDead = () => h.exit && `${subject.name} exited: ${h.tail(10)}`;
  const samples = [];
  try {
    await pollUntilServes(port, 'v0', { intervalMs: 10, timeoutMs: 120_000, isDead });
    await sleep(2000); // watches armed, the first build's follow-ups over
    for (let i = 0; i < storms; i++) {
      const version = `s${i + 1}`;
      const from = h.lines.length;
      for (let f = 0; f < files.length; f++) fs.writeFileSync(files[f], contents[f]);
      saveVersion(dir, version);
      const lastWrite = performance.now();
      const served = await pollUntilServes(port, version, { intervalMs: 2, timeoutMs: 60_000, isDead });
      await sleep(TAIL_MS);
      const s = { lastWriteToServingMs: served - lastWrite, builds: buildsSince(h, from), files: files.length };
      const start = h.lines.slice(from).find(isBuildStart);
      if (start) s.lastWriteToBuildStartMs = start.t - lastWrite;
      const steps = hotwatchSteps(h, from);
      if (steps) s.steps = { ...steps, buildStartMs: s.lastWriteToBuildStartMs };
      samples.push(s);
      say(
        `  ${subject.name} storm ${i + 1}: last write → serving ${s.lastWriteToServingMs.toFixed(0)} ms, ${s.builds} build(s)${s.steps ? `; ${describeSteps(s.steps)}` : ''}`,
      );
    }
    return samples;
  } finally {
    await h.stop({ graceMs: 10_000 });
    removeTmpDir(dir);
  }
}

function describeSteps(s) {
  const f = (k) => (typeof s[k] === 'number' ? `${s[k].toFixed(0)}` : '?');
  return `build.start ${f('buildStartMs')} ms after the last write; from the last event: window ${f('windowMs')} ms, timer late ${f('timerLateMs')}, barrier ${f('barrierMs')}, queued ${f('queuedMs')}, content check ${f('dedupeMs')} (${f('prehashed')} of ${f('events')} files hashed during the window), handed on at ${f('lastEventToDeliverMs')} ms`;
}

export async function stormScenario({ rounds, storms, dirs = 200, noTools, say }) {
  const subjects = [hotwatchSubject({ logLevel: 'debug' })];
  const other = process.env.HOTWATCH_BENCH_COMPARE ?? (process.env.HOTWATCH_BENCH_COMPARE_ENV ? HOTWATCH_BIN : undefined);
  if (other)
    subjects.push(hotwatchSubject({ logLevel: 'debug', bin: path.resolve(other), name: 'hotwatch-compare', extraEnv: compareEnv() }));
  const missing = [];
  if (!noTools) {
    const reflex = otherSubjects().found.find((t) => t.name === 'reflex');
    const entr = entrSubject();
    if (reflex) subjects.push(reflex);
    else missing.push('reflex');
    if (entr) subjects.push(entr);
    else missing.push('entr');
  }
  const samples = Object.fromEntries(subjects.map((s) => [s.name, []]));
  const errors = [];
  for (let r = 0; r < rounds; r++) {
    const order = subjects.map((_, i) => subjects[(i + r) % subjects.length]);
    for (const s of order) {
      try {
        samples[s.name].push(...(await oneLaunch(s, { dirs, storms, say })));
      } catch (e) {
        errors.push(`${s.name}: ${e.message ?? e}`);
        say(`  ${s.name}: ${e.message ?? e}`);
      }
    }
  }
  const result = { dirs, rounds, storms, missing, errors, subjects: {} };
  for (const s of subjects) {
    const xs = samples[s.name];
    result.subjects[s.name] = {
      version: s.version,
      lastWriteToServingMs: summary(xs.map((x) => x.lastWriteToServingMs)),
      lastWriteToBuildStartMs: median(xs.map((x) => x.lastWriteToBuildStartMs)),
      builds: { median: median(xs.map((x) => x.builds)), max: Math.max(0, ...xs.map((x) => x.builds)) },
      ...(xs.some((x) => x.steps) ? { steps: medianSteps(xs.map((x) => x.steps).filter(Boolean)) } : {}),
      samples: xs,
    };
  }
  result.report = renderStorm(result);
  return result;
}

/** The median of each numeric step over the storms. */
function medianSteps(all) {
  const keys = Object.keys(all[0] ?? {}).filter((k) => typeof all[0][k] === 'number');
  return Object.fromEntries(keys.map((k) => [k, median(all.map((x) => x[k]))]));
}

function renderStorm(r) {
  const lines = [
    `9. Storm: ${r.dirs} directories, every file rewritten (same content) then main.go edited; ${r.rounds} rounds × ${r.storms} storms`,
    `${'subject'.padEnd(20)}${'last write → serving (median, min–max)'.padEnd(42)}${'→ build start'.padEnd(16)}builds (median, max)`,
  ];
  for (const [name, s] of Object.entries(r.subjects)) {
    const t = s.lastWriteToServingMs;
    const range = t.n ? `${t.median.toFixed(0)} ms (${t.min.toFixed(0)}–${t.max.toFixed(0)}, n=${t.n})` : 'n/a';
    const start = s.lastWriteToBuildStartMs === undefined ? 'n/a' : `${s.lastWriteToBuildStartMs.toFixed(0)} ms`;
    lines.push(`${name.padEnd(20)}${range.padEnd(42)}${start.padEnd(16)}${s.builds.median ?? 'n/a'}, ${s.builds.max}`);
  }
  for (const [name, s] of Object.entries(r.subjects)) if (s.steps) lines.push(`${name} (medians): ${describeSteps(s.steps)}`);
  if (r.missing.length) lines.push(`not installed, not measured: ${r.missing.join(', ')}`);
  return lines.join('\n');
}
