/**
 * The events of a pending batch that may still be real changes: what the debouncer sizes its window by.
 * A file whose content was read after its newest event and found equal to what the last build had
 * (prehash.ts, then the content index) is dismissed: its events are no change, and a storm of them (a
 * `touch` of the tree, a generator or a sync rewriting files with the same bytes) must not hold one real
 * edit behind the bulk window. A later event for it makes it live again. A pathless event ('' : a rescan,
 * or a backend that does not say which file) is never dismissed: when in doubt, it counts.
 *
 * Only the window depends on this, never what is built: the batch still holds every path, and its content
 * check decides. A wrong guess costs at most a build split in two, the same as a pause in the writing.
 */

interface Live {
  /** Events for the file since it became live. */
  events: number;
  firstAt: number;
  lastAt: number;
  /** Its newest event did not say the write was complete. */
  open: boolean;
}

export class LiveChanges {
  private readonly files = new Map<string, Live>();
  private eventCount = 0;
  private openCount = 0;
  /** Files whose newest event said a writer has them open (written, not closed), with that event's time. */
  private readonly writers = new Map<string, number>();

  /** Events of the live files (every event, until some are dismissed). */
  get events(): number {
    return this.eventCount;
  }

  /** Live files whose newest event did not say the write was complete. */
  get open(): number {
    return this.openCount;
  }

  note(path: string, at: number, complete: boolean, writing = false): void {
    const open = !(complete && path !== '');
    if (writing && path !== '') this.writers.set(path, Math.max(at, this.writers.get(path) ?? at));
    // A pathless event is a rescan: events were lost, the closes among them; no writer is waited for.
    else if (path === '') this.writers.clear();
    else this.writers.delete(path);
    const f = this.files.get(path);
    if (!f) {
      this.files.set(path, { events: 1, firstAt: at, lastAt: at, open });
      this.eventCount++;
      if (open) this.openCount++;
      return;
    }
    f.events++;
    this.eventCount++;
    f.firstAt = Math.min(f.firstAt, at);
    f.lastAt = Math.max(f.lastAt, at);
    if (f.open !== open) this.openCount += open ? 1 : -1;
    f.open = open;
  }

  /** `path`'s content is what was built: its events are no change (until its next event). */
  dismiss(path: string): boolean {
    const f = path === '' ? undefined : this.files.get(path);
    if (!f) return false;
    this.files.delete(path);
    this.eventCount -= f.events;
    if (f.open) this.openCount--;
    this.writers.delete(path);
    return true;
  }

  /** The newest event of a file still open for writing (undefined: none is). */
  lastWriteAt(): number | undefined {
    let last: number | undefined;
    for (const at of this.writers.values()) last = Math.max(last ?? at, at);
    return last;
  }

  /** The files still open for writing, as their newest events said. */
  get writing(): string[] {
    return [...this.writers.keys()];
  }

  /**
   * From the first to the last live event (0 with none). Scans the live files: callers ask only when
   * they are few (a lone save's handful), so a storm does not make each event cost a pass over it.
   */
  span(): number {
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const f of this.files.values()) {
      first = Math.min(first, f.firstAt);
      last = Math.max(last, f.lastAt);
    }
    return this.files.size === 0 ? 0 : last - first;
  }

  clear(): void {
    this.files.clear();
    this.writers.clear();
    this.eventCount = 0;
    this.openCount = 0;
  }
}
