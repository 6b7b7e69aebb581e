/**
 * The lean scenario's idle figure on the big tree (issue 19: idle costs nothing measurable, on the
 * 10,000-directory tree as on a small one): each build launched on the same generated tree, one edit
 * served (a session's last save), then CPU (schedstat of every thread of hotwatch and its inotify helper)
 * and wake-ups (context switches) over the idle window, as % of one core and per second. Interleaved
 * run by run with the compared build (HOTWATCH_BENCH_COMPARE), like the rest of the lean scenario.
 */
import { freePort, pollUntilServes, saveVersion } from '../lib/goapp.mjs';
import { startProcess } from '../lib/process.mjs';
import { watcherPids } from '../lib/procfs.mjs';
import { median } from '../lib/stats.mjs';
import { generateTree } from '../lib/tree.mjs';
import { makeTmpDir, removeTmpDir } from '../lib/cleanup.mjs';
import { sleep } from '../lib/wait.mjs';
import { idleWindow } from './lean.mjs';

/** One launch on `dir`: ready, serving, one edit served, then the idle window. */
async function idleOnce(bin, dir, idleSeconds, extraEnv) {
  const port = await freePort();
  const h = startProcess(process.execPath, [bin, 'run', '--log-format', 'json', '--root', dir], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), NO_COLOR: '1', ...extraEnv },
    name: 'hotwatch (big tree)',
  });
  try {
    await h.waitForLine((l) => l.json?.event === 'watch.ready', { timeoutMs: 120_000, description: 'watch.ready' });
    await pollUntilServes(port, 'v0', { timeoutMs: 120_000, isDead: () => h.exit && 'hotwatch exited' });
    await sleep(500);
    saveVersion(dir, 'v1');
    await pollUntilServes(port, 'v1', { timeoutMs: 60_000, isDead: () => h.exit && 'hotwatch exited' });
    await sleep(3000);
    const pids = watcherPids(h.pid);
    return await idleWindow(pids, idleSeconds);
  } finally {
    await h.stop({ graceMs: 15_000 });
    saveVersion(dir, 'v0');
  }
}

/** Idle CPU and wake-ups on a tree of `dirs` directories, per build: medians of `repeats`. */
export async function bigTreeIdle({ builds, dirs, repeats, idleSeconds, say }) {
  const dir = makeTmpDir('lean-big');
  try {
    const tree = generateTree(dir, { dirs, filesPerDir: 10 });
    const samples = Object.fromEntries(builds.map((b) => [b.name, []]));
    for (let i = 0; i < repeats; i++) {
      for (const b of i % 2 === 0 ? builds : [...builds].reverse()) {
        const s = await idleOnce(b.bin, dir, idleSeconds, b.env);
        samples[b.name].push(s);
        say(`  ${b.name} idle on ${tree.dirsWithRoot} dirs #${i + 1}: ${s.idleCpuPct.toFixed(3)}% ${s.wakeupsPerS.toFixed(1)}/s`);
      }
    }
    const out = { dirs: tree.dirsWithRoot, builds: {} };
    for (const b of builds) {
      out.builds[b.name] = {
        idleCpuPct: median(samples[b.name].map((s) => s.idleCpuPct)),
        wakeupsPerS: median(samples[b.name].map((s) => s.wakeupsPerS)),
        samples: samples[b.name],
      };
    }
    return out;
  } finally {
    removeTmpDir(dir);
  }
}
