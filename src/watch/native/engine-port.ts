/**
 * The native engine behind the host's message protocol (protocol.ts), wherever it runs: in a worker
 * thread (worker.ts posts through its parentPort) or on the main thread (inline-engine.ts). Runs
 * NativeEngine, answers pings with stats and calls with replies, posts events/notices/rescans/sentinels,
 * applies test-only faults.
 */
import type { HotwatchError } from '../../errors.js';
import { IdleCollector } from '../../heap.js';
import { NativeEngine, type EngineSink } from './engine/engine.js';
import {
  wallNow,
  type CallResult,
  type HostMessage,
  type WorkerCall,
  type WorkerData,
  type WorkerFault,
  type WorkerMessage,
} from './protocol.js';

/** Arming the tree, a storm or a re-arm leave this thread's heap full of garbage: collected once idle. */
const BIG_POST = 500;

export interface ServedEngine {
  /** A message of the host. */
  receive(m: HostMessage): void;
  /** Stops the engine at once, without a word (the worker thread being terminated). */
  stop(): void;
}

/**
 * Starts the engine over `data`; everything it says goes to `post`. `onMainThread`: a ping is answered
 * once the inotify helper has answered too (the heartbeat then watches the helper, the part that can
 * hang: a thread that shares the host's event loop cannot be silent while the host pings it), and the
 * test-only 'hang' stops the helper instead of blocking the thread.
 */
export function serveEngine(data: WorkerData, post: (m: WorkerMessage) => void, onMainThread = false): ServedEngine {
  const collector: IdleCollector = new IdleCollector(1000, (): boolean => !engine.idle());
  const engine: NativeEngine = new NativeEngine(data.settings, data.tuning, engineSink(post, collector), {
    descendPollMounts: data.descendPollMounts,
    pollDirs: data.pollDirs,
    mounts: data.mounts,
    sentinelDirs: data.sentinelDirs,
    dropEventsNamed: data.hooks.dropEventsNamed,
    helperPath: data.helperPath,
    collectFiles: data.collectFiles,
  });
  const fault = (f: WorkerFault): void => {
    if (f === 'close-watches') engine.closeHandlesSilently();
    else if (onMainThread) engine.stopHelperForTest();
    else
      for (;;) {
        // hang on purpose: a busy loop that never yields (only worker.terminate() ends it)
      }
  };
  const started = performance.now();
  void engine.start().then(
    async (ok) => {
      if (!ok || !(await postReady(engine, collector, post, started))) return;
      const { hangAfterReadyMs, closeWatchesAfterReadyMs } = data.hooks;
      if (hangAfterReadyMs !== undefined) setTimeout(() => fault('hang'), hangAfterReadyMs);
      if (closeWatchesAfterReadyMs !== undefined) setTimeout(() => fault('close-watches'), closeWatchesAfterReadyMs);
    },
    (e: unknown) => post({ t: 'crashed', why: `the native watcher failed to start: ${e instanceof Error ? e.message : String(e)}` }),
  );
  return {
    receive: (m) => {
      if (m.t === 'ping') {
        const pong = (): void => post({ t: 'pong', seq: m.seq, stats: { ...engine.stats(m.audit === true), idle: engine.idle() } });
        if (onMainThread) void engine.helperAnswers().then(pong);
        else pong();
      } else if (m.t === 'fault') fault(m.fault);
      else if (m.t === 'call') {
        call(engine, m.call).then(
          (result) => post({ t: 'reply', id: m.id, ok: true, result }),
          (e: unknown) => post({ t: 'reply', id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
        );
      }
    },
    stop: () => {
      collector.cancel();
      engine.stop();
    },
  };
}

/**
 * Says ready, with the kernel's count of the watches. Arming leaves most of this heap garbage: collected
 * while the heap is still small (a collection needs room for what it moves: later it would add to the
 * process's growth, and to RSS at ready). On a large tree, before ready is said and while the kernel
 * counts the watches on another thread (~25 ms each on 10,001 directories: they were one after the other,
 * and the collection landed before or after ready by the event loop's phase); on a smaller one both are
 * quick, and the collection follows ready (the count's hops to libuv's pool would cost more than it saves).
 * false when the engine was stopped meanwhile.
 */
async function postReady(engine: NativeEngine, collector: IdleCollector, post: (m: WorkerMessage) => void, started: number) {
  const audited = engine.auditedStats(); // undefined: a tree too small for that to pay
  if (audited !== undefined) collector.now();
  const stats = audited !== undefined ? await audited : engine.stats(true);
  if (engine.stopped) return false;
  const listing = engine.takeStartListing();
  post({
    t: 'ready',
    stats: { ...stats, idle: true },
    ms: Math.round(performance.now() - started),
    ...(listing ? { files: listing.files, dirs: listing.dirs } : {}),
  });
  if (audited === undefined) setImmediate(() => collector.now());
  return true;
}

/** The engine's output as messages; a big batch or a rescan asks for a collection once idle. */
function engineSink(post: (m: WorkerMessage) => void, collector: IdleCollector): EngineSink {
  return {
    events: (paths, at, complete, writing) => {
      post({ t: 'events', paths, at, ...(complete ? { complete } : {}), ...(writing ? { writing } : {}) });
      if (paths.length >= BIG_POST) collector.soon();
    },
    rescan: (reason) => {
      post({ t: 'rescan', reason, at: wallNow() });
      collector.soon();
    },
    notice: (notice) => post({ t: 'notice', notice }),
    fatal: (e: HotwatchError) => post({ t: 'fatal', code: e.code, message: e.message, hint: e.hint, exitCode: e.exitCode }),
    sentinel: (p) => post({ t: 'sentinel', path: p, at: wallNow() }),
    crashed: (why) => post({ t: 'crashed', why }), // the host reports the loss; the watchdog re-arms (a fresh engine and helper)
  };
}

async function call(engine: NativeEngine, c: WorkerCall): Promise<CallResult> {
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
