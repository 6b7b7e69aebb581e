import { describe, expect, it } from 'vitest';
import { Debouncer, WRITER_MAX_MS, WRITER_QUIET_MS } from '../../src/pipeline/debounce.js';

/** Feeds events at the given times and returns the times batches were taken (checked every 1 ms). */
function batches(d: Debouncer, events: number[], until: number): number[] {
  const out: number[] = [];
  const at = new Map<number, number>();
  for (const e of events) at.set(e, (at.get(e) ?? 0) + 1);
  for (let t = 0; t <= until; t++) {
    if (d.take(t)) out.push(t);
    for (let i = 0; i < (at.get(t) ?? 0); i++) d.note(t);
  }
  return out;
}

describe('Debouncer (injected clock)', () => {
  it('a single window: due once the quiet window passes with no event', () => {
    const d = new Debouncer({ quietMs: 50, maxWaitMs: 1000 });
    expect(d.deadline()).toBeUndefined();
    d.note(0);
    d.note(30);
    expect(d.deadline()).toBe(80);
    expect(d.take(79)).toBe(false);
    expect(d.take(80)).toBe(true);
    expect(d.pending).toBe(false);
    expect(d.take(500)).toBe(false);
  });

  it('capped: due because maxWait ran out, not because the batch went quiet', () => {
    const d = new Debouncer({ quietMs: 50, maxWaitMs: 200 });
    expect(d.capped()).toBe(false); // nothing pending
    d.note(0);
    expect(d.capped()).toBe(false); // due at 50: quiet
    for (let t = 40; t <= 160; t += 40) d.note(t);
    expect(d.deadline()).toBe(200);
    expect(d.capped()).toBe(true); // 160 + 50 > 0 + 200
  });

  it('a lone save after an idle moment uses the short window', () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, maxWaitMs: 1000 });
    // an editor save: 4 events within 3 ms
    expect(batches(d, [100, 101, 102, 103], 300)).toEqual([118]);
  });

  it('many events in a short span are the start of a burst, not a lone save', () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, maxWaitMs: 1000 });
    // 12 events within 5 ms, then nothing: a burst (below the bulk size)
    expect(
      batches(
        d,
        Array.from({ length: 12 }, (_, i) => 100 + Math.floor(i / 3)),
        400,
      ),
    ).toEqual([153]);
  });

  it('a burst spanning longer than the lone window waits for the full quiet window', () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, maxWaitMs: 1000 });
    const burst = Array.from({ length: 12 }, (_, i) => 100 + i * 5); // 100..155, below the bulk size
    expect(batches(d, burst, 400)).toEqual([205]);
  });

  it('three edits 30 ms apart make at most two batches', () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, maxWaitMs: 1000 });
    const out = batches(d, [0, 30, 60], 300);
    expect(out.length).toBeLessThanOrEqual(2);
    expect(out).toEqual([15, 110]);
    const single = new Debouncer({ quietMs: 50, maxWaitMs: 1000 });
    expect(batches(single, [0, 30, 60], 300)).toEqual([110]);
  });

  it('a save soon after a batch is a continuation: full window', () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, maxWaitMs: 1000 });
    expect(batches(d, [0, 40, 1000], 1200)).toEqual([15, 90, 1015]);
  });

  it('a continuous stream still builds at maxWait', () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, maxWaitMs: 200 });
    const stream = Array.from({ length: 101 }, (_, i) => i * 10);
    expect(batches(d, stream, 1000)).toEqual([200, 400, 600, 800, 1000]);
  });

  it('a bulk write (16+ events) bridges pauses up to the bulk window: one batch, not one per pause', () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, maxWaitMs: 1000 });
    // 100 events in 10 ms, a 120 ms pause (a busy machine), 100 more: one batch, 200 ms after the last
    const part = (from: number) => Array.from({ length: 100 }, (_, i) => from + Math.floor(i / 10));
    expect(batches(d, [...part(100), ...part(229)], 1000)).toEqual([438]);
    // the same pause in a small burst still splits it (quiet window 50 ms)
    const small = new Debouncer({ quietMs: 50, loneQuietMs: 15, maxWaitMs: 1000 });
    expect(batches(small, [100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 229], 1000)).toEqual([159, 244]);
  });

  it('events soon after a bulk batch continue it (bulk window); a later save is lone again', () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, maxWaitMs: 1000 });
    const bulk = Array.from({ length: 70 }, (_, i) => 100 + Math.floor(i / 10)); // 100..106 → taken at 306
    expect(batches(d, [...bulk, 400, 2000], 2500)).toEqual([306, 600, 2015]);
  });

  it('the bulk window never exceeds maxWait', () => {
    const d = new Debouncer({ quietMs: 50, maxWaitMs: 120 });
    expect(
      batches(
        d,
        Array.from({ length: 16 }, () => 0),
        500,
      ),
    ).toEqual([120]);
  });

  it('a lone save whose writes are known complete uses the settled window', () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, settledQuietMs: 5, maxWaitMs: 1000 });
    d.note(100, '/m/main.go', true);
    expect(d.deadline()).toBe(105);
    expect(d.take(105)).toBe(true);
    // an atomic save: the old file moved away (open), then the new one renamed into place (complete)
    d.note(200, '/m/main.go', false);
    expect(d.deadline()).toBe(215);
    d.note(201, '/m/main.go', true);
    expect(d.deadline()).toBe(206);
  });

  it('one file still being written keeps the lone window for the whole batch', () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, settledQuietMs: 5, maxWaitMs: 1000 });
    d.note(100, '/m/a.go', true);
    d.note(101, '/m/b.go', false); // modified, not closed yet
    expect(d.deadline()).toBe(116);
    d.note(102, '/m/b.go', true);
    expect(d.deadline()).toBe(107);
    d.note(103, '/m/c.go', true);
    expect(d.deadline()).toBe(108);
    // a pathless event (rescan) is never known complete
    d.note(104);
    expect(d.deadline()).toBe(119);
  });

  it('the settled window applies to lone saves only: not to bursts, continuations or bulk writes', () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, settledQuietMs: 5, maxWaitMs: 1000 });
    d.note(0, '/m/a.go', true);
    expect(d.take(5)).toBe(true);
    d.note(30, '/m/a.go', true); // 25 ms after the last batch: the developer is still saving
    expect(d.deadline()).toBe(80);
    expect(d.take(80)).toBe(true);
    for (let i = 0; i < 12; i++) d.note(500, `/m/f${i}.go`, true); // a burst of completed writes
    expect(d.deadline()).toBe(550);
    // without settledQuietMs there is no fast path
    const plain = new Debouncer({ quietMs: 50, loneQuietMs: 15, maxWaitMs: 1000 });
    plain.note(0, '/m/a.go', true);
    expect(plain.deadline()).toBe(15);
  });

  it('a save taken early (seen complete) keeps the continuation window a lone save would have had', () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, settledQuietMs: 5, maxWaitMs: 1000 });
    d.note(0, '/m/main.go', true);
    expect(d.take(5)).toBe(true); // 10 ms before a lone save would have been taken (15)
    d.note(60, '/m/main.go', true); // within 50 ms of 15: the developer is still saving
    expect(d.deadline()).toBe(110);
    expect(d.take(110)).toBe(true);
    d.note(1000, '/m/main.go', true); // long after: lone and complete again
    expect(d.deadline()).toBe(1005);
  });

  it("a storm of files found unchanged, then one real edit: that edit's own window, not the bulk one", () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, settledQuietMs: 5, maxWaitMs: 1000 });
    // 2,000 same-content rewrites (2 events each) over 100 ms, then main.go saved
    for (let i = 0; i < 2000; i++) {
      d.note(i / 20, `/m/p${i % 200}/f${i}.go`);
      d.note(i / 20, `/m/p${i % 200}/f${i}.go`, true);
    }
    d.note(101, '/m/main.go', true);
    expect(d.deadline()).toBe(301); // nothing resolved yet: the bulk window
    for (let i = 0; i < 1000; i++) d.dismiss(`/m/p${i % 200}/f${i}.go`);
    expect(d.deadline()).toBe(301); // 1,000 not read yet still count: still bulk
    for (let i = 1000; i < 2000; i++) d.dismiss(`/m/p${i % 200}/f${i}.go`);
    // only main.go is live: a lone save seen complete, as if the storm had not happened
    expect(d.deadline()).toBe(106);
    expect(d.take(106)).toBe(true);
  });

  it('a dismissed file written again is live again; pathless events are never dismissed', () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, settledQuietMs: 5, maxWaitMs: 1000 });
    for (let i = 0; i < 20; i++) d.note(0, `/m/f${i}.go`, true);
    for (let i = 0; i < 20; i++) d.dismiss(`/m/f${i}.go`);
    expect(d.deadline()).toBe(5); // nothing live: nothing to gather
    for (let i = 0; i < 20; i++) d.note(2, `/m/f${i}.go`, true); // a real checkout of the same files
    expect(d.deadline()).toBe(202); // live again: the bulk window
    expect(d.take(202)).toBe(true);
    const r = new Debouncer({ quietMs: 50, loneQuietMs: 15, settledQuietMs: 5, maxWaitMs: 1000 });
    for (let i = 0; i < 20; i++) r.note(0); // a backend that names no file
    r.dismiss('');
    expect(r.deadline()).toBe(200);
  });

  it('real changes keep the bulk window when unchanged files are dismissed around them', () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, settledQuietMs: 5, maxWaitMs: 1000 });
    for (let i = 0; i < 100; i++) d.note(i, `/m/p${i % 10}/f${i}.go`, true);
    for (let i = 0; i < 100; i += 2) d.dismiss(`/m/p${i % 10}/f${i}.go`); // half were the same bytes
    expect(d.deadline()).toBe(299); // 50 real changes: a checkout, one build
    // a bulk batch's continuation stays bulk while anything in it may be real
    expect(d.take(299)).toBe(true);
    d.note(320, '/m/p1/late.go', true);
    expect(d.deadline()).toBe(520);
    d.dismiss('/m/p1/late.go');
    expect(d.deadline()).toBe(370); // nothing live: the continuation's quiet window
  });

  it('a batch found wholly unchanged continues nothing: the next save is lone again', () => {
    const d = new Debouncer({ quietMs: 50, loneQuietMs: 15, settledQuietMs: 5, maxWaitMs: 1000 });
    for (let i = 0; i < 300; i++) d.note(i / 10, `/m/f${i}.go`, true); // a same-content storm, 30 ms
    for (let i = 0; i < 300; i++) d.dismiss(`/m/f${i}.go`);
    expect(d.take(35)).toBe(true); // nothing live: taken 5 ms after its last event (and dropped)
    d.note(40, '/m/main.go', true); // the real save, 5 ms later
    expect(d.deadline()).toBe(45); // not a continuation (which would wait 50 ms)
    expect(d.take(45)).toBe(true);
    d.note(60, '/m/main.go', true); // 15 ms after a live batch: the developer is still saving
    expect(d.deadline()).toBe(110);
  });

  describe('a file still open for writing (written, not closed) holds the batch until its close', () => {
    const opts = { quietMs: 50, loneQuietMs: 15, settledQuietMs: 5, maxWaitMs: 1000 };

    it('a generator redirected into the file: emptied at 0, written and closed 1.5 s later: one batch, after the close', () => {
      const d = new Debouncer(opts);
      d.note(0, '/r/gen.go', false, true); // the shell's O_TRUNC: IN_MODIFY, no close
      expect(d.writing).toEqual(['/r/gen.go']);
      expect(d.deadline()).toBe(WRITER_QUIET_MS); // not 15 ms, not maxWait: waiting for the close
      expect(d.take(1400)).toBe(false);
      d.note(1500, '/r/gen.go', false, true); // the write
      d.note(1501, '/r/gen.go', true); // IN_CLOSE_WRITE
      expect(d.writing).toEqual([]);
      expect(d.take(1560)).toBe(true); // the burst's own quiet window after the close
    });

    it('an editor save (written, then closed at once) is not held', () => {
      const d = new Debouncer(opts);
      d.note(100, '/r/main.go', false, true);
      d.note(101, '/r/main.go', true);
      expect(d.deadline()).toBe(106); // the settled window
    });

    it('a writer that never closes: held WRITER_QUIET_MS after its last write, and never past WRITER_MAX_MS', () => {
      const d = new Debouncer(opts);
      d.note(0, '/r/a.go', false, true);
      d.note(0, '/r/b.go', true);
      expect(d.deadline()).toBe(WRITER_QUIET_MS);
      expect(d.take(WRITER_QUIET_MS)).toBe(true);
      const e = new Debouncer(opts);
      for (let t = 0; t <= 20_000; t += 500) e.note(t, '/r/log.tmpl', false, true); // writes every 0.5 s, forever
      expect(e.deadline()).toBe(WRITER_MAX_MS);
    });

    it('a rescan (events were lost, the close among them) holds nothing any more', () => {
      const d = new Debouncer(opts);
      d.note(0, '/r/a.go', false, true);
      d.note(10); // the rescan: no path
      expect(d.writing).toEqual([]);
      expect(d.deadline()).toBeLessThan(1000);
    });

    it('a file found unchanged (dismissed) holds nothing any more', () => {
      const d = new Debouncer(opts);
      d.note(0, '/r/a.go', false, true);
      d.dismiss('/r/a.go');
      expect(d.writing).toEqual([]);
      expect(d.deadline()).toBeLessThan(1000);
    });
  });

  it('rejects maxWait shorter than quiet', () => {
    expect(() => new Debouncer({ quietMs: 100, maxWaitMs: 50 })).toThrow(/quiet/);
  });
});
