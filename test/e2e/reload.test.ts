/**
 * The core loop, end to end: the built hotwatch on a temp Go module, real go build, real HTTP.
 * Issue 2, "what it must show" 1 and 2, plus content dedupe (a touch does not rebuild).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goMain, hotwatchSession, httpGet, startHotwatch } from '../helpers/hotwatch.js';
import { urgent } from '../helpers/urgent.js';

const session = hotwatchSession();
const { serves } = session;
const start = (args: string[] = []) => (session.hw = startHotwatch(args, { cwd: session.dir, env: { PORT: String(session.port) } }));

describe('hotwatch run (e2e)', () => {
  it('serves each saved edit; three edits 30 ms apart cost at most two builds', async () => {
    const hw = start();
    await serves('v1');
    await hw.waitForLog((l) => l.event === 'app.listening', 'the app listens');

    const mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'main.go'), goMain('v2'));
    await serves('v2');
    expect(hw.events('build.start', mark).length).toBe(1);

    // Three edits 30 ms apart: the debounce's 50 ms window must fold them into at most two builds. A busy
    // machine can fire a 30 ms timer 60 ms late, and edits 60 ms apart rightly build apart: the edits are
    // timed by spinning on the clock at a raised priority (urgent), and an attempt counts only when they
    // really were less than MAX_GAP_MS apart (without the priority, beside two CPU hogs and a second test
    // run, 1 attempt in 3 was not). Attempts start for up to 35 s.
    const MAX_GAP_MS = 45;
    const QUALIFYING_ATTEMPTS = 3;
    const threeBuilds: unknown[] = [];
    const gaps: number[][] = [];
    let version = 2;
    const until = performance.now() + 35_000;
    while (performance.now() < until) {
      const mark2 = hw.logs.length;
      const at: number[] = [];
      urgent(() => {
        const t0 = performance.now();
        for (let i = 0; i < 3; i++) {
          while (performance.now() < t0 + 30 * i); // spin: hotwatch runs in another process
          fs.writeFileSync(path.join(session.dir, 'main.go'), goMain(`v${++version}`));
          at.push(performance.now());
        }
      });
      await serves(`v${version}`);
      await hw.lastBuildListens(mark2, `the last build's app (v${version}) listens`);
      gaps.push([at[1]! - at[0]!, at[2]! - at[1]!].map(Math.round));
      if (Math.max(...gaps.at(-1)!) >= MAX_GAP_MS) continue;
      const builds = hw.events('build.start', mark2).length;
      expect(builds).toBeGreaterThanOrEqual(1);
      if (builds <= 2) return;
      // Three builds: the writes were close, but hotwatch itself may have read them late (on a shared CI
      // machine its helper or worker thread can be descheduled for tens of ms, after which the second
      // edit rightly counts as a new save). A debounce that does not fold would build three times on every
      // attempt; so three builds fail the test only when it happens on QUALIFYING_ATTEMPTS attempts.
      threeBuilds.push(
        hw.logs
          .slice(mark2)
          .filter((l) => l.event === 'build.start')
          .map((l) => [l.time, l.msg]),
      );
      console.log(`three builds for edits ${JSON.stringify(gaps.at(-1))} ms apart: ${JSON.stringify(threeBuilds.at(-1))}`);
      if (threeBuilds.length >= QUALIFYING_ATTEMPTS) {
        expect.fail(
          `three builds for three edits ${JSON.stringify(gaps.at(-1))} ms apart, on ${threeBuilds.length} attempts:\n${JSON.stringify(threeBuilds)}`,
        );
      }
    }
    if (threeBuilds.length > 0) expect.fail(`three builds on each of ${threeBuilds.length} attempts: ${JSON.stringify(threeBuilds)}`);
    throw new Error(`in 35 s this machine never wrote three edits less than ${MAX_GAP_MS} ms apart; gaps (ms): ${JSON.stringify(gaps)}`);
  }, 90_000);

  it('a syntax error leaves the old version serving; the fix serves the new one', async () => {
    const hw = start();
    await serves('v1');
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'main.go'), goMain('v2').replace('func main() {', 'func main() {\n\tthis is not go'));
    const failed = await hw.waitForLog((l) => l.event === 'build.failed', 'the build fails', { from: mark });
    expect(String(failed.output)).toMatch(/main\.go:\d+:\d+/);
    expect(failed.msg).toMatch(/previous version keeps serving/);
    expect(failed.msg).toMatch(/main\.go:\d+:\d+: /); // the first errors, on the failure line itself
    // Not streamed at info as well: the errors are printed once, under the failure line (debug streams them).
    expect(hw.events('build.output', mark)).toHaveLength(0);
    expect(await httpGet(session.port)).toBe('v=v1');
    expect(hw.events('app.stop', mark)).toHaveLength(0);

    fs.writeFileSync(path.join(session.dir, 'main.go'), goMain('v3'));
    await serves('v3');
  });

  it('a save that changes no bytes does not rebuild', async () => {
    const hw = start(['--log-level', 'debug']);
    await serves('v1');
    await hw.waitForLog((l) => l.event === 'content.seeded', 'the content index is seeded');
    const mark = hw.logs.length;
    const main = path.join(session.dir, 'main.go');
    fs.writeFileSync(main, fs.readFileSync(main)); // same bytes
    const now = new Date();
    fs.utimesSync(main, now, now); // touch
    await hw.waitForLog((l) => l.event === 'batch.unchanged', 'the unchanged batch is noticed', { from: mark });
    expect(hw.events('build.start', mark)).toHaveLength(0);
    // …and a real edit after it still builds.
    fs.writeFileSync(main, goMain('v2'));
    await serves('v2');
  });
});
