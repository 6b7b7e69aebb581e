/**
 * A bound on the go processes running at once across apps (an edit that rebuilds several apps is one
 * combined go build: combined-builds.ts): cores + 2, at most 8. One `go build` already
 * compiles its packages in parallel (-p = cores), but much of an incremental build is serial (starting
 * go, hashing the action graph, the link on one core, writing the binary), so a few more builds than
 * cores keep the cores busy; past that they only share them, and each link holds 100+ MB. Measured with
 * `npm run bench --only apps` (10 apps, an edit of the shared package, 2 cores, a loaded machine): a
 * bound of 2 served all ten in 5.6 s, 4 in 5.0 s, 10 in 4.4 s, and ten separate watchers in 3.6-4.1 s,
 * when each app was still its own go build; now the ten are one go build, and the bound matters only
 * where builds cannot combine (different flags or env, build.cmd) or edits overlap.
 */
import os from 'node:os';

export function defaultBuildBound(cores: number = os.availableParallelism()): number {
  return Math.min(8, Math.max(1, cores) + 2);
}

export class BuildSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly bound: number) {}

  /** Resolves with a release once a slot is free; a waiter whose signal aborts leaves the queue. */
  acquire(signal: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.running++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.running--;
          this.waiting.shift()?.();
        });
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error('canceled'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      if (this.running < this.bound) grant();
      else this.waiting.push(grant);
    });
  }
}
