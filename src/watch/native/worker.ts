/**
 * Worker thread entry of the native watcher (always loaded from dist/watch/native/worker.js, or the
 * bundle's worker.js). Glue only: the engine (engine-port.ts) behind this thread's parentPort.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveEngine } from './engine-port.js';
import type { HostMessage, WorkerData } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('worker.js must run in a worker thread');
const served = serveEngine(workerData as WorkerData, (m) => port.postMessage(m));
port.on('message', (m: HostMessage) => served.receive(m));
