/**
 * Where an idle hotwatch's CPU goes, thread by thread (issue 19, idle CPU): launches the built CLI on a
 * generated module (`--dirs`, 200 by default), serves, makes one edit, waits 3 s, then samples every
 * thread of hotwatch and its inotify helper (`/proc/PID/task/TID/schedstat`: run time; `status`:
 * context switches) each second over `--seconds` (60), and prints per thread its name, CPU (ms) and
 * wake-ups over the window, and the seconds in which it ran. `--bin` measures another build;
 * `--node-flags "..."` passes flags to node. Not part of `npm run bench`: a tool to find what to cut.
 *   node bench/idle-threads.mjs [--dirs 200] [--seconds 60] [--bin path/to/bin/hotwatch.js] [--every 1] [--settle 0.5 (s from serving to the edit)]
 *     [--wait 0 (s more before the window: 40 measures a quiet minute, past the edit's tail)]
 * It also prints the RSS of hotwatch + helper 2 s after the edit and after the window.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { makeTmpDir, removeTmpDir } from './lib/cleanup.mjs';
import { freePort, pollUntilServes, saveVersion } from './lib/goapp.mjs';
import { startProcess } from './lib/process.mjs';
import { memoryMb, watcherPids } from './lib/procfs.mjs';
import { HOTWATCH_BIN } from './lib/subjects.mjs';
import { generateTree } from './lib/tree.mjs';
import { sleep } from './lib/wait.mjs';

const { values: a } = parseArgs({
  options: {
    dirs: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    every: { type: 'string', default: '1' },
    bin: { type: 'string', default: HOTWATCH_BIN },
    'node-flags': { type: 'string', default: '' },
    env: { type: 'string', default: '' },
    settle: { type: 'string', default: '0.5' },
    wait: { type: 'string', default: '0' },
  },
});

/** tid → {pid, comm, ns, sw} for every thread of `pids`. */
function sample(pids) {
  const out = new Map();
  for (const pid of pids) {
    let tasks;
    try {
      tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    const pcomm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    for (const t of tasks) {
      try {
        const ns = Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
        const status = fs.readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
        let sw = 0;
        for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)) sw += Number(m[1]);
        const comm = fs.readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
        out.set(t, { pid, who: `${pcomm}/${comm}`, ns, sw });
      } catch {
        // ended
      }
    }
  }
  return out;
}

const dir = makeTmpDir('idle-threads');
generateTree(dir, { dirs: Number(a.dirs), filesPerDir: 10 });
const port = await freePort();
const extraEnv = Object.fromEntries(
  a.env
    .split(/\s+/)
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const nodeFlags = a['node-flags'].split(/\s+/).filter(Boolean);
const h = startProcess(process.execPath, [...nodeFlags, a.bin, 'run', '--log-format', 'json', '--root', dir], {
  cwd: dir,
  env: { ...process.env, PORT: String(port), NO_COLOR: '1', ...extraEnv },
  name: 'hotwatch',
});
try {
  await h.waitForLine((l) => l.json?.event === 'watch.ready', { timeoutMs: 120_000, description: 'watch.ready' });
  await pollUntilServes(port, 'v0', { timeoutMs: 120_000, isDead: () => h.exit && 'hotwatch exited' });
  await sleep(Number(a.settle) * 1000);
  const editLine = h.lines.length;
  saveVersion(dir, 'v1');
  await pollUntilServes(port, 'v1', { timeoutMs: 60_000, isDead: () => h.exit && 'hotwatch exited' });
  await sleep(2000);
  const rss = (ps) => ps.reduce((sum, p) => sum + (memoryMb(p)?.rssMb ?? 0), 0);
  const rssAfterEdit = rss(watcherPids(h.pid));
  await sleep(1000 + Number(a.wait) * 1000);
  const pids = watcherPids(h.pid);
  const seconds = Number(a.seconds);
  const every = Number(a.every);
  const first = sample(pids);
  let prev = first;
  const per = new Map(); // tid → [ms per step]
  const swPer = new Map();
  const t0 = performance.now();
  for (let i = 0; i < seconds / every; i++) {
    await sleep(every * 1000);
    const cur = sample(pids);
    for (const [t, c] of cur) {
      const p = prev.get(t);
      if (!per.has(t)) {
        per.set(t, []);
        swPer.set(t, []);
      }
      per.get(t).push(p ? (c.ns - p.ns) / 1e6 : c.ns / 1e6);
      swPer.get(t).push(p ? c.sw - p.sw : c.sw);
    }
    prev = cur;
  }
  const wall = (performance.now() - t0) / 1000;
  console.log(`RSS (hotwatch + helper): 2 s after the edit ${rssAfterEdit.toFixed(1)} MB, after the window ${rss(pids).toFixed(1)} MB`);
  let totalMs = 0;
  let totalSw = 0;
  for (const [t, c] of prev) {
    const f = first.get(t);
    const ms = (c.ns - (f?.ns ?? 0)) / 1e6;
    const sw = c.sw - (f?.sw ?? 0);
    totalMs += ms;
    totalSw += sw;
    if (ms === 0 && sw === 0) continue;
    const when = per
      .get(t)
      .map((v, i) => (v > 0.05 ? `${(i * every).toFixed(0)}:${v.toFixed(1)}/${swPer.get(t)[i]}` : ''))
      .filter(Boolean)
      .join(' ');
    console.log(`${c.who.padEnd(34)} tid ${t.padEnd(8)} ${ms.toFixed(1).padStart(7)} ms ${String(sw).padStart(5)} sw  ${when}`);
  }
  console.log(
    `total ${totalMs.toFixed(1)} ms over ${wall.toFixed(1)} s = ${((totalMs / 1000 / wall) * 100).toFixed(3)}% of a core; ${(totalSw / wall).toFixed(2)} wake-ups/s`,
  );
  // Lines printed from the edit on (log events; with --node-flags=--trace-gc, V8's GC lines), seconds from the window's start.
  for (const l of h.lines.slice(editLine)) console.log(`  +${((l.t - t0) / 1000).toFixed(1)} s ${l.json?.event ?? l.text}`);
} finally {
  await h.stop({ graceMs: 10_000 });
  removeTmpDir(dir);
}
