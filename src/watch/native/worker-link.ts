/**
 * The native engine as seen from the host, on the main thread (inline-engine.ts) or, with
 * HOTWATCH_ENGINE_THREAD=worker, in a worker thread spawned from dist/: routes its messages, matches
 * replies to calls (each bounded in time), and terminates it (bounded too). No policy: the heartbeat
 * (worker-slot.ts) and the host (host.ts) decide what a silent, crashed or failing thread means.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HotwatchError } from '../../errors.js';
import { reapplyYoungGenerationSetting } from '../../heap.js';
import type { CallResult, HostMessage, WorkerCall, WorkerData, WorkerMessage } from './protocol.js';
import { InlineEngine } from './inline-engine.js';

const YOUNG_GEN_MB = 2;
/** How long a thread may take to close before it is terminated. */
const CLOSE_MS = 1500;
/**
 * Silent this long since a ping that is still unanswered: hung, not asked to close. Counted from the
 * ping, not from the last answer: on a quiet tree the pings are up to 30 s apart (worker-slot.ts), and a
 * healthy engine silent between two of them must still be asked to close (else its helper is left a
 * zombie until hotwatch exits, one per re-arm).
 */
const SILENT_MS = 2500;

/**
 * The worker always runs compiled JS: from src/watch/native/*.ts (vitest) it is dist/watch/native/worker.js;
 * from tsc's dist/ or the bundle (dist/bundle/, flat) it sits beside this module as worker.js.
 */
export function nativeWorkerPath(): string {
  const here = fileURLToPath(import.meta.url);
  const js = here.endsWith('.ts')
    ? path.join(path.dirname(here), '..', '..', '..', 'dist', 'watch', 'native', 'worker.js')
    : path.join(path.dirname(here), 'worker.js');
  if (!fs.existsSync(js)) {
    throw new HotwatchError('INTERNAL', `the native watcher's worker is missing at ${js}`, {
      hint: 'run `npm run build`: the worker thread always runs from dist/',
      exitCode: 1,
    });
  }
  return js;
}

export interface LinkHandlers {
  message(m: Exclude<WorkerMessage, { t: 'reply' }>): void;
  /** The thread crashed or exited on its own. */
  died(why: string): void;
}

interface PendingCall {
  resolve(r: CallResult): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class WorkerLink {
  /** performance.now() of the last message from the thread (any message proves it is alive). */
  lastAnswer = performance.now();
  /** The heartbeat's verdict: this thread is hung, so stopping it asks nothing of it. */
  hung = false;
  /** performance.now() of the last ping sent (send). */
  private lastPingAt = Number.NEGATIVE_INFINITY;
  private readonly worker: Worker | InlineEngine;
  private readonly calls = new Map<number, PendingCall>();
  private nextId = 0;
  private ended = false;

  constructor(data: WorkerData, handlers: LinkHandlers) {
    // The engine runs on the main thread (inline-engine.ts; measured: 13 MB less RSS, no slower); a
    // worker thread only on request, to measure the two side by side (bench/README.md).
    this.worker =
      process.env.HOTWATCH_ENGINE_THREAD !== 'worker'
        ? new InlineEngine(data)
        : new Worker(pathToFileURL(nativeWorkerPath()), {
            workerData: data,
            stdout: false,
            stderr: false,
            // A small young generation keeps the worker's RSS low (measured: 10k dirs 109 MB → 83 MB, same speed).
            resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GEN_MB },
          });
    this.worker.on('message', (m: WorkerMessage) => {
      if (this.ended) return;
      // Starting a worker resets V8's flags (see heap.ts): apply the main thread's setting again once
      // the worker has armed the tree (its arming, with the default growth, spends less time in GC).
      if (m.t === 'ready') reapplyYoungGenerationSetting();
      this.lastAnswer = performance.now();
      this.hung = false;
      if (m.t === 'reply') this.settle(m);
      else handlers.message(m);
    });
    this.worker.on('error', (e) => {
      if (!this.ended) handlers.died(`the native watcher thread crashed: ${e.message}`);
    });
    this.worker.on('exit', (code) => {
      if (!this.ended) handlers.died(`the native watcher thread exited (code ${code})`);
    });
  }

  send(m: HostMessage): void {
    if (m.t === 'ping') this.lastPingAt = performance.now();
    if (!this.ended) this.worker.postMessage(m);
  }

  /** A request the thread answers; rejects after `timeoutMs`, or when the thread is terminated. */
  call(call: WorkerCall, timeoutMs: number): Promise<CallResult> {
    if (this.ended) return Promise.reject(new Error('the native watcher is gone'));
    const id = ++this.nextId;
    return new Promise<CallResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(new Error(`the native watcher did not answer "${call.op}" within ${timeoutMs}ms`));
      }, timeoutMs);
      this.calls.set(id, { resolve, reject, timer });
      this.worker.postMessage({ t: 'call', id, call } satisfies HostMessage);
    });
  }

  /** Stops the thread; false when it did not stop within `timeoutMs` (its watches may linger). */
  async terminate(timeoutMs: number): Promise<boolean> {
    // A live thread first stops its watches and reaps its helper (terminating it outright would leave
    // the helper a zombie until hotwatch exits, one per re-arm); a hung or silent one is terminated at once.
    const live = !this.hung && (this.lastAnswer >= this.lastPingAt || performance.now() - this.lastPingAt < SILENT_MS);
    if (!this.ended && live) await this.call({ op: 'close' }, CLOSE_MS).catch(() => undefined);
    this.ended = true;
    for (const [id, c] of this.calls) {
      clearTimeout(c.timer);
      c.reject(new Error('the native watcher was stopped'));
      this.calls.delete(id);
    }
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.worker.terminate().then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return done;
  }

  private settle(m: Extract<WorkerMessage, { t: 'reply' }>): void {
    const c = this.calls.get(m.id);
    if (!c) return;
    this.calls.delete(m.id);
    clearTimeout(c.timer);
    if (m.ok) c.resolve(m.result);
    else c.reject(new Error(m.error));
  }
}
