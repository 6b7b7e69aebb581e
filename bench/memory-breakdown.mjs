#!/usr/bin/env node
/**
 * Issue 19 (memory): where hotwatch's RSS goes, beside an idle `node` measured the same way.
 *
 *   node bench/memory-breakdown.mjs [--bin bin/hotwatch.js] [--dirs 200] [--rounds 2]
 *
 * Each round: an idle `node`, then hotwatch on a fresh generated module (bench/lib/tree.mjs), measured at
 * `watch.ready` and 2 s after an edit has been served. For each: RSS split into anonymous and file-backed
 * (/proc/PID/smaps_rollup), the node binary's resident pages (its code and read-only data: built-in
 * modules' sources, ICU), glibc's main heap ([heap]), V8's heap by space (v8.getHeapSpaceStatistics(),
 * physical/used) and process.memoryUsage()'s external; and the inotify helper's RSS. The V8 figures come
 * from a probe loaded with `node --import` that answers SIGWINCH (hotwatch ignores it outside PID 1),
 * so the probe is in both columns: in the idle node it also loads the ESM loader (~3 MB of RSS; 42.6 against
 * 39.4 MB without it), which hotwatch, an ES module, loads anyway.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { makeTmpDir, removeTmpDir } from './lib/cleanup.mjs';
import { freePort, pollUntilServes, saveVersion } from './lib/goapp.mjs';
import { startProcess } from './lib/process.mjs';
import { watcherPids } from './lib/procfs.mjs';
import { generateTree } from './lib/tree.mjs';
import { sleep } from './lib/wait.mjs';

const { values } = parseArgs({
  options: { bin: { type: 'string' }, dirs: { type: 'string' }, rounds: { type: 'string' } },
});
const BIN = path.resolve(values.bin ?? path.join(import.meta.dirname, '..', 'bin', 'hotwatch.js'));
const DIRS = Number(values.dirs ?? 200);
const ROUNDS = Number(values.rounds ?? 2);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hotwatch-membreak-'));
const PROBE = path.join(work, 'probe.mjs');
fs.writeFileSync(
  PROBE,
  `import fs from 'node:fs';
import v8 from 'node:v8';
process.on('SIGWINCH', () => {
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name.replace(/_space$/, ''), [s.physical_space_size, s.space_used_size]]));
  fs.writeFileSync(process.env.MEMBREAK_OUT, JSON.stringify({ mu: process.memoryUsage(), spaces }));
});
`,
);

const kbOf = (text, key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);

/** RSS of `pid` by kind, in MB. */
function procFigures(pid) {
  const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  let nodeFile = 0;
  let brk = 0;
  let current = '';
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) current = head[1];
    else if (line.startsWith('Rss:')) {
      const kb = Number(line.split(/\s+/)[1]);
      if (current === process.execPath || current === fs.realpathSync(process.execPath)) nodeFile += kb;
      else if (current === '[heap]') brk += kb;
    }
  }
  const mb = (kb) => kb / 1024;
  return { rss: mb(kbOf(rollup, 'Rss')), anon: mb(kbOf(rollup, 'Anonymous')), nodeBinary: mb(nodeFile), mallocHeap: mb(brk) };
}

/** The probe's V8 figures of `pid` (SIGWINCH, then its file). */
async function v8Figures(pid, out) {
  fs.rmSync(out, { force: true });
  process.kill(pid, 'SIGWINCH');
  for (let i = 0; i < 100 && !fs.existsSync(out); i++) await sleep(20);
  await sleep(30);
  const { mu, spaces } = JSON.parse(fs.readFileSync(out, 'utf8'));
  const mb = (b) => b / 1048576;
  const v = { heapTotal: mb(mu.heapTotal), heapUsed: mb(mu.heapUsed), external: mb(mu.external) };
  for (const [name, [phys, used]] of Object.entries(spaces)) if (phys > 0) v[name] = [mb(phys), mb(used)];
  return v;
}

async function measure(pid, out, extraPids = []) {
  const v = await v8Figures(pid, out);
  const p = procFigures(pid);
  const helper = extraPids.reduce((sum, x) => sum + procFigures(x).rss, 0);
  return { ...p, helper, ...v };
}

async function idleNode(round) {
  const out = path.join(work, `node-${round}.json`);
  const h = startProcess(process.execPath, ['--import', PROBE, '-e', 'setInterval(() => {}, 1 << 30)'], {
    env: { ...process.env, MEMBREAK_OUT: out },
    name: 'idle node',
  });
  try {
    await sleep(1500);
    return await measure(h.pid, out);
  } finally {
    await h.stop({ graceMs: 2000 });
  }
}

async function hotwatch(round) {
  const dir = makeTmpDir('membreak');
  generateTree(dir, { dirs: DIRS, filesPerDir: 10 });
  const port = await freePort();
  const out = path.join(work, `hotwatch-${round}.json`);
  const h = startProcess(process.execPath, ['--import', PROBE, BIN, 'run', '--log-format', 'json', '--root', dir], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), NO_COLOR: '1', MEMBREAK_OUT: out },
    name: 'hotwatch',
  });
  const others = () => watcherPids(h.pid).filter((p) => p !== h.pid);
  try {
    await h.waitForLine((l) => l.json?.event === 'watch.ready', { timeoutMs: 60_000, description: 'watch.ready' });
    const ready = await measure(h.pid, out, others());
    await pollUntilServes(port, 'v0', { timeoutMs: 60_000, isDead: () => h.exit && 'hotwatch exited' });
    await sleep(500);
    saveVersion(dir, 'v1');
    await pollUntilServes(port, 'v1', { timeoutMs: 60_000, isDead: () => h.exit && 'hotwatch exited' });
    await sleep(2000);
    return { ready, afterEdit: await measure(h.pid, out, others()) };
  } finally {
    await h.stop({ graceMs: 10_000 });
    removeTmpDir(dir);
  }
}

const f = (x) => (Array.isArray(x) ? `${x[0].toFixed(1)}/${x[1].toFixed(1)}` : x === undefined ? '-' : x.toFixed(1));
const ROWS = [
  ['rss', 'RSS (this process)'],
  ['helper', 'inotify helper RSS'],
  ['anon', 'anonymous'],
  ['nodeBinary', "node binary's resident pages"],
  ['mallocHeap', "glibc's main heap ([heap])"],
  ['heapTotal', 'V8 heap total'],
  ['heapUsed', 'V8 heap used'],
  ['new', 'V8 new space (physical/used)'],
  ['old', 'V8 old space'],
  ['code', 'V8 code space'],
  ['large_object', 'V8 large objects'],
  ['external', 'external (buffers, external strings)'],
];
try {
  console.log(`memory breakdown: ${BIN}, ${DIRS} directories, ${ROUNDS} round(s), MB`);
  for (let r = 0; r < ROUNDS; r++) {
    const node = await idleNode(r);
    const hw = await hotwatch(r);
    console.log(`\nround ${r + 1}`);
    console.log(`${''.padEnd(40)}${'idle node'.padEnd(14)}${'hw at ready'.padEnd(14)}hw 2 s after an edit`);
    for (const [k, label] of ROWS)
      console.log(`${label.padEnd(40)}${f(node[k]).padEnd(14)}${f(hw.ready[k]).padEnd(14)}${f(hw.afterEdit[k])}`);
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
