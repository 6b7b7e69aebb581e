/** The baseline of what the running app was built from (src/pipeline/baseline.ts): pure, hashes as strings. */
import { describe, expect, it } from 'vitest';
import { ServedBaseline } from '../../src/pipeline/baseline.js';

describe('ServedBaseline', () => {
  it('a change and its undoing, in one batch or two: back to the baseline', () => {
    const b = new ServedBaseline();
    expect(b.backToBaseline()).toBe(false); // nothing changed: nothing to undo
    b.noteChange(1, 'a.go', 'A1', 'A2');
    expect(b.backToBaseline()).toBe(false);
    b.noteChange(2, 'a.go', 'A2', 'A1');
    expect(b.backToBaseline()).toBe(true);
  });

  it('every changed file must be back: one still changed is a change', () => {
    const b = new ServedBaseline();
    b.noteChange(1, 'a.go', 'A1', 'A2');
    b.noteChange(1, 'b.go', 'B1', 'B2');
    b.noteChange(2, 'a.go', 'A2', 'A1');
    expect(b.backToBaseline()).toBe(false);
    b.noteChange(3, 'b.go', 'B2', 'B1');
    expect(b.backToBaseline()).toBe(true);
  });

  it('a file removed is a change, never "back" (the build compiled it): a removal and its restoring are', () => {
    const b = new ServedBaseline();
    b.noteChange(1, 'gone.go', 'G1', undefined);
    expect(b.backToBaseline()).toBe(false);
    b.noteChange(2, 'gone.go', undefined, 'G1');
    expect(b.backToBaseline()).toBe(true);
  });

  it('a file whose baseline hash is unknown (not indexed, created since) is never "back"', () => {
    const b = new ServedBaseline();
    b.noteChange(1, 'new.go', undefined, 'N1');
    b.noteChange(2, 'new.go', 'N1', undefined);
    expect(b.backToBaseline()).toBe(false);
  });

  it('the baseline moves to the batch a served build was built from; later changes stay pending', () => {
    const b = new ServedBaseline();
    b.noteChange(1, 'a.go', 'A1', 'A2');
    b.noteChange(2, 'a.go', 'A2', 'A3');
    b.served(1); // the app runs a.go as of batch 1 (A2)
    expect(b.backToBaseline()).toBe(false);
    b.noteChange(3, 'a.go', 'A3', 'A2');
    expect(b.backToBaseline()).toBe(true);
    b.noteChange(4, 'a.go', 'A2', 'A1'); // what ran before batch 1 is a change now
    expect(b.backToBaseline()).toBe(false);
  });

  it('a rescan (files not hashed) makes it unknowable until a build of it or later serves', () => {
    const b = new ServedBaseline();
    b.noteChange(1, 'a.go', 'A1', 'A2');
    b.noteUnknown(2);
    b.noteChange(3, 'a.go', 'A2', 'A1');
    expect(b.backToBaseline()).toBe(false);
    b.served(1);
    expect(b.backToBaseline()).toBe(false);
    b.served(2); // a.go as of batch 2: A2 (batch 3's A1 is still to serve)
    b.noteChange(4, 'a.go', 'A1', 'A9');
    b.noteChange(5, 'a.go', 'A9', 'A2');
    expect(b.backToBaseline()).toBe(true);
  });

  it('while a new app starts nothing is known; an inexact build (files changed while it built) settles nothing', () => {
    const b = new ServedBaseline();
    b.noteChange(1, 'a.go', 'A1', 'A2');
    const settle = b.serving();
    b.noteChange(2, 'a.go', 'A2', 'A1');
    expect(b.backToBaseline()).toBe(false); // the app just started may run A1 or A2
    settle(1, false);
    expect(b.backToBaseline()).toBe(false);
    const exact = b.serving();
    exact(3, true);
    b.noteChange(4, 'a.go', 'A1', 'A5');
    b.noteChange(5, 'a.go', 'A5', 'A1');
    expect(b.backToBaseline()).toBe(true);
  });
});
