/**
 * Whether the last word about a build was a failure. After `BUILD FAILED`, a fix back to what the app
 * runs needs no build (`build.reverted`) or builds the very binary that runs (`build.same-binary`):
 * nothing restarts, so without a line of its own at the usual level the terminal keeps showing the
 * failure as the latest news, and the developer is left wondering whether the fix was seen at all.
 */
import type { Report } from './job.js';

export class FailureCleared {
  private failureSaid = false;

  /** `r`, marked `afterFailure` when it is the first news since a failure that the app serving is fine. */
  mark(r: Report): Report {
    switch (r.kind) {
      case 'build.failed':
      case 'build.error':
        this.failureSaid = true;
        return r;
      case 'build.same-binary':
      case 'build.reverted': {
        if (!this.failureSaid) return r;
        this.failureSaid = false;
        return { ...r, afterFailure: true };
      }
      case 'app.start':
        this.failureSaid = false;
        return r;
      default:
        return r;
    }
  }
}
