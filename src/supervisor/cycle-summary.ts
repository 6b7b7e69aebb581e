/**
 * The line a person reads at a glance once a cycle serves: what changed, how long the build took, how
 * long the app was down, where it serves ("main.go → built in 412 ms, restarted in 38 ms, serving on
 * http://127.0.0.1:8080"). Pure: fed the job's reports, asked when the app is seen listening.
 * A start names its cause itself (its `reason`: the trigger of the build it runs, or why it restarted
 * without one): the next build may have started before this version is seen listening (a slow app; a
 * build let finish while a newer change waited), and that build is not what this version serves.
 */
import type { Report } from './job-state.js';

export class CycleSummary {
  private building: string | undefined;
  /** The last build that finished: its trigger and time. */
  private built: { trigger: string | undefined; buildMs: number } | undefined;
  private start: { pid: number; stopMs: number | undefined; startMs: number; trigger: string; buildMs: number | undefined } | undefined;

  note(r: Report): void {
    if (r.kind === 'build.start') this.building = r.trigger;
    else if (r.kind === 'build.done') this.built = { trigger: this.building, buildMs: r.buildMs };
    else if (r.kind === 'app.start') {
      const buildMs = this.built !== undefined && this.built.trigger === r.reason ? this.built.buildMs : undefined;
      this.start = { pid: r.pid, stopMs: r.stopMs, startMs: r.startMs, trigger: r.reason, buildMs };
    }
  }

  /** The summary for app `pid`, now listening on `where` `readyMs` after its start; undefined if that app is not this cycle's. */
  line(pid: number, where: string, readyMs: number): string | undefined {
    const start = this.start;
    if (!start || start.pid !== pid) return undefined;
    const built = start.buildMs !== undefined ? `built in ${start.buildMs} ms, ` : 'no build, ';
    const down = (start.stopMs ?? 0) + start.startMs + readyMs;
    const restarted = start.stopMs !== undefined ? `restarted in ${down} ms` : `started in ${down} ms`;
    return `${start.trigger} → ${built}${restarted}, serving on ${where}`;
  }
}
