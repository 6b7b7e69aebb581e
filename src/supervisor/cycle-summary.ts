/**
 * The line a person reads at a glance once a cycle serves: what changed, how long the build took, how
 * long the app was down, where it serves ("main.go → built in 412 ms, restarted in 38 ms, serving on
 * http://127.0.0.1:8080"). Pure: fed the job's reports, asked when the app is seen listening.
 */
import type { Report } from './job-state.js';

export class CycleSummary {
  private trigger: string | undefined;
  private buildMs: number | undefined;
  /**
   * The last start, with the cycle it belongs to taken at the start: a slow app may be seen listening after
   * the next change began its build, and that change is not what this version serves.
   */
  private start:
    | { pid: number; stopMs: number | undefined; startMs: number; trigger: string | undefined; buildMs: number | undefined }
    | undefined;

  note(r: Report): void {
    if (r.kind === 'build.start') {
      this.trigger = r.trigger;
      this.buildMs = undefined;
    } else if (r.kind === 'build.done') this.buildMs = r.buildMs;
    else if (r.kind === 'app.restart') {
      this.trigger = r.reason;
      this.buildMs = undefined;
    } else if (r.kind === 'app.start')
      this.start = { pid: r.pid, stopMs: r.stopMs, startMs: r.startMs, trigger: this.trigger, buildMs: this.buildMs };
  }

  /** The summary for app `pid`, now listening on `where` `readyMs` after its start; undefined if that app is not this cycle's. */
  line(pid: number, where: string, readyMs: number): string | undefined {
    const start = this.start;
    if (!start || start.pid !== pid || start.trigger === undefined) return undefined;
    const built = start.buildMs !== undefined ? `built in ${start.buildMs} ms, ` : 'no build, ';
    const down = (start.stopMs ?? 0) + start.startMs + readyMs;
    const restarted = start.stopMs !== undefined ? `restarted in ${down} ms` : `started in ${down} ms`;
    return `${start.trigger} → ${built}${restarted}, serving on ${where}`;
  }
}
