import { describe, expect, it } from 'vitest';
import { MAX_FACTOR, QUIET_AFTER_MS, SweepPace } from '../../src/watch/native/engine/coverage/sweep-pace.js';

describe('SweepPace (the coverage sweep slows down on a quiet tree)', () => {
  it('each quiet full pass doubles the wait between steps, up to MAX_FACTOR times the base', () => {
    const p = new SweepPace(1000);
    expect(p.everyMs).toBe(1000);
    p.stepEnded(false, false);
    expect(p.everyMs, 'a step inside a pass changes nothing').toBe(1000);
    p.stepEnded(true, false);
    expect(p.everyMs).toBe(2000);
    p.stepEnded(true, false);
    expect(p.everyMs).toBe(4000);
    for (let i = 0; i < 20; i++) p.stepEnded(true, false);
    expect(p.everyMs).toBe(1000 * MAX_FACTOR);
  });

  it('any event in the tree brings back the base pace, and the pass it fell in does not slow it', () => {
    const p = new SweepPace(1000);
    p.stepEnded(true, false);
    p.stepEnded(true, false);
    expect(p.everyMs).toBe(4000);
    p.activity();
    expect(p.everyMs).toBe(1000);
    p.stepEnded(true, false);
    expect(p.everyMs, 'the pass with the event in it').toBe(1000);
    p.stepEnded(true, false);
    expect(p.everyMs, 'the next quiet pass').toBe(2000);
  });

  it('a step that found something (a directory unwatched, a file to report) resets the pace like an event', () => {
    const p = new SweepPace(200);
    p.stepEnded(true, false);
    expect(p.everyMs).toBe(400);
    p.stepEnded(false, true);
    expect(p.everyMs).toBe(200);
    p.stepEnded(true, false);
    expect(p.everyMs).toBe(200);
  });
});

describe('SweepPace on a tree quiet for a while (issue 19)', () => {
  it('once quiet for QUIET_AFTER_MS, every step that finds nothing doubles the wait (a big tree need not finish a pass first)', () => {
    const p = new SweepPace(1000);
    p.activity(0);
    p.stepEnded(false, false, QUIET_AFTER_MS / 2);
    expect(p.everyMs, 'not quiet long enough: a step inside a pass changes nothing').toBe(1000);
    p.stepEnded(false, false, QUIET_AFTER_MS);
    expect(p.everyMs).toBe(2000);
    p.stepEnded(false, false, QUIET_AFTER_MS + 2000);
    expect(p.everyMs).toBe(4000);
    for (let i = 0; i < 10; i++) p.stepEnded(false, false, QUIET_AFTER_MS + 10_000 * (i + 1));
    expect(p.everyMs).toBe(1000 * MAX_FACTOR);
    p.activity(200_000);
    expect(p.everyMs, 'an event: the base pace').toBe(1000);
    p.stepEnded(false, false, 201_000);
    expect(p.everyMs, 'and it stays there until the tree is quiet again').toBe(1000);
    expect(p.nextDueAt).toBe(1000); // no step ran yet through maybeStep: due one wait after 0
  });
});
