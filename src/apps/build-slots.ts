/**
 * A bound on the builds running at once across apps. One `go build` already compiles the packages it
 * needs in parallel (-p = cores), and its last step, the link, runs on one core and takes most of an
 * incremental build: a couple of builds at once keep the cores busy with links, more only share the
 * same cores (and each link holds 100+ MB). So: max(2, cores − 1), at most 8.
 */
import os from 'node:os';

export function defaultBuildBound(cores: number = os.availableParallelism()): number {
  return Math.min(8, Math.max(2, cores - 1));
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
