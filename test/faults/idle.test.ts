/**
 * The quiet baseline every fault case relies on (issue 3, "Sentinels" and the log contract): while idle,
 * the watchdog writes its sentinels on the interval, and that causes no build, no restart and no log line
 * at info or above; on exit the sentinel files are gone. The test watches the sentinel directory with its
 * own fs.watch to see the writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer } from '../helpers/faults-app.js';
import { faultCase } from '../helpers/faults-case.js';
import { expectNoSentinelBuilds, summarize } from '../helpers/faults-loud.js';
import { waitFor } from '../helpers/wait.js';

const fc = faultCase();

/** Every path under `dir` (no symlinks followed). */
function walk(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) walk(p, out);
  }
  return out;
}

describe('idle watchdog (faults baseline)', () => {
  it('sentinels cycle while idle: no build, nothing logged at info, sentinel files removed on exit', async () => {
    const app = await fc.app({ watchdog: 'watchdog:\n  interval: 200ms' });
    const hw = fc.start();
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    await hw.waitForLog((l) => l.event === 'app.listening', 'app.listening');
    const from = hw.logs.length;

    // Sentinels live in <root>/.hotwatch/watchdog/ (src/watch/watchdog/sentinel-files.ts), named .hotwatch-sentinel-<pid>-<n>.
    const sentinelDir = path.join(app.root, '.hotwatch', 'watchdog');
    await waitFor(() => fs.existsSync(sentinelDir), { description: `the sentinel directory ${sentinelDir}`, timeoutMs: 10_000 });
    const seen: string[] = [];
    const w = fs.watch(sentinelDir, (_t, name) => {
      if (name && /^\.hotwatch-sentinel/.test(name)) seen.push(name);
    });
    try {
      // 3 rounds at 200ms: 3 distinct sentinel names, or (if a name is reused) 9 events on it.
      await waitFor(() => new Set(seen).size >= 3 || seen.length >= 9, {
        description: `3 rounds of sentinel writes in ${sentinelDir}`,
        timeoutMs: 15_000,
      });
    } finally {
      w.close();
    }
    const since = hw.logs.slice(from);
    expect(hw.events('build.start', from), 'no build while idle').toEqual([]);
    expect(
      since.filter((l) => l.level >= 30),
      `nothing at info or above while idle:\n${summarize(since)}`,
    ).toEqual([]);

    const r = await hw.stop('SIGTERM');
    expect(r.code, 'hotwatch exits 0').toBe(0);
    const left = walk(app.root).filter((p) => /hotwatch-sentinel/.test(path.basename(p)));
    expect(left, 'sentinel files removed on exit').toEqual([]);
    expect(fs.existsSync(sentinelDir), 'the empty sentinel directory removed on exit').toBe(false);
    expectNoSentinelBuilds(hw);
  }, 60_000);
});
