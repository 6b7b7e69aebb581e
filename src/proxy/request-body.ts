/**
 * The client's request body on its way to the app. It streams (with backpressure) and keeps a copy of
 * what it sent, up to a cap, until the app's response starts: a request that a dying app refused or
 * dropped unanswered can then be sent whole to the next one. Past the cap it is not replayable, and a
 * failure of that request is a 502, never a silently shortened body.
 */
import type { IncomingMessage, ClientRequest } from 'node:http';

export const REPLAY_CAP_BYTES = 1024 * 1024;

export class RequestBody {
  private sent: Buffer[] = [];
  private sentBytes = 0;
  private keeping = true;
  private overflowed = false;
  private ended = false;
  private dest: ClientRequest | undefined;

  constructor(
    private readonly src: IncomingMessage,
    private readonly capBytes = REPLAY_CAP_BYTES,
  ) {
    src.on('end', () => {
      this.ended = true;
      this.dest?.end();
    });
  }

  /** Every byte consumed so far can be sent again. */
  get replayable(): boolean {
    return !this.overflowed;
  }

  /** Sends what was already sent elsewhere (a retry), then the rest as it arrives. */
  attach(dest: ClientRequest): void {
    this.dest = dest;
    for (const b of this.sent) dest.write(b);
    if (this.ended) {
      dest.end();
      return;
    }
    this.src.on('data', this.onData);
    this.src.resume();
  }

  /** The attempt failed: stop feeding it, keep the body for the next one. */
  detach(): void {
    this.src.off('data', this.onData);
    this.src.pause();
    this.dest = undefined;
  }

  /** The response started: the body is no longer needed for a retry. */
  release(): void {
    this.keeping = false;
    this.sent = [];
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.keeping) {
      this.sentBytes += chunk.length;
      if (this.sentBytes > this.capBytes) {
        this.keeping = false;
        this.overflowed = true;
        this.sent = [];
      } else {
        this.sent.push(chunk);
      }
    }
    const dest = this.dest;
    if (dest && !dest.write(chunk)) {
      this.src.pause();
      dest.once('drain', () => {
        if (this.dest === dest) this.src.resume();
      });
    }
  };
}
