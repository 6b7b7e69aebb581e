/**
 * What the log says about held requests: one line when requests start waiting for an app that is not
 * ready, one line when the last of them is released (how many, the longest wait), and each request
 * that waited too long (the first of a window at warn, the others at debug, then counted).
 */
import type { Logger } from '../log/logger.js';

export class HoldLog {
  private waiting = 0;
  private count = 0;
  private longestMs = 0;
  private timeouts = 0;
  /** Held requests whose client went away before the app was ready (not released: nobody was waiting). */
  private gone = 0;

  constructor(private readonly log: Logger) {}

  /** A request starts waiting; the returned function ends its wait ('sent' when it went to an app). */
  begin(url: string, why: () => string): (outcome: 'sent' | 'timeout' | 'answered' | 'gone', waitedMs: number) => void {
    const fields = { event: 'proxy.held', url, reason: why() };
    if (this.waiting === 0 && this.count === 0) this.log.info(fields, `holding requests until the app is ready (${why()})`);
    else this.log.debug(fields, `holding ${url}`);
    this.waiting++;
    this.count++;
    let ended = false;
    return (outcome, waitedMs) => {
      if (ended) return;
      ended = true;
      this.waiting--;
      this.longestMs = Math.max(this.longestMs, waitedMs);
      if (outcome === 'gone') this.gone++;
      this.log.debug(
        { event: 'proxy.unheld', url, outcome, waitedMs: Math.round(waitedMs) },
        `held ${url} ${Math.round(waitedMs)} ms: ${outcome}`,
      );
      if (this.waiting === 0) this.summarise();
    };
  }

  timedOut(url: string, reason: string, waitedMs: number): void {
    this.timeouts++;
    const fields = { event: 'proxy.timeout', url, reason, waitedMs: Math.round(waitedMs) };
    const msg = `503 for ${url}: waited ${Math.round(waitedMs)} ms, ${reason}`;
    if (this.timeouts === 1) this.log.warn(fields, msg);
    else this.log.debug(fields, msg);
  }

  private summarise(): void {
    const extra = this.timeouts > 1 ? `, ${this.timeouts} of them answered 503 (see above)` : '';
    const released = this.count - this.gone;
    const n = (k: number): string => `${k} held request${k === 1 ? '' : 's'}`;
    const what =
      this.gone === 0
        ? `released ${n(released)}`
        : released === 0
          ? `${n(this.gone)} ended: the client left before the app was ready`
          : `released ${n(released)}; ${this.gone} more ended, the client gone before the app was ready`;
    this.log.info(
      { event: 'proxy.released', held: this.count, gone: this.gone, longestMs: Math.round(this.longestMs), timeouts: this.timeouts },
      `${what} (longest wait ${Math.round(this.longestMs)} ms)${extra}`,
    );
    this.count = 0;
    this.longestMs = 0;
    this.timeouts = 0;
    this.gone = 0;
  }
}
