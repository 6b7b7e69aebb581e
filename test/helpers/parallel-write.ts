/**
 * Writes many files from several threads at once, as `git checkout` does with checkout.workers: on a
 * starved machine one writer thread gets one share of the CPU and 2,000 files took it 1.0–2.4 s; a few
 * threads at the ordinary priority get a few shares, as a real parallel checkout would.
 */
import { Worker } from 'node:worker_threads';

const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.once('message', () => {
  for (const [file, text] of workerData) fs.writeFileSync(file, text);
  parentPort.postMessage('done');
});
parentPort.postMessage('ready');
`;

/**
 * Starts `threads` writer threads, each holding its share of `files`, and waits until all are ready.
 * `write()` then lets them go and resolves with the ms from go to the last file written.
 */
export async function parallelWriter(files: Array<[string, string]>, threads = 4): Promise<{ write: () => Promise<number> }> {
  const shares = Array.from({ length: threads }, (_, t) => files.filter((_, i) => i % threads === t));
  const workers = shares.map((share) => new Worker(WRITER, { eval: true, workerData: share }));
  const next = (w: Worker) =>
    new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
  await Promise.all(workers.map(next));
  return {
    write: async () => {
      const t0 = performance.now();
      const done = workers.map(next);
      for (const w of workers) w.postMessage('go');
      try {
        await Promise.all(done);
        return performance.now() - t0;
      } finally {
        await Promise.all(workers.map((w) => w.terminate()));
      }
    },
  };
}
