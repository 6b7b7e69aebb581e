/**
 * Exponential restart backoff for a crashing app, pure (the caller owns time): the delay doubles with
 * each crash up to `maxMs`, and starts over once the app stayed up for `resetAfterMs`.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
}

/**
 * One more crash after `crashesSoFar` in a row, of an app that ran for `uptimeMs`: the count it makes
 * (1 again after a stable uptime) and the delay before the restart.
 */
export function nextCrash(opts: BackoffOptions, crashesSoFar: number, uptimeMs: number): { crashes: number; delayMs: number } {
  const before = uptimeMs >= opts.resetAfterMs ? 0 : crashesSoFar;
  return { crashes: before + 1, delayMs: Math.min(opts.maxMs, opts.initialMs * 2 ** before) };
}

export class Backoff {
  private attempt = 0;

  constructor(private readonly opts: BackoffOptions) {}

  /** The delay before restarting an app that ran for `uptimeMs` and then exited. */
  next(uptimeMs: number): number {
    const { crashes, delayMs } = nextCrash(this.opts, this.attempt, uptimeMs);
    this.attempt = crashes;
    return delayMs;
  }

  /** Crashes in a row since the last reset. */
  get crashes(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
