/**
 * A crash loop under run.onCrash: restart is visible and cheap (issue 17): an app that exits at once is
 * restarted with a backoff that grows to its cap, hotwatch and its whole process tree stay near idle over
 * 20 s (utime+stime from /proc, the reaped children's included), and one edit that fixes the crash serves
 * at once, without waiting for the backoff, and `hotwatch status --check` says healthy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { freePort, goMain, runCli, startHotwatch, type Hotwatch } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';

const CRASHER = 'package main\n\nimport "os"\n\nfunc main() { os.Exit(3) }\n';
const TICKS = 100; // USER_HZ on Linux

let hw: Hotwatch | undefined;
let tmp: ReturnType<typeof makeTmpDir> | undefined;
afterEach(async () => {
  await hw?.stop();
  tmp?.cleanup();
});

/** utime+stime (and cutime+cstime: the children it reaped) of pid, in ticks; 0 when it is gone. */
function cpuTicks(pid: number, withChildren: boolean): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the comm: state is field 3, so utime (14) is index 11, stime 12, cutime 13, cstime 14.
    const own = Number(f[11]) + Number(f[12]);
    return withChildren ? own + Number(f[13]) + Number(f[14]) : own;
  } catch {
    return 0;
  }
}

function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) if (pp === p) out.push(c), walk(c);
  };
  walk(root);
  return out;
}

/** The tree's CPU: hotwatch with what it reaped, and its live descendants. */
const treeTicks = (pid: number): number => cpuTicks(pid, true) + descendants(pid).reduce((n, c) => n + cpuTicks(c, true), 0);

it('a crash loop backs off to its cap, costs little CPU over 20 s, and the fixing edit serves at once', async () => {
  tmp = makeTmpDir('hotwatch-crashcpu-');
  const dir = tmp.dir;
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
  fs.writeFileSync(path.join(dir, 'main.go'), CRASHER);
  fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), 'run:\n  onCrash: restart\n  backoffInitial: 200ms\n  backoffMax: 2s\n');
  const port = await freePort();
  hw = startHotwatch([], { cwd: dir, env: { PORT: String(port) }, waitTimeoutMs: 60_000 });
  await hw.waitForLog(() => hw!.events('app.exit').length >= 2, 'the loop starts');

  const t0 = performance.now();
  const before = treeTicks(hw.pid);
  await new Promise((r) => setTimeout(r, 20_000));
  const cpuS = (treeTicks(hw.pid) - before) / TICKS;
  const wallS = (performance.now() - t0) / 1000;
  const exits = hw.events('app.exit');
  // Backoff doubles up to the cap, then stays there: ~10 restarts in 20 s, not thousands.
  expect(exits.slice(0, 5).map((e) => e.restartInMs)).toEqual([200, 400, 800, 1600, 2000]);
  expect(Math.max(...exits.map((e) => Number(e.restartInMs)))).toBe(2000);
  expect(exits.length).toBeLessThan(20);
  // The whole tree: under 5% of one core on average (measured ~1%).
  expect(cpuS / wallS, `${cpuS} s of CPU in ${wallS.toFixed(1)} s`).toBeLessThan(0.05);

  const check = await runCli(['status', '--check'], { cwd: dir });
  expect(check.code).toBe(1);
  expect(check.stdout + check.stderr).toMatch(/crash loop/);

  // The fix: built and served at once (the backoff is for crashes, not for edits).
  const from = hw.logs.length;
  const edit = Date.now();
  fs.writeFileSync(path.join(dir, 'main.go'), goMain('fixed'));
  await hw.waitForLog((l) => l.event === 'app.listening', 'the fix serves', { from });
  expect(Date.now() - edit).toBeLessThan(10_000);
  await waitFor(async () => (await runCli(['status', '--check'], { cwd: dir })).code === 0, {
    description: 'status --check healthy once the fix serves',
    timeoutMs: 5_000,
  });
}, 90_000);
