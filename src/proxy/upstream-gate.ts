/**
 * Where a new request goes, and how long it waits when the answer is "nowhere yet". The supervisor moves
 * the gate between four states; requests ask it for a target and wait (bounded, abortable) while the
 * app is starting or restarting. A request whose upstream refused or dropped it comes back with the
 * version it used (`stale`): it is not sent to that same target again until the state changes or a
 * short retry pause has passed, so a dead app costs a few retries, not a busy loop.
 */
import type { FailureReport } from './types.js';

export type GateState<T> =
  | { kind: 'starting' }
  | { kind: 'ready'; target: T }
  | { kind: 'restarting'; reason: string }
  /** `target`: the previous version, still serving (a failed build or a failed blue-green start). */
  | { kind: 'failed'; report: FailureReport; target: T | undefined };

export type Acquired<T> =
  | { kind: 'target'; target: T; version: number }
  | { kind: 'failed'; report: FailureReport }
  | { kind: 'timeout'; reason: string };

export interface AcquireOptions {
  /** performance.now() after which the request stops waiting. */
  deadline: number;
  signal: AbortSignal;
  /** The version whose target just failed this request (see the file comment). */
  stale?: number | undefined;
  /** Pause before the same target is tried again when the state has not changed. */
  retryMs?: number;
}

export class UpstreamGate<T extends { readonly label: string }> {
  private current: GateState<T> = { kind: 'starting' };
  private version = 0;
  private changed = signalOnce();

  get state(): GateState<T> {
    return this.current;
  }

  /** Bumped on every transition; a request remembers the version it was sent with. */
  get stateVersion(): number {
    return this.version;
  }

  set(next: GateState<T>): void {
    this.current = next;
    this.version++;
    const done = this.changed;
    this.changed = signalOnce();
    done.fire();
  }

  /** The target of a request now, or after waiting for one; rejects only when `signal` aborts. */
  async acquire(opts: AcquireOptions): Promise<Acquired<T>> {
    let stale = opts.stale;
    for (;;) {
      const decided = this.decide(stale);
      if (decided) return decided;
      const left = opts.deadline - performance.now();
      if (left <= 0) return { kind: 'timeout', reason: this.describe() };
      const retryIn = stale === this.version ? (opts.retryMs ?? 100) : Number.POSITIVE_INFINITY;
      const changed = await this.nextChange(Math.min(left, retryIn), opts.signal);
      if (!changed && retryIn < left) stale = undefined;
    }
  }

  private decide(stale: number | undefined): Acquired<T> | undefined {
    const s = this.current;
    const retrying = stale === this.version;
    switch (s.kind) {
      case 'ready':
        return retrying ? undefined : { kind: 'target', target: s.target, version: this.version };
      case 'failed':
        // Nothing will answer until the next build: say why at once rather than hold the page.
        if (retrying || s.target === undefined) return { kind: 'failed', report: s.report };
        return { kind: 'target', target: s.target, version: this.version };
      default:
        return undefined;
    }
  }

  /** Why a request is waiting, for the 503 page when it waited too long. */
  describe(): string {
    const s = this.current;
    switch (s.kind) {
      case 'starting':
        return 'the app has not started yet';
      case 'restarting':
        return `the app is restarting (${s.reason})`;
      case 'ready':
        return `the app does not accept connections on ${s.target.label}: it no longer listens there, or it is exiting (\`hotwatch status\` says which)`;
      case 'failed':
        return s.report.title;
    }
  }

  /** True when the state changed within `ms`, false when `ms` passed first; rejects on abort. */
  private nextChange(ms: number, signal: AbortSignal): Promise<boolean> {
    signal.throwIfAborted();
    return new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => finish(() => resolve(false)), ms);
      const onAbort = (): void => finish(() => reject(signal.reason));
      const finish = (then: () => void): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        then();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      void this.changed.promise.then(() => finish(() => resolve(true)));
    });
  }
}

/** A promise and the function that resolves it (Node 20 has no Promise.withResolvers). */
function signalOnce(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((r) => {
    fire = r;
  });
  return { promise, fire };
}
