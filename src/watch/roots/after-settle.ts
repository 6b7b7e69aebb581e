/**
 * A background question asked again of the toolchain once `.go` edits settle (the git-ignored
 * directories the build reads, ignored-refresh.ts; the files it embeds, embedded-files.ts): each change
 * moves the run SETTLE_MS later, and one run goes at a time (a change during a run brings one more after it).
 */

/** After the last `.go` edit: a build has usually run by then. */
export const SETTLE_MS = 2000;

export class AfterSettle {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly signal: AbortSignal,
  ) {}

  changed(): void {
    if (this.signal.aborted) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), SETTLE_MS);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.running) return this.changed(); // once the current one ends
    this.running = true;
    try {
      await this.task();
    } finally {
      this.running = false;
    }
  }
}
