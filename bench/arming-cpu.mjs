#!/usr/bin/env node
/**
 * The big tree's start-up as CPU, which a shared, loaded machine disturbs far less than wall clock (issue
 * 19: launch → watching ready against air and reflex). Launches this build of hotwatch, and
 * HOTWATCH_BENCH_COMPARE's when set, alternating, on a 10,000-directory tree (the tree scenario's, made
 * once in a temp dir), and reads at the `watch.ready` line: spawn → ready (wall), the arming alone
 * (`readyMs`), and the CPU time so far of node and of its inotify helper (/proc schedstat).
 *
 *   HOTWATCH_BENCH_COMPARE=/work/base/bin/hotwatch.js node bench/arming-cpu.mjs [--launches 5] [--dirs 10000]
 *
 * Each launch's first build runs beside the arming, as in a real start; one launch of each build first, not
 * counted, warms the go build cache for the fresh tree. Medians at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from './lib/goapp.mjs';
import { watcherPids } from './lib/procfs.mjs';
import { startProcess } from './lib/process.mjs';
import { median } from './lib/stats.mjs';
import { HOTWATCH_BIN } from './lib/subjects.mjs';
import { generateTree } from './lib/tree.mjs';
import { threadCost } from './scenarios/lean.mjs';

const { values } = parseArgs({ options: { launches: { type: 'string' }, dirs: { type: 'string' } } });
const launches = Number(values.launches ?? 5);
const dirs = Number(values.dirs ?? 10_000);
const bins = [HOTWATCH_BIN, process.env.HOTWATCH_BENCH_COMPARE].filter(Boolean).map((b) => path.resolve(b));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hotwatch-arming-cpu-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const tree = generateTree(tmp, { dirs, filesPerDir: 10 });
process.stderr.write(`tree: ${tree.dirsWithRoot} directories, ${tree.files} files\n`);

/** CPU ms of node (every thread) and of its helper, read now. */
function cpuMs(pid) {
  const [node, ...helpers] = watcherPids(pid);
  return { node: threadCost([node]).ns / 1e6, helper: threadCost(helpers).ns / 1e6 };
}

async function launch(bin) {
  fs.rmSync(path.join(tree.root, '.hotwatch'), { recursive: true, force: true });
  const port = await freePort();
  const h = startProcess(process.execPath, [bin, 'run', '--log-format', 'json', '--root', tree.root], {
    cwd: tree.root,
    env: { ...process.env, PORT: String(port), NO_COLOR: '1' },
    name: 'hotwatch',
  });
  try {
    const ready = await h.waitForLine((l) => l.json?.event === 'watch.ready', { timeoutMs: 120_000, description: 'watch.ready' });
    return { wallMs: ready.t - h.startedAt, readyMs: ready.json.readyMs, ...cpuMs(h.pid) };
  } finally {
    await h.stop({ graceMs: 15_000 });
  }
}

for (const bin of bins) await launch(bin); // warm-up: the fresh tree's first go build
const runs = new Map(bins.map((b) => [b, []]));
for (let i = 0; i < launches; i++) {
  for (const bin of i % 2 === 0 ? bins : [...bins].reverse()) {
    const r = await launch(bin);
    runs.get(bin).push(r);
    process.stderr.write(
      `${bin}: wall ${r.wallMs.toFixed(0)} ms, readyMs ${r.readyMs}, cpu node ${r.node.toFixed(0)} ms, helper ${r.helper.toFixed(0)} ms\n`,
    );
  }
}
for (const [bin, rs] of runs) {
  const m = (k) => median(rs.map((r) => r[k])).toFixed(0);
  process.stdout.write(
    `${bin}: medians of ${rs.length}: wall ${m('wallMs')} ms, readyMs ${m('readyMs')}, cpu at ready: node ${m('node')} ms, helper ${m('helper')} ms\n`,
  );
}
