/**
 * Issue 3, "what it must show" 4: bursts that lose events.
 *   - the kernel queue (max_queued_events = 16,384, global: never written here): hotwatch is SIGSTOPped,
 *     20,000 files are created with content (≥ 40,000 events) in already-watched directories, then main.go
 *     and src/version.go are edited (their events are certainly dropped: the queue is full), SIGCONT →
 *     the final version serves (informationally: which rescan or diagnosis was logged);
 *   - the ring buffer (watch.bufferCapacity: 16) and a burst of 500 relevant files around an edit of
 *     main.go → the final version serves.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { answer, mainGo, pkgGo } from '../helpers/faults-app.js';
import { faultCase } from '../helpers/faults-case.js';
import { expectNoSentinelBuilds, summarize } from '../helpers/faults-loud.js';
import { pause } from '../helpers/faults-proc.js';

const fc = faultCase();

const interesting = (event: unknown) => /^(watch\.|build\.start)/.test(String(event));

describe('event bursts (faults)', () => {
  it('kernel queue overflow while hotwatch is stopped: the final version serves after SIGCONT', async () => {
    const app = await fc.app();
    const dirs = ['data/a', 'data/b'].map((d) => path.join(app.root, d));
    for (const d of dirs) fs.mkdirSync(d, { recursive: true });
    const hw = fc.start();
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    await hw.waitForLog((l) => l.event === 'watch.ready', 'watch.ready');
    const from = hw.logs.length;

    await pause(hw.pid);
    try {
      for (let i = 0; i < 20_000; i++) fs.writeFileSync(path.join(dirs[i % 2]!, `f${i}.txt`), `${i}\n`);
      app.write('main.go', mainGo('m2'));
      app.write('src/version.go', pkgGo('src', 's2'));
    } finally {
      process.kill(hw.pid, 'SIGCONT');
    }
    await app.serves(answer('m2', { src: 's2' }), 'the final version after the queue overflowed', 60_000);
    console.info(
      `kernel queue overflow → served; log after SIGCONT:\n${summarize(hw.logs.slice(from).filter((l) => interesting(l.event)))}`,
    );
    expectNoSentinelBuilds(hw);
  }, 150_000);

  it('ring buffer of 16 and a burst of 500 files around an edit of main.go: the final version serves', async () => {
    const app = await fc.app({ yaml: 'watch:\n  bufferCapacity: 16' });
    const hw = fc.start();
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    const from = hw.logs.length;

    // A package main does not import: relevant .go files, but the build does not depend on them.
    for (let i = 0; i < 250; i++) app.write(`burst/f${i}.go`, 'package burst\n');
    app.write('main.go', mainGo('m2'));
    for (let i = 250; i < 500; i++) app.write(`burst/f${i}.go`, 'package burst\n');
    await app.serves(answer('m2', { src: 's1' }), 'the final version after the ring overflowed');

    app.write('src/version.go', pkgGo('src', 's2'));
    await app.serves(answer('m2', { src: 's2' }), 'a later edit (watching continues)');
    console.info(`ring overflow → served; log:\n${summarize(hw.logs.slice(from).filter((l) => interesting(l.event)))}`);
    expectNoSentinelBuilds(hw);
  }, 120_000);
});
