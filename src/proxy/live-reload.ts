/**
 * The proxy's own endpoints under /__hotwatch/ and the state they publish: a boot id (a fresh one
 * each time hotwatch starts), a reload sequence number, whether an app serves, and the current
 * failure. Pages learn it through a server-sent event stream, or /__hotwatch/state when they poll.
 * These endpoints are never held: they answer while the app restarts.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BASE_PATH, WORKER_SCRIPT } from './client-script.js';
import type { FailureReport } from './types.js';

export interface ReloadState {
  boot: string;
  seq: number;
  up: boolean;
  failure: FailureReport | null;
}

/** Comment lines keep idle streams alive through anything that times out silent connections. */
const HEARTBEAT_MS = 15_000;

export class LiveReloadHub {
  private current: ReloadState = { boot: randomUUID(), seq: 0, up: false, failure: null };
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor() {
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get state(): ReloadState {
    return this.current;
  }

  get listeners(): number {
    return this.clients.size;
  }

  reload(): void {
    this.publish({ ...this.current, seq: this.current.seq + 1 });
  }

  update(next: { up: boolean; failure: FailureReport | null }): void {
    // Only the fields pages read: a report object with more in it must not reach every page.
    const failure = next.failure ? { title: next.failure.title, lines: [...next.failure.lines] } : null;
    this.publish({ ...this.current, up: next.up, failure });
  }

  /** Answers a request under /__hotwatch/; false when the path is not the proxy's own. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0]!;
    if (!path.startsWith(BASE_PATH)) return false;
    switch (path.slice(BASE_PATH.length)) {
      case 'events':
        this.stream(res);
        break;
      case 'state':
        // `streams`: how many event streams are open (one per browser when pages share their channel).
        send(res, 200, 'application/json', JSON.stringify({ ...this.current, streams: this.clients.size }), req.method === 'HEAD');
        break;
      case 'worker.js':
        send(res, 200, 'text/javascript; charset=utf-8', WORKER_SCRIPT, req.method === 'HEAD');
        break;
      default:
        send(res, 404, 'text/plain; charset=utf-8', `hotwatch: no such endpoint ${path}\n`, req.method === 'HEAD');
    }
    return true;
  }

  /** Ends every event stream (the proxy is closing). */
  close(): void {
    clearInterval(this.heartbeat);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private stream(res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    // A page whose stream broke reconnects after 500 ms (the browser's own retry, not a timer of ours).
    res.write(`retry: 500\n\n${event(this.current)}`);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  private publish(next: ReloadState): void {
    this.current = next;
    this.write(event(next));
  }

  private write(text: string): void {
    for (const c of this.clients) c.write(text);
  }
}

function event(state: ReloadState): string {
  return `data: ${JSON.stringify(state)}\n\n`;
}

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': bytes.length, 'Cache-Control': 'no-store' });
  res.end(head ? undefined : bytes);
}
