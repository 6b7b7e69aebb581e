import { describe, expect, it } from 'vitest';
import { FailureCleared } from '../../src/supervisor/failure-cleared.js';
import type { Report } from '../../src/supervisor/job.js';

const failed = { kind: 'build.failed', result: {} as never, appRunning: true } as Report;
const reverted: Report = { kind: 'build.reverted', pid: 7, canceled: false };
const same: Report = { kind: 'build.same-binary', pid: 7, buildMs: 120 };
const started: Report = { kind: 'app.start', pid: 8, reason: 'main.go', startMs: 3 };

describe('FailureCleared', () => {
  it('marks only the first revert or same binary after a failure', () => {
    const f = new FailureCleared();
    expect(f.mark(reverted)).toEqual(reverted);
    expect(f.mark(failed)).toBe(failed);
    expect(f.mark(reverted)).toEqual({ ...reverted, afterFailure: true });
    expect(f.mark(reverted)).toEqual(reverted);
    expect(f.mark({ kind: 'build.error', error: new Error('no go') })).toMatchObject({ kind: 'build.error' });
    expect(f.mark(same)).toEqual({ ...same, afterFailure: true });
  });

  it('a new version started after the failure clears it: nothing to mark later', () => {
    const f = new FailureCleared();
    f.mark(failed);
    f.mark(started);
    expect(f.mark(same)).toEqual(same);
  });
});
