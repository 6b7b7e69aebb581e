/**
 * The native engine on the main thread, behind the same surface as a worker thread (postMessage,
 * 'message', terminate), so WorkerLink drives either. The watches live in the hotwatch-inotify helper, a
 * process of its own, which the sentinels and the heartbeat still watch; what a thread of its own added
 * was isolation from a watcher library that could block, at the cost of a second V8 isolate (see the
 * README's measurement). Messages go both ways on a later microtask, never within the sender's call,
 * as they would between threads; they are not copied (neither side keeps or changes what it sent).
 */
import { EventEmitter } from 'node:events';
import { serveEngine, type ServedEngine } from './engine-port.js';
import type { HostMessage, WorkerData, WorkerMessage } from './protocol.js';

export class InlineEngine extends EventEmitter {
  private readonly served: ServedEngine;
  private ended = false;

  constructor(data: WorkerData) {
    super();
    this.served = serveEngine(
      data,
      (m: WorkerMessage) => {
        if (!this.ended) queueMicrotask(() => !this.ended && this.emit('message', m));
      },
      true,
    );
  }

  postMessage(m: HostMessage): void {
    if (!this.ended) queueMicrotask(() => !this.ended && this.served.receive(m));
  }

  /** Stops the engine (its helper is closed and reaped by the 'close' call that comes first). */
  terminate(): Promise<number> {
    if (!this.ended) {
      this.ended = true;
      this.served.stop();
    }
    return Promise.resolve(0);
  }
}
