/**
 * hotwatch's output to a pipe or a socket (`hotwatch run 2>&1 | less` left unscrolled, `| tee` onto a
 * stuck disk, a container's log driver in blocking mode), written off the main thread. Node writes to a
 * pipe synchronously: a reader that stopped draining blocked hotwatch in write() of its next line, and
 * with it the builds, the watchdog and Ctrl-C, while edits went unserved in silence.
 *
 * Each write goes through libuv's thread pool on a non-blocking descriptor of our own (reopenPipe), one at
 * a time, in order: a full pipe's EAGAIN is tried again on a timer. While one is stuck, lines queue up to MAX_QUEUED_BYTES; beyond, they are dropped and counted,
 * and the count is written once the reader drains again.
 */
import fs from 'node:fs';
import { Writable } from 'node:stream';

/** About a thousand log lines: what a reader paused for a while may still want to see. */
const MAX_QUEUED_BYTES = 256 * 1024;
/** A full non-blocking pipe is tried again after this, doubling up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 10;
const RETRY_MAX_MS = 1000;

export class FdWriter extends Writable {
  private queue: Buffer[] = [];
  private queued = 0;
  private writing = false;
  /** A full pipe's retry timer is pending: nothing else is written before it fires. */
  private waitingForRoom = false;
  private dropped = 0;
  private failed = false;
  private readonly idle: Array<() => void> = [];
  private retryMs = RETRY_FIRST_MS;

  /** `notice`: the line that says how many were dropped (in the log's own format). */
  constructor(
    readonly fd: number,
    private readonly notice: (dropped: number) => string,
  ) {
    super({ decodeStrings: true });
  }

  /**
   * A descriptor of our own on the pipe at `fd` (a FIFO or `|`: a reader can stop draining it), opened
   * again through /proc with O_NONBLOCK: a new open file description, so the app, which shares `fd`'s
   * (its stdout), never gets EAGAIN, and no write of ours ever blocks (a write blocked in the thread pool
   * also kept the process from exiting: libuv joins its threads at exit). Undefined for anything else (a
   * terminal, a file, a socket), or where /proc cannot reopen it.
   */
  static reopenPipe(fd: number): number | undefined {
    try {
      if (!fs.fstatSync(fd).isFIFO()) return undefined;
      return fs.openSync(`/proc/self/fd/${fd}`, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch {
      return undefined;
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.enqueue(chunk);
    done();
  }

  /** Resolves true once everything queued is written, false after `ms` (the reader is stuck). */
  drained(ms: number): Promise<boolean> {
    if (!this.writing && !this.waitingForRoom && this.queue.length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** The pipe is full and the descriptor non-blocking: the data goes back first, and is tried again later. */
  private retry(data: Buffer): void {
    this.queue.unshift(data);
    this.queued += data.length;
    this.waitingForRoom = true;
    const timer = setTimeout(() => {
      this.waitingForRoom = false;
      this.pump();
    }, this.retryMs);
    timer.unref();
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
  }

  private enqueue(chunk: Buffer): void {
    if (this.failed) return;
    if (this.queued + chunk.length > MAX_QUEUED_BYTES) {
      this.dropped++;
      return;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.pump();
  }

  private pump(): void {
    if (this.writing || this.waitingForRoom || this.failed) return;
    if (this.queue.length === 0) {
      for (const done of this.idle.splice(0)) done();
      return;
    }
    const data = Buffer.concat(this.queue);
    this.queue = [];
    this.queued = 0;
    this.writing = true;
    fs.write(this.fd, data, (err, written) => {
      this.writing = false;
      if (err?.code === 'EAGAIN') return this.retry(data); // full, not gone
      this.retryMs = RETRY_FIRST_MS;
      if (err) {
        this.failed = true; // EPIPE, EBADF: the logger's guard shuts hotwatch down cleanly
        this.emit('error', err);
        return;
      }
      if (written < data.length) {
        this.queue.unshift(data.subarray(written));
        this.queued += data.length - written;
      } else if (this.dropped > 0 && this.queue.length === 0) {
        const n = this.dropped;
        this.dropped = 0;
        this.enqueue(Buffer.from(this.notice(n)));
      }
      this.pump();
    });
  }
}
