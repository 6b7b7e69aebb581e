/**
 * Exponential restart backoff for a crashing app, pure (the caller owns time): the delay doubles with
 * each crash up to `maxMs`, and starts over once the app stayed up for `resetAfterMs`.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
}

export class Backoff {
  private attempt = 0;

  constructor(private readonly opts: BackoffOptions) {}

  /** The delay before restarting an app that ran for `uptimeMs` and then exited. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.opts.resetAfterMs) this.attempt = 0;
    const delay = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** this.attempt);
    this.attempt++;
    return delay;
  }

  /** Crashes in a row since the last reset. */
  get crashes(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
