#!/usr/bin/env node
/**
 * Checks the benchmark's own parts in isolation (no hotwatch needed): statistics, the /proc readers
 * against watches this process creates, the tree generator's counts, the burst recorder on a real
 * atomic save, and the process helper's cleanup. Run: node bench/selftest.mjs (a few seconds).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { batchesFor, burstShape, median, pairedMedianDiff, percentile } from './lib/stats.mjs';
import { HAVE_PROC, descendants, inotifyUsage, memoryMb, watcherFootprint } from './lib/procfs.mjs';
import { generateTree } from './lib/tree.mjs';
import { startRecorder, isRelevant } from './lib/dir-recorder.mjs';
import { makeTmpDir, removeTmpDir, cleanupAll } from './lib/cleanup.mjs';
import { startProcess } from './lib/process.mjs';
import { freePort, httpGet, pollUntilServes } from './lib/goapp.mjs';
import { renderTable } from './lib/table.mjs';
import { waitFor } from './lib/wait.mjs';

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    process.stdout.write(`ok   ${name}\n`);
  } catch (e) {
    failed++;
    process.stdout.write(`FAIL ${name}\n${e.stack}\n`);
  }
}

await check('median, percentile, paired difference', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([NaN, undefined, 5]), 5);
  assert.equal(median([]), undefined);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9);
  assert.equal(pairedMedianDiff([10, 20, 30], [1, 2, 3]), 18);
});

await check('burstShape: spread and largest gap', () => {
  assert.deepEqual(burstShape([10, 0, 3]), { events: 3, spreadMs: 10, maxGapMs: 7, p99GapMs: 7 });
  assert.equal(burstShape([]).events, 0);
});

await check('batchesFor mirrors the debouncer: quiet window and maxWait', () => {
  assert.equal(batchesFor([0, 10, 20, 30], 50, 1000), 1);
  assert.equal(batchesFor([0, 10, 100], 50, 1000), 2, 'a 90 ms gap splits with 50 ms quiet');
  assert.equal(batchesFor([0, 10, 100], 100, 1000), 1);
  const stream = Array.from({ length: 300 }, (_, i) => i * 10); // a write every 10 ms for 3 s
  assert.equal(batchesFor(stream, 50, 1000), 3, 'maxWait cuts a continuous stream every second');
  assert.equal(batchesFor([], 50, 1000), 0);
});

await check('renderTable aligns columns and prints section rows', () => {
  const t = renderTable(['a', 'bb'], ['section', ['xxx', 'y']]);
  assert.equal(t, 'a    bb\n---  --\nsection\nxxx  y');
});

await check('isRelevant follows hotwatch defaults', () => {
  assert.ok(isRelevant('/x/main.go'));
  assert.ok(isRelevant('/x/go.mod'));
  assert.ok(!isRelevant('/x/main_test.go'));
  assert.ok(!isRelevant('/x/.main.go.123.tmp'));
  assert.ok(!isRelevant('/x/main.go~'));
});

await check('generateTree makes exactly the asked directories and files', () => {
  const dir = makeTmpDir('selftest-tree');
  try {
    const t = generateTree(dir, { dirs: 57, filesPerDir: 4 });
    let dirs = 0;
    let files = 0;
    const walk = (d) => {
      dirs++;
      for (const e of fs.readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(path.join(d, e.name)) : files++;
    };
    walk(dir);
    assert.equal(t.dirsWithRoot, 58);
    assert.equal(dirs, 58);
    assert.equal(files, t.files);
    assert.equal(files, 57 * 4 + 2);
  } finally {
    removeTmpDir(dir);
  }
});

await check('procfs counts the inotify watches this process holds', async () => {
  if (!HAVE_PROC) return;
  const dir = makeTmpDir('selftest-watch');
  const before = inotifyUsage(process.pid)?.watches ?? 0;
  const ws = [];
  try {
    for (let i = 0; i < 12; i++) {
      fs.mkdirSync(path.join(dir, `d${i}`));
      ws.push(fs.watch(path.join(dir, `d${i}`), () => undefined));
    }
    assert.equal(inotifyUsage(process.pid).watches - before, 12);
    assert.ok(inotifyUsage(process.pid).instances >= 1);
    assert.ok(memoryMb(process.pid).rssMb > 10);
    assert.equal(watcherFootprint(process.pid).watches - before, 12);
  } finally {
    for (const w of ws) w.close();
    removeTmpDir(dir);
  }
});

await check('recorder sees an atomic save as one relevant event and settles', async () => {
  const dir = makeTmpDir('selftest-rec');
  const rec = startRecorder(dir);
  try {
    fs.writeFileSync(path.join(dir, '.tmp'), 'x');
    fs.renameSync(path.join(dir, '.tmp'), path.join(dir, 'main.go'));
    await rec.settle({ quietMs: 100, timeoutMs: 5000 });
    const relevant = rec.events.filter((e) => isRelevant(e.file));
    assert.ok(relevant.length >= 1, `no event for main.go: ${JSON.stringify(rec.events)}`);
  } finally {
    rec.close();
    removeTmpDir(dir);
  }
});

await check('startProcess: lines are captured, JSON parsed, stop kills the group', async () => {
  const script = `process.stderr.write(JSON.stringify({event:'hi'})+'\\n'); require('child_process').spawn('sleep',['60'],{stdio:'ignore'}); setInterval(()=>{},1000)`;
  const h = startProcess(process.execPath, ['-e', script], { name: 'fixture' });
  await h.waitForLine((l) => l.json?.event === 'hi', { timeoutMs: 10_000, description: 'hi' });
  const kids = await waitFor(
    () => {
      const d = descendants(h.pid);
      return d.length >= 1 ? d : undefined;
    },
    { timeoutMs: 5000, description: 'the fixture has a child' },
  );
  const r = await h.stop({ graceMs: 2000 });
  assert.equal(r.signal, 'SIGTERM');
  await waitFor(() => kids.every((p) => !fs.existsSync(`/proc/${p}`) || fs.readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z')), {
    timeoutMs: 5000,
    description: 'the fixture child is gone',
  });
});

await check('pollUntilServes waits for the expected body on a fresh connection', async () => {
  const port = await freePort();
  let body = 'v=old';
  const srv = http.createServer((_, res) => res.end(body)).listen(port, '127.0.0.1');
  try {
    setTimeout(() => (body = 'v=new'), 50);
    assert.equal(await httpGet(port), 'v=old');
    const t = await pollUntilServes(port, 'new', { timeoutMs: 5000 });
    assert.ok(t > 0);
  } finally {
    srv.close();
  }
});

cleanupAll();
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed ? 1 : 0;
