/** Runs a watcher in-process and records what it reports, for the watch-*.test.ts suites. */
import type { WatchEvent } from '../../src/pipeline/events.js';
import type { WatchNotice, Watcher, WatcherOptions } from '../../src/watch/types.js';

export interface Collected {
  events: WatchEvent[];
  notices: WatchNotice[];
  /** Paths of change events seen so far. */
  paths(): Set<string>;
  rescans(): string[];
  codes(): string[];
  clear(): void;
}

export function collector(): Collected & Pick<WatcherOptions, 'onEvent' | 'onNotice'> {
  const events: WatchEvent[] = [];
  const notices: WatchNotice[] = [];
  return {
    events,
    notices,
    onEvent: (e) => events.push(e),
    onNotice: (n) => notices.push(n),
    paths: () => new Set(events.flatMap((e) => (e.kind === 'change' ? [e.path] : []))),
    rescans: () => events.flatMap((e) => (e.kind === 'rescan' ? [e.reason] : [])),
    codes: () => notices.map((n) => n.code),
    clear: () => {
      events.length = 0;
      notices.length = 0;
    },
  };
}

/** Closes every watcher a test opened, even when the test failed. */
export function closer(): { add<W extends Watcher>(w: W): W; closeAll(): Promise<void> } {
  const open: Watcher[] = [];
  return {
    add(w) {
      open.push(w);
      return w;
    },
    async closeAll() {
      await Promise.all(open.splice(0).map((w) => w.close()));
    },
  };
}
