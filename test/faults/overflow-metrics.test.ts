/**
 * Issue 17: a kernel queue overflow is counted in the Prometheus metrics as dropped events. The queue
 * (max_queued_events = 16,384, global: a user namespace cannot lower it, and it is never written here) is
 * overflowed as in overflow.test.ts: hotwatch is SIGSTOPped while 20,000 files are created in watched
 * directories; the inotify helper (a child, not stopped) reads until its pipe is full, then the kernel's
 * queue fills and it queues IN_Q_OVERFLOW. After SIGCONT the helper reports it, and
 * hotwatch_events_dropped_total{reason="kernel-overflow"} counts it; before, it is absent.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer, mainGo } from '../helpers/faults-app.js';
import { faultCase } from '../helpers/faults-case.js';
import { pause } from '../helpers/faults-proc.js';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.js';
import { waitFor } from '../helpers/wait.js';

const fc = faultCase();

function metrics(root: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: path.join(root, '.hotwatch', 'control.sock'), path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET /metrics: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
  });
}

const kernelDropped = async (root: string) =>
  sampleValue(parsePrometheusText(await metrics(root)), 'hotwatch_events_dropped_total', { reason: 'kernel-overflow' });

describe('kernel queue overflow in the metrics (faults)', () => {
  it('IN_Q_OVERFLOW counts as dropped events (reason kernel-overflow), said as QUEUE_OVERFLOW, and the final version serves', async () => {
    const app = await fc.app();
    const dirs = ['data/a', 'data/b'].map((d) => path.join(app.root, d));
    for (const d of dirs) fs.mkdirSync(d, { recursive: true });
    const hw = fc.start();
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    await hw.waitForLog((l) => l.event === 'watch.ready', 'watch.ready');
    expect(await kernelDropped(app.root)).toBeUndefined();
    const from = hw.logs.length;

    await pause(hw.pid);
    try {
      for (let i = 0; i < 20_000; i++) fs.writeFileSync(path.join(dirs[i % 2]!, `f${i}.txt`), `${i}\n`);
      app.write('main.go', mainGo('m2'));
    } finally {
      process.kill(hw.pid, 'SIGCONT');
    }
    const said = await hw.waitForLog((l) => l.code === 'QUEUE_OVERFLOW', 'the QUEUE_OVERFLOW notice', { from, timeoutMs: 60_000 });
    expect(said.msg).toMatch(/IN_Q_OVERFLOW/);
    await waitFor(async () => ((await kernelDropped(app.root)) ?? 0) >= 1, {
      description: 'hotwatch_events_dropped_total{reason="kernel-overflow"} >= 1',
      timeoutMs: 10_000,
    });
    await app.serves(answer('m2', { src: 's1' }), 'the final version after the queue overflowed', 60_000);
  }, 150_000);
});
