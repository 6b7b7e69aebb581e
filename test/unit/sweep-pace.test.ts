import { describe, expect, it } from 'vitest';
import { MAX_FACTOR, SweepPace } from '../../src/watch/native/engine/coverage/sweep-pace.js';

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
