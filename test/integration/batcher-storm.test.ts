/**
 * The batcher's window on real files (issue 19, the storm path): files rewritten with their own bytes
 * are found unchanged while the window is open and stop sizing it, so a storm of them followed by one
 * real edit is built after that edit's own window, not the bulk one; a storm of real changes keeps the
 * bulk window and stays one batch. Real files, real hashing, real timers; the events are pushed as the
 * watcher would push them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Batcher } from '../../src/pipeline/batcher.js';
import type { Batch } from '../../src/pipeline/events.js';
import { captureLog } from '../helpers/log-capture.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let tmp: ReturnType<typeof makeTmpDir>;
let files: string[];
let main: string;

const body = (i: number, v: number) => `package p${i % 20}\n\nconst C${i} = ${v}\n`;

beforeEach(async () => {
  tmp = makeTmpDir();
  files = [];
  for (let i = 0; i < 1000; i++) {
    const dir = path.join(tmp.dir, `p${i % 20}`);
    fs.mkdirSync(dir, { recursive: true });
    const f = path.join(dir, `f${i}.go`);
    fs.writeFileSync(f, body(i, 1));
    files.push(f);
  }
  main = path.join(tmp.dir, 'main.go');
  fs.writeFileSync(main, 'package main\n\nfunc main() {}\n');
  // The content index records files last modified before `since` (the kernel's mtime clock is coarse).
  await new Promise((r) => setTimeout(r, 100));
});

afterEach(() => tmp.cleanup());

async function startBatcher() {
  const cap = captureLog('debug');
  const delivered: Batch[] = [];
  const batcher = new Batcher({
    root: tmp.dir,
    bufferCapacity: 100_000,
    debounce: { quietMs: 50, loneQuietMs: 15, settledQuietMs: 5, maxWaitMs: 1000 },
    log: cap.log,
    deliver: (b) => delivered.push(b),
    appIdle: () => false,
  });
  const seeded = await batcher.content.seed([...files, main], Date.now(), new AbortController().signal);
  expect(seeded).toBe(files.length + 1);
  return { batcher, delivered, cap };
}

/** A write as the inotify helper reports it: a modify, then the close. */
function pushWrite(batcher: Batcher, file: string): void {
  batcher.push({ kind: 'change', path: file, at: performance.now() });
  batcher.push({ kind: 'change', path: file, at: performance.now(), complete: true });
}

describe('the batcher on a storm (real files)', () => {
  it('1,000 files rewritten with their own bytes, then one real edit: one batch, the edit only, its own window', async () => {
    const { batcher, delivered, cap } = await startBatcher();
    for (const f of files) {
      fs.writeFileSync(f, fs.readFileSync(f));
      pushWrite(batcher, f);
    }
    fs.writeFileSync(main, 'package main\n\nfunc main() { println("v2") }\n');
    pushWrite(batcher, main);
    await waitFor(() => delivered.length === 1, { description: 'the batch is delivered', timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 400)); // anything the bulk window would have added
    await batcher.close();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.paths).toEqual([main]);
    const [timing] = cap.events('batch.timing');
    expect(timing?.events).toBe(2 * files.length + 2);
    // The window that made the batch due: a lone save seen complete (5 ms), not the bulk window (200).
    expect(timing?.windowMs).toBe(5);
  }, 30_000);

  it('1,000 files rewritten with new bytes: the bulk window, and one batch of every file', async () => {
    const { batcher, delivered, cap } = await startBatcher();
    files.forEach((f, i) => {
      fs.writeFileSync(f, body(i, 2));
      pushWrite(batcher, f);
    });
    await waitFor(() => delivered.length === 1, { description: 'the batch is delivered', timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 400));
    await batcher.close();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.paths).toHaveLength(files.length);
    expect(cap.events('batch.timing')[0]?.windowMs).toBe(200);
  }, 30_000);

  it('files found unchanged and then really changed count again: the bulk window, all of them built', async () => {
    const { batcher, delivered, cap } = await startBatcher();
    const some = files.slice(0, 40);
    for (const f of some) {
      fs.writeFileSync(f, fs.readFileSync(f));
      pushWrite(batcher, f);
    }
    // Let the content check find them unchanged while the window is open (one turn of the event loop: it
    // reads in slices of 64), then change them for real.
    await new Promise((r) => setImmediate(r));
    some.forEach((f, i) => {
      fs.writeFileSync(f, body(i, 3));
      pushWrite(batcher, f);
    });
    await waitFor(() => delivered.length >= 1, { description: 'a batch is delivered', timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 400));
    await batcher.close();
    expect(delivered.flatMap((b) => b.paths).sort()).toEqual([...some].sort());
    // Had they stayed dismissed, nothing would be live and the batch would be due 5 ms after its last event.
    const windows = cap.events('batch.timing').map((t) => t.windowMs);
    expect(windows.at(-1)).toBe(200);
  }, 30_000);
});
