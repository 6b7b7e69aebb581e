import { describe, expect, it } from 'vitest';
import { describeBatch, groupByPackage, mergeBatches, toBatch } from '../../src/pipeline/aggregate.js';

const root = '/repo';

describe('aggregate', () => {
  it('a batch of polled changes says when its first file was written (their mtime), earlier than it was seen; merged, the earliest', () => {
    const b = toBatch([
      { kind: 'change', path: '/repo/a.go', at: 1000, writtenAt: 400 },
      { kind: 'change', path: '/repo/b.go', at: 1000, writtenAt: 300 },
      { kind: 'change', path: '/repo/c.go', at: 1001 },
    ])!;
    expect(b.firstWrittenAt).toBe(300);
    expect(toBatch([{ kind: 'change', path: '/repo/a.go', at: 5 }])!.firstWrittenAt).toBeUndefined();
    expect(mergeBatches(b, toBatch([{ kind: 'change', path: '/repo/d.go', at: 2000, writtenAt: 100 }])!).firstWrittenAt).toBe(100);
    expect(mergeBatches(toBatch([{ kind: 'change', path: '/repo/d.go', at: 50 }])!, b).firstWrittenAt).toBeUndefined();
  });

  it('dedupes paths, keeps order, collects rescan reasons', () => {
    const b = toBatch([
      { kind: 'change', path: '/repo/a.go', at: 5 },
      { kind: 'change', path: '/repo/a.go', at: 6 },
      { kind: 'rescan', reason: 'overflow', at: 7 },
      { kind: 'change', path: '/repo/internal/api/x.go', at: 9 },
    ])!;
    expect(b).toEqual({ paths: ['/repo/a.go', '/repo/internal/api/x.go'], rescanReasons: ['overflow'], firstAt: 5, lastAt: 9 });
    expect(toBatch([])).toBeUndefined();
  });

  it('groups by package directory', () => {
    const g = groupByPackage(['/repo/main.go', '/repo/internal/api/a.go', '/repo/internal/api/b.go'], root);
    expect([...g.entries()]).toEqual([
      ['.', ['main.go']],
      ['./internal/api', ['a.go', 'b.go']],
    ]);
  });

  it('describes batches for the log line', () => {
    const one = { paths: ['/repo/main.go'], rescanReasons: [], firstAt: 0, lastAt: 0 };
    expect(describeBatch(one, root)).toBe('main.go');
    const three = {
      paths: ['/repo/internal/api/a.go', '/repo/internal/api/b.go', '/repo/internal/api/c.go'],
      rescanReasons: [],
      firstAt: 0,
      lastAt: 0,
    };
    expect(describeBatch(three, root)).toBe('3 files in ./internal/api');
    const multi = { paths: ['/repo/a.go', '/repo/x/b.go'], rescanReasons: ['overflow'], firstAt: 0, lastAt: 0 };
    expect(describeBatch(multi, root)).toBe('2 files in 2 packages: . (1), ./x (1) + rescan (overflow)');
    expect(describeBatch({ paths: [], rescanReasons: ['initial build'], firstAt: 0, lastAt: 0 }, root)).toBe('initial build');
  });

  it('names files of another watched root from the root: ../lib near, absolute far', () => {
    const b = (paths: string[]) => ({ paths, rescanReasons: [], firstAt: 0, lastAt: 0 });
    expect(describeBatch(b(['/w/lib/lib.go']), '/w/app')).toBe('../lib/lib.go');
    expect(describeBatch(b(['/w/lib/a.go', '/w/app/main.go']), '/w/app')).toBe('2 files in 2 packages: ../lib (1), . (1)');
    expect(describeBatch(b(['/x/lib/a.go', '/x/lib/b.go']), '/w/a/b/c/app')).toBe('2 files in /x/lib');
  });

  it('merges batches without duplicates', () => {
    const a = { paths: ['/repo/a.go'], rescanReasons: ['r1'], firstAt: 1, lastAt: 2 };
    const b = { paths: ['/repo/a.go', '/repo/b.go'], rescanReasons: ['r1', 'r2'], firstAt: 3, lastAt: 4 };
    expect(mergeBatches(a, b)).toEqual({ paths: ['/repo/a.go', '/repo/b.go'], rescanReasons: ['r1', 'r2'], firstAt: 1, lastAt: 4 });
    expect(mergeBatches(undefined, b)).toBe(b);
  });
});
