/**
 * Scenario 1: edit-to-serving latency. Each round edits the version const of a temp Go HTTP module
 * (so every build is real, never a cache hit) and times the write to the first HTTP answer with the new
 * version, polling on a fresh connection every ~2 ms. The bare baseline, measured in the same round on
 * its own copy of the module: `go build -o bin/app .` + start the binary + first answer.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeTmpDir, removeTmpDir } from '../lib/cleanup.mjs';
import { freePort, pollUntilServes, saveVersion, writeGoApp } from '../lib/goapp.mjs';
import { startProcess } from '../lib/process.mjs';
import { median, summary } from '../lib/stats.mjs';
import { sleep } from '../lib/wait.mjs';

const run = promisify(execFile);

/**
 * The bare loop with zero tool overhead, under the same conditions as the tools: the old binary keeps
 * serving and is polled every ~2 ms during the build; then `go build -o bin/app .`, stop the old app
 * (SIGTERM, await its exit), start the new binary, first answer. `state.app` is the running app.
 */
async function baselineRound(dir, port, version, state) {
  const t0 = performance.now();
  saveVersion(dir, version);
  const polling = new AbortController();
  const served = pollUntilServes(port, version, { timeoutMs: 120_000, signal: polling.signal });
  served.catch(() => undefined); // awaited below; a build failure must not leave it unhandled
  try {
    await run('go', ['build', '-o', 'bin/app', '.'], { cwd: dir, timeout: 120_000 });
  } catch (e) {
    polling.abort();
    throw new Error(`baseline go build failed: ${e.stderr || e.message}`);
  }
  const built = performance.now();
  if (state.app) await state.app.stop({ graceMs: 5000 });
  const stopped = performance.now();
  const app = startProcess(path.join(dir, 'bin/app'), [], { cwd: dir, env: { ...process.env, PORT: String(port) }, name: 'baseline app' });
  state.app = app;
  const t1 = await Promise.race([
    served,
    app.exited.then(() => {
      throw new Error(`the baseline app exited: ${app.tail(5)}`);
    }),
  ]).finally(() => polling.abort());
  return { totalMs: t1 - t0, buildMs: built - t0, stopMs: stopped - built, startToServeMs: t1 - stopped };
}

/** hotwatch's own account of one cycle, from its JSON log lines after index `from`. */
function hotwatchBreakdown(h, from, t0, served) {
  const line = (ev) => h.lines.slice(from).find((l) => l.json?.event === ev);
  const start = line('build.start');
  const done = line('build.done');
  const app = line('app.start');
  const stop = line('app.stop');
  return {
    detectMs: start ? start.t - t0 : undefined,
    buildMs: done?.json.buildMs,
    stopMs: app?.json.stopMs ?? stop?.json.stopMs,
    startMs: app?.json.startMs,
    builds: h.lines.slice(from).filter((l) => l.json?.event === 'build.start').length,
    doneToServeMs: done ? served - done.t : undefined,
  };
}

export async function latencyScenario({ rounds, pauseMs, subjects, say }) {
  const baseDir = makeTmpDir('baseline');
  const basePort = await freePort();
  writeGoApp(baseDir, 'v0');
  const running = [];
  const baseState = { app: undefined };
  try {
    for (const s of subjects) {
      const dir = makeTmpDir(s.name);
      writeGoApp(dir, 'v0');
      const port = await freePort();
      const h = s.start(dir, port);
      running.push({ s, dir, port, h, samples: [], breakdowns: [], errors: [] });
    }
    for (const r of running) {
      await pollUntilServes(r.port, 'v0', {
        intervalMs: 20,
        timeoutMs: 120_000,
        isDead: () => r.h.exit && `${r.s.name} exited: ${r.h.tail(10)}`,
      });
      say(`  ${r.s.name} serves v0`);
    }
    const base = [];
    await baselineRound(baseDir, basePort, 'v0', baseState);
    // Round 0 is a warm-up (build cache, page cache): measured, not counted.
    for (let i = 0; i <= rounds; i++) {
      const version = `r${i}`;
      // Each round rotates who edits first: the second build of a round runs on warmer caches (measured:
      // 8–25 ms faster), which a fixed order would hand to the same contender every time.
      let b;
      const contenders = [{ baseline: true }, ...running];
      const shift = i % contenders.length;
      for (const r of [...contenders.slice(shift), ...contenders.slice(0, shift)]) {
        await sleep(pauseMs);
        if (r.baseline) {
          b = await baselineRound(baseDir, basePort, version, baseState);
          if (i > 0) base.push({ ...b, round: i });
          continue;
        }
        const from = r.h.lines.length;
        const t0 = performance.now();
        saveVersion(r.dir, version);
        try {
          const served = await pollUntilServes(r.port, version, {
            timeoutMs: 60_000,
            isDead: () => r.h.exit && `${r.s.name} exited: ${r.h.tail(10)}`,
          });
          if (i > 0) {
            r.samples.push(served - t0);
            if (r.s.name.startsWith('hotwatch'))
              r.breakdowns.push({ ...hotwatchBreakdown(r.h, from, t0, served), round: i, totalMs: served - t0 });
          }
        } catch (e) {
          r.errors.push(String(e.message ?? e));
          say(`  ${r.s.name}: round ${i} failed: ${e.message}`);
          if (r.h.exit) break;
        }
      }
      say(
        `  round ${i}${i === 0 ? ' (warm-up)' : ''}: baseline ${b.totalMs.toFixed(0)} ms; ${running.map((r) => `${r.s.name} ${r.samples.length && i > 0 ? r.samples[r.samples.length - 1].toFixed(0) : '-'} ms`).join(', ')}`,
      );
      await sleep(pauseMs);
    }
    const result = {
      rounds,
      baseline: {
        totalMs: summary(base.map((b) => b.totalMs)),
        buildMs: summary(base.map((b) => b.buildMs)),
        stopMs: summary(base.map((b) => b.stopMs)),
        startToServeMs: summary(base.map((b) => b.startToServeMs)),
        samplesMs: base.map((b) => b.totalMs),
        nonBuildMs: median(base.map((b) => b.totalMs - b.buildMs)),
      },
      subjects: {},
    };
    for (const r of running) {
      const stop = await r.h.stop({ graceMs: 15_000 });
      const entry = {
        version: r.s.version,
        latencyMs: summary(r.samples),
        samplesMs: r.samples,
        overheadMs: median(r.samples) - result.baseline.totalMs.median,
        errors: r.errors,
        exit: { code: stop.code, signal: stop.signal },
      };
      if (r.breakdowns.length) {
        const k = (key) => median(r.breakdowns.map((b) => b[key]));
        entry.breakdownMs = {
          detect: k('detectMs'),
          build: k('buildMs'),
          stop: k('stopMs'),
          start: k('startMs'),
          doneToServe: k('doneToServeMs'),
        };
        entry.rounds = r.breakdowns.map((b) => ({ ...b, baseline: base.find((x) => x.round === b.round) }));
        entry.extraBuilds = r.breakdowns.filter((b) => b.builds > 1).length;
        // Build time varies by ±100 ms between rounds on a shared machine and drowns a difference of
        // medians; the time outside the build, edit by edit, does not.
        entry.nonBuildMs = median(r.samples.map((x, j) => x - (r.breakdowns[j]?.buildMs ?? NaN)));
        entry.nonBuildOverheadMs = entry.nonBuildMs - result.baseline.nonBuildMs;
        // Paired by round (the two builds of a round run a second apart): is hotwatch's `go build`
        // itself slower than the bare one (environment, spawn, its own work meanwhile)?
        const sameRound = (b) => base.find((x) => x.round === b.round);
        entry.pairedBuildDiffMs = median(r.breakdowns.filter(sameRound).map((b) => b.buildMs - sameRound(b).buildMs));
        entry.pairedTotalDiffMs = median(r.breakdowns.filter(sameRound).map((b) => b.totalMs - sameRound(b).totalMs));
      }
      result.subjects[r.s.name] = entry;
    }
    return result;
  } finally {
    await baseState.app?.stop({ graceMs: 5000 });
    for (const r of running) {
      await r.h.stop({ graceMs: 5000 });
      removeTmpDir(r.dir);
    }
    removeTmpDir(baseDir);
  }
}
