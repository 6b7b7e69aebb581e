/**
 * Scenario 2: cost of watching a big tree (10,000 directories, 100,000 files by default): time to ready,
 * inotify watches (counted from /proc/PID/fdinfo) and RSS (VmRSS) of hotwatch, beside the raw
 * libraries (chokidar 5 defaults, @parcel/watcher inotify) and any other tool found, each in its own
 * process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, pollUntilServes, saveVersion } from '../lib/goapp.mjs';
import { startProcess } from '../lib/process.mjs';
import { watcherFootprint } from '../lib/procfs.mjs';
import { median, summary } from '../lib/stats.mjs';
import { sleep } from '../lib/wait.mjs';
import { threadCost } from './lean.mjs';

/** The idle window measured after the edit (CPU and wake-ups of hotwatch and its helper). */
const IDLE_MS = 10_000;

const CHILDREN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../children');

/** What hotwatch (.hotwatch/), air (tmp/, build-errors.log) and reflex/nodemon (tmp/) leave in the root. */
function removeOutputs(root) {
  for (const p of ['.hotwatch', 'tmp', 'build-errors.log']) fs.rmSync(path.join(root, p), { recursive: true, force: true });
}

/**
 * For tools that do not say when they are ready: the moment their inotify watch count reached the value
 * it then kept for `stableMs`. Returns {readyMs, watches} or throws after `timeoutMs`.
 */
async function watchCountSettles(h, { stableMs = 1500, timeoutMs = 120_000 } = {}) {
  let last = -1;
  let changedAt = performance.now();
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (h.exit) throw new Error(`${h.name} exited (${h.exit.code ?? h.exit.signal}): ${h.tail(10)}`);
    const now = performance.now();
    const w = watcherFootprint(h.pid).watches ?? 0;
    if (w !== last) {
      last = w;
      changedAt = now;
    } else if (w > 0 && now - changedAt >= stableMs) {
      return { readyMs: changedAt - h.startedAt, watches: w };
    }
    if (now > deadline) throw new Error(`${h.name}: inotify watch count still changing after ${timeoutMs} ms (at ${w})`);
    await sleep(25);
  }
}

async function measureHotwatch(hotwatch, tree, say) {
  const port = await freePort();
  const h = hotwatch.start(tree.root, port);
  try {
    const ready = await h.waitForLine((l) => l.json?.event === 'watch.ready', { timeoutMs: 120_000, description: 'watch.ready' });
    const atReady = watcherFootprint(h.pid);
    await pollUntilServes(port, 'v0', { intervalMs: 20, timeoutMs: 120_000, isDead: () => h.exit && 'hotwatch exited' });
    // One edit on the big tree: the loop still works and is still quick with 10,000 watched dirs.
    await sleep(300);
    const t0 = performance.now();
    saveVersion(tree.root, 'v1');
    const served = await pollUntilServes(port, 'v1', { timeoutMs: 60_000, isDead: () => h.exit && 'hotwatch exited' });
    await sleep(2000);
    const settled = watcherFootprint(h.pid);
    // Idle on the big tree (issue 19): CPU and wake-ups of every thread of hotwatch and its helper.
    const a = threadCost(settled.pids);
    const i0 = performance.now();
    await sleep(IDLE_MS);
    const b = threadCost(settled.pids);
    const idleS = (performance.now() - i0) / 1000;
    const r = {
      idleCpuPct: ((b.ns - a.ns) / 1e9 / idleS) * 100,
      wakeupsPerS: (b.switches - a.switches) / idleS,
      readyMs: ready.json.readyMs,
      wallReadyMs: ready.t - h.startedAt,
      backend: ready.json.backend,
      reportedWatches: ready.json.watches,
      reportedDirs: ready.json.dirs,
      watches: atReady.watches,
      instances: atReady.instances,
      rssMb: atReady.rssMb,
      settledRssMb: settled.rssMb,
      peakRssMb: settled.hwmMb,
      editToServeMs: served - t0,
    };
    say(
      `  ${hotwatch.name}: ready ${r.readyMs?.toFixed?.(0)} ms (wall ${r.wallReadyMs.toFixed(0)}), ${r.watches} watches, ${r.rssMb?.toFixed(0)} MB, edit→serving ${r.editToServeMs.toFixed(0)} ms, idle ${r.idleCpuPct.toFixed(3)}% ${r.wakeupsPerS.toFixed(1)}/s`,
    );
    return r;
  } finally {
    const stop = await h.stop({ graceMs: 15_000 });
    if (stop.code !== 0) say(`  hotwatch exited with ${stop.code ?? stop.signal} on SIGTERM:\n${h.tail(10)}`);
    saveVersion(tree.root, 'v0'); // the next run starts from v0 again
    removeOutputs(tree.root); // and every watcher sees the same tree
  }
}

async function measureLibrary(name, script, tree, timeoutMs, say) {
  const h = startProcess(process.execPath, [path.join(CHILDREN, script), tree.root], { name });
  try {
    const ready = await h.waitForLine((l) => l.json?.event === 'ready' || l.json?.event === 'failed', { timeoutMs, description: 'ready' });
    if (ready.json.event === 'failed') throw new Error(`${name}: ${ready.json.error}`);
    const fp = watcherFootprint(h.pid);
    const r = {
      readyMs: ready.json.readyMs,
      wallReadyMs: ready.t - h.startedAt,
      watches: fp.watches,
      rssMb: fp.rssMb,
      peakRssMb: fp.hwmMb,
      errors: ready.json.errors,
    };
    say(
      `  ${name}: ready ${r.readyMs.toFixed(0)} ms, ${r.watches} watches, ${r.rssMb?.toFixed(0)} MB${r.errors ? `, ${r.errors} errors (${ready.json.firstError})` : ''}`,
    );
    return r;
  } finally {
    await h.stop({ graceMs: 30_000 });
  }
}

async function measureTool(tool, tree, say) {
  const port = await freePort();
  const h = tool.start(tree.root, port);
  try {
    let readyMs;
    let how;
    if (tool.readyLine) {
      const line = await h.waitForLine((l) => tool.readyLine(l.text), { timeoutMs: 180_000, description: 'its ready line' });
      readyMs = line.t - h.startedAt;
      how = `ready line "${line.text
        .replace(/\x1b\[[0-9;]*m/g, '')
        .trim()
        .slice(0, 40)}"`;
      await sleep(1000); // let the footprint settle as it would after ready
    } else {
      readyMs = (await watchCountSettles(h)).readyMs;
      how = 'watch count settled';
    }
    const fp = watcherFootprint(h.pid);
    const r = { readyMs, wallReadyMs: readyMs, watches: fp.watches, rssMb: fp.rssMb, peakRssMb: fp.hwmMb, readyBy: how };
    say(`  ${tool.name}: ready after ${readyMs.toFixed(0)} ms (${how}), ${r.watches} watches, ${r.rssMb?.toFixed(0)} MB`);
    return r;
  } finally {
    await h.stop({ graceMs: 10_000 });
    removeOutputs(tree.root);
  }
}

const agg = (runs, key) => summary(runs.map((r) => r[key]));

function aggregate(runs) {
  if (runs.length === 0) return undefined;
  const keys = Object.keys(runs[0]).filter((k) => typeof runs[0][k] === 'number');
  const out = { runs: runs.length };
  for (const k of keys) out[k] = median(runs.map((r) => r[k]));
  out.readyMsRange = agg(runs, 'readyMs');
  for (const k of Object.keys(runs[0]).filter((k) => typeof runs[0][k] === 'string')) out[k] = runs[0][k];
  return out;
}

async function repeat(n, fn, errors, label) {
  const runs = [];
  for (let i = 0; i < n; i++) {
    try {
      runs.push(await fn());
    } catch (e) {
      errors.push(`${label}: ${e.message ?? e}`);
    }
  }
  return runs;
}

export async function bigTreeScenario({ tree, repeats, libRepeats, chokidar, hotwatch, compare, tools, say }) {
  const errors = [];
  const result = { tree: { dirs: tree.dirsWithRoot, files: tree.files }, subjects: {}, libraries: {}, errors };
  say(`  tree: ${tree.dirsWithRoot} directories (with the root), ${tree.files} files`);
  // Round by round, so hotwatch (and the build it is compared with: HOTWATCH_BENCH_COMPARE) and the other
  // tools (air, reflex: spawn → ready, issue 19) are measured under the same load; the order rotates.
  const builds = [hotwatch, compare].filter(Boolean);
  const runs = Object.fromEntries([...builds, ...tools].map((s) => [s.name, []]));
  for (let i = 0; i < repeats; i++) {
    const order = [...(i % 2 === 0 ? builds : [...builds].reverse()), ...tools.map((_, k) => tools[(k + i) % tools.length])];
    for (const s of order) {
      const measure = builds.includes(s) ? () => measureHotwatch(s, tree, say) : () => measureTool(s, tree, say);
      runs[s.name].push(...(await repeat(1, measure, errors, s.name)));
    }
  }
  for (const s of [...builds, ...tools]) result.subjects[s.name] = aggregate(runs[s.name]);
  result.libraries['@parcel/watcher (inotify)'] = aggregate(
    await repeat(libRepeats, () => measureLibrary('@parcel/watcher', 'parcel-ready.mjs', tree, 60_000, say), errors, '@parcel/watcher'),
  );
  if (chokidar) {
    result.libraries['chokidar 5 (defaults)'] = aggregate(
      await repeat(1, () => measureLibrary('chokidar', 'chokidar-ready.mjs', tree, 180_000, say), errors, 'chokidar'),
    );
  }
  return result;
}
