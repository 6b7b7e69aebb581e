/**
 * A bounded ring buffer of watch events. When full, further events are dropped and the overflow is
 * remembered: drain() then ends with ONE RescanEvent, so a burst costs a full rescan, never a lost edit.
 * Pure: no timers, no I/O.
 */
import type { RescanEvent, WatchEvent } from './events.js';

export class Ring {
  private readonly buf: (WatchEvent | undefined)[];
  private head = 0; // index of the oldest event
  private count = 0;
  private dropped = 0;
  private droppedSince = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.buf = new Array<WatchEvent | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Whether events were dropped since the last drain. */
  get overflowed(): boolean {
    return this.dropped > 0;
  }

  /** Returns false when the event was dropped (the ring is full). */
  push(ev: WatchEvent): boolean {
    if (this.count === this.capacity) {
      if (this.dropped === 0) this.droppedSince = ev.at;
      this.dropped++;
      return false;
    }
    this.buf[(this.head + this.count) % this.capacity] = ev;
    this.count++;
    return true;
  }

  /** Everything buffered, oldest first; after an overflow, followed by one RescanEvent. */
  drain(): WatchEvent[] {
    const out: WatchEvent[] = [];
    for (let i = 0; i < this.count; i++) {
      const idx = (this.head + i) % this.capacity;
      out.push(this.buf[idx]!);
      this.buf[idx] = undefined;
    }
    this.head = 0;
    this.count = 0;
    if (this.dropped > 0) {
      const marker: RescanEvent = {
        kind: 'rescan',
        reason: `event buffer overflow: ${this.dropped} events beyond its capacity of ${this.capacity} were collapsed into a full rescan`,
        at: this.droppedSince,
        dropped: this.dropped,
      };
      out.push(marker);
      this.dropped = 0;
    }
    return out;
  }
}
