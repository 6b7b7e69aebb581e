/**
 * Scenario 4: what the debounce quiet window must bridge. Real bursts are recorded with a raw
 * per-directory fs.watch (lib/dir-recorder.mjs): (a) `git checkout` between two branches that differ in
 * N files, (b) single saves: an atomic save (write temp + rename), a real vim save, and a save followed by
 * a real `gofmt -w` (format-on-save's double write). For each: time spread of the events and the
 * largest gap between consecutive events. A quiet window W turns a burst into ONE build iff W > max gap.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeTmpDir, removeTmpDir } from '../lib/cleanup.mjs';
import { startRecorder, isRelevant } from '../lib/dir-recorder.mjs';
import { goMain, writeGoApp } from '../lib/goapp.mjs';
import { findExecutable } from '../lib/subjects.mjs';
import { batchesFor, burstShape, median } from '../lib/stats.mjs';

/** Quiet windows to simulate (ms), with hotwatch's default maxWait. */
export const WINDOWS = [20, 50, 100, 300];
const MAX_WAIT_MS = 1000;

const run = promisify(execFile);
const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
};
const git = (cwd, ...args) =>
  run('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    env: GIT_ENV,
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });

/** A repo with `changed` files (10 per directory) that differ between main and other, plus as many unchanged ones. */
async function makeRepo(dir, changed) {
  writeGoApp(dir, 'v0');
  const dirs = Math.ceil(changed / 10);
  for (let d = 0; d < dirs; d++) {
    const sub = path.join(dir, 'pkg', `d${d}`);
    fs.mkdirSync(sub, { recursive: true });
    for (let f = 0; f < 10 && d * 10 + f < changed; f++)
      fs.writeFileSync(path.join(sub, `c${f}.go`), `package d${d}\n\nconst C${f} = "main"\n`);
    for (let f = 0; f < 10; f++) fs.writeFileSync(path.join(sub, `u${f}.go`), `package d${d}\n\nconst U${f} = 1\n`);
  }
  await git(dir, 'init', '-q');
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'main');
  await git(dir, 'checkout', '-q', '-b', 'other');
  for (let d = 0; d < dirs; d++) {
    for (let f = 0; f < 10 && d * 10 + f < changed; f++) {
      fs.writeFileSync(path.join(dir, 'pkg', `d${d}`, `c${f}.go`), `package d${d}\n\nconst C${f} = "other"\n`);
    }
  }
  await git(dir, 'commit', '-q', '-a', '-m', 'other');
  await git(dir, 'checkout', '-q', 'main');
}

/** Runs `action` under the recorder; shape of the relevant events (and of all events) it caused. */
async function recordBurst(rec, action) {
  await rec.settle({ quietMs: 100 });
  const from = rec.events.length;
  const t0 = performance.now();
  await action();
  const tDone = performance.now();
  await rec.settle({ quietMs: 300 });
  const all = rec.events.slice(from);
  const relevant = all.filter((e) => isRelevant(e.file));
  const times = relevant.map((e) => e.t);
  const shape = burstShape(times);
  const batches = {};
  for (const w of WINDOWS) batches[w] = batchesFor(times, w, MAX_WAIT_MS);
  return {
    ...shape,
    batches,
    // The same 50 ms window without the maxWait cap: separates "a gap was too long" from "the burst
    // lasted longer than maxWait".
    quietOnly50: batchesFor(times, 50, Infinity),
    files: new Set(relevant.map((e) => e.file)).size,
    allEvents: all.length,
    allSpreadMs: burstShape(all.map((e) => e.t)).spreadMs,
    actionMs: tDone - t0,
    lastAfterActionMs: relevant.length ? relevant[relevant.length - 1].t - tDone : undefined,
  };
}

function summarize(runs) {
  const pick = (k) => runs.map((r) => r[k]).filter((x) => Number.isFinite(x));
  return {
    runs: runs.length,
    events: median(pick('events')),
    files: median(pick('files')),
    allEvents: median(pick('allEvents')),
    spreadMs: median(pick('spreadMs')),
    maxSpreadMs: Math.max(...pick('spreadMs'), 0),
    maxGapMs: median(pick('maxGapMs')),
    worstGapMs: Math.max(...pick('maxGapMs'), 0),
    p99GapMs: median(pick('p99GapMs')),
    actionMs: median(pick('actionMs')),
    lastAfterActionMs: median(pick('lastAfterActionMs')),
    quietOnly50Worst: Math.max(...runs.map((r) => r.quietOnly50)),
    maxWaitMs: MAX_WAIT_MS,
    /** Per simulated quiet window: median and worst number of builds (maxWait 1s). */
    batches: Object.fromEntries(
      WINDOWS.map((w) => {
        const b = runs.map((r) => r.batches[w]);
        return [w, { median: median(b), worst: Math.max(...b) }];
      }),
    ),
  };
}

export async function burstsScenario({ changedFiles, checkouts, saves, say }) {
  const result = { changedFiles, kinds: {}, errors: [] };

  // (a) git checkout between two branches.
  const repo = makeTmpDir('checkout');
  try {
    await makeRepo(repo, changedFiles);
    const rec = startRecorder(repo);
    try {
      const runs = [];
      for (let i = 0; i < checkouts; i++) {
        const branch = i % 2 === 0 ? 'other' : 'main';
        runs.push(await recordBurst(rec, () => git(repo, 'checkout', '-q', branch)));
        const r = runs[runs.length - 1];
        say(
          `  git checkout ${branch}: ${r.events} events on ${r.files} files over ${r.spreadMs?.toFixed(0)} ms, largest gap ${r.maxGapMs?.toFixed(1)} ms (git ran ${r.actionMs.toFixed(0)} ms); builds at ${WINDOWS.map((w) => `${w}ms: ${r.batches[w]}`).join(', ')}`,
        );
      }
      result.kinds[`git checkout (${changedFiles} files)`] = summarize(runs);
      if (rec.errors.length) result.errors.push(...rec.errors.slice(0, 5));
    } finally {
      rec.close();
    }
  } finally {
    removeTmpDir(repo);
  }

  // (b) single saves of main.go.
  const mod = makeTmpDir('saves');
  try {
    writeGoApp(mod, 'v0');
    const main = path.join(mod, 'main.go');
    const rec = startRecorder(mod);
    const gofmt = findExecutable('gofmt');
    const vim = findExecutable('vim');
    try {
      const kinds = {
        'atomic save (temp + rename)': (i) => async () => {
          const tmp = path.join(mod, `.main.go.${process.pid}.tmp`);
          const fd = fs.openSync(tmp, 'w');
          fs.writeSync(fd, goMain(`a${i}`));
          fs.fsyncSync(fd);
          fs.closeSync(fd);
          fs.renameSync(tmp, main);
        },
      };
      // vim's rename-away save (backupcopy=no): the original is renamed to a backup, a new file is
      // written, the backup removed; the file briefly does not exist.
      kinds['rename-away save (as vim backupcopy=no)'] = (i) => async () => {
        fs.renameSync(main, `${main}~`);
        fs.writeFileSync(main, goMain(`b${i}`));
        fs.unlinkSync(`${main}~`);
      };
      if (vim) {
        // Real vim with no vimrc writes in place here (measured: two change events).
        kinds['vim :w (real vim -u NONE)'] = (i) => () =>
          run(
            vim,
            ['-Nu', 'NONE', '-i', 'NONE', '-n', '-es', '-c', `%s/const version = ".*"/const version = "vim${i}"/`, '-c', 'wq', main],
            { timeout: 30_000 },
          );
      }
      if (gofmt) {
        kinds['save + gofmt -w (double write)'] = (i) => async () => {
          // An unformatted save (as an editor writes it), then the formatter rewrites the file.
          fs.writeFileSync(main, goMain(`g${i}`).replace('const version =', 'const   version   ='));
          await run(gofmt, ['-w', main], { timeout: 30_000 });
        };
      }
      for (const [kind, make] of Object.entries(kinds)) {
        const runs = [];
        for (let i = 0; i < saves; i++) runs.push(await recordBurst(rec, make(i)));
        const s = summarize(runs);
        result.kinds[kind] = s;
        say(
          `  ${kind}: ${s.events} relevant events (${s.allEvents} in all) over ${s.spreadMs?.toFixed(1)} ms, worst gap ${s.worstGapMs.toFixed(1)} ms`,
        );
      }
      if (!vim) result.errors.push('vim not found: the vim save was not measured');
      if (!gofmt) result.errors.push('gofmt not found: the double write was not measured');
    } finally {
      rec.close();
    }
  } finally {
    removeTmpDir(mod);
  }
  return result;
}
