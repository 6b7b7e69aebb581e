/**
 * Worker thread entry of the native watcher (always loaded from dist/watch/native/worker.js, or the
 * bundle's worker.js). Glue only: runs NativeEngine, answers pings with stats and calls with replies,
 * posts events/notices/rescans/sentinels, applies test-only faults.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { HotwatchError } from '../../errors.js';
import { IdleCollector } from '../../heap.js';
import { NativeEngine } from './engine/engine.js';
import {
  wallNow,
  type CallResult,
  type HostMessage,
  type WorkerCall,
  type WorkerData,
  type WorkerFault,
  type WorkerMessage,
} from './protocol.js';

const port = parentPort;
if (!port) throw new Error('worker.js must run in a worker thread');
const data = workerData as WorkerData;
const post = (m: WorkerMessage): void => port.postMessage(m);
/** Arming the tree, a storm or a re-arm leave this thread's heap full of garbage: collected once idle. */
const BIG_POST = 500;
const collector = new IdleCollector(1000, () => !engine.idle());

const engine = new NativeEngine(
  data.settings,
  data.tuning,
  {
    events: (paths, at, complete) => {
      post(complete ? { t: 'events', paths, at, complete } : { t: 'events', paths, at });
      if (paths.length >= BIG_POST) collector.soon();
    },
    rescan: (reason) => {
      post({ t: 'rescan', reason, at: wallNow() });
      collector.soon();
    },
    notice: (notice) => post({ t: 'notice', notice }),
    fatal: (e: HotwatchError) => post({ t: 'fatal', code: e.code, message: e.message, hint: e.hint, exitCode: e.exitCode }),
    sentinel: (p) => post({ t: 'sentinel', path: p, at: wallNow() }),
    crashed: (why) => post({ t: 'crashed', why }), // the host reports the loss; the watchdog re-arms (a fresh thread and helper)
  },
  {
    descendPollMounts: data.descendPollMounts,
    pollDirs: data.pollDirs,
    mounts: data.mounts,
    sentinelDirs: data.sentinelDirs,
    dropEventsNamed: data.hooks.dropEventsNamed,
    helperPath: data.helperPath,
  },
);

function fault(f: WorkerFault): void {
  if (f === 'close-watches') engine.closeHandlesSilently();
  else
    for (;;) {
      // hang on purpose: a busy loop that never yields (only worker.terminate() ends it)
    }
}

async function call(c: WorkerCall): Promise<CallResult> {
  if (c.op === 'close') {
    await engine.shutdown();
    return { dirs: 0 };
  }
  if (c.op === 'sync') {
    await engine.sync();
    return { dirs: 0 };
  }
  if (c.op === 'reconcile') return engine.reconcile(c.settings);
  if (c.op === 'arm-sentinel') {
    await engine.armSentinel(c.dir);
    return { dirs: 1 };
  }
  return { dirs: await engine.rearmPath(c.path, c.mounts) };
}

port.on('message', (m: HostMessage) => {
  if (m.t === 'ping') post({ t: 'pong', seq: m.seq, stats: { ...engine.stats(m.audit === true), idle: engine.idle() } });
  else if (m.t === 'fault') fault(m.fault);
  else if (m.t === 'call') {
    call(m.call).then(
      (result) => post({ t: 'reply', id: m.id, ok: true, result }),
      (e: unknown) => post({ t: 'reply', id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
    );
  }
});

const started = performance.now();
const ok = await engine.start();
if (ok) {
  // Arming leaves most of this heap garbage: collected before ready, while the main thread is still
  // small (a collection needs room for what it moves: later it would add to the main thread's growth).
  collector.now();
  post({ t: 'ready', stats: { ...engine.stats(true), idle: true }, ms: Math.round(performance.now() - started) });
  const { hangAfterReadyMs, closeWatchesAfterReadyMs } = data.hooks;
  if (hangAfterReadyMs !== undefined) setTimeout(() => fault('hang'), hangAfterReadyMs);
  if (closeWatchesAfterReadyMs !== undefined) setTimeout(() => fault('close-watches'), closeWatchesAfterReadyMs);
}
