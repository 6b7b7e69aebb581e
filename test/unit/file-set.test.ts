import { describe, expect, it } from 'vitest';
import { FileSet } from '../../src/watch/tree/file-set.js';

describe('FileSet (paths stored by directory)', () => {
  it('adds, finds and deletes paths; a name that is a prefix or suffix of another is its own entry', () => {
    const s = new FileSet();
    for (const p of ['/r/a.go', '/r/aa.go', '/r/x/a.go', '/r/x/b.go', '/r/xa/a.go']) s.add(p);
    s.add('/r/a.go'); // twice: once
    expect(s.size).toBe(5);
    expect(s.has('/r/a.go')).toBe(true);
    expect(s.has('/r/x/a.go')).toBe(true);
    expect(s.has('/r/a')).toBe(false);
    expect(s.has('/r/.go')).toBe(false);
    expect(s.has('/r/x')).toBe(false);
    expect(s.delete('/r/a.go')).toBe(true);
    expect(s.delete('/r/a.go')).toBe(false);
    expect(s.has('/r/aa.go')).toBe(true);
    expect(s.size).toBe(4);
  });

  it('filesUnder: the directory and its subdirectories, not a sibling sharing its prefix', () => {
    const s = new FileSet();
    for (const p of ['/r/x/a.go', '/r/x/deep/b.go', '/r/xa/c.go', '/r/d.go']) s.add(p);
    expect(s.filesUnder('/r/x').sort()).toEqual(['/r/x/a.go', '/r/x/deep/b.go']);
    expect(s.filesUnder('/r').length).toBe(4);
    expect(s.filesUnder('/r/d.go')).toEqual(['/r/d.go']);
    s.delete('/r/x/a.go');
    s.delete('/r/x/deep/b.go');
    expect(s.filesUnder('/r/x')).toEqual([]);
    s.clear();
    expect(s.size).toBe(0);
  });

  it('names with spaces, dots and percent signs', () => {
    const s = new FileSet();
    for (const p of ['/r/a b.go', '/r/.hidden.go', '/r/100%.go']) s.add(p);
    expect(['/r/a b.go', '/r/.hidden.go', '/r/100%.go'].every((p) => s.has(p))).toBe(true);
    expect(s.filesUnder('/r').sort()).toEqual(['/r/.hidden.go', '/r/100%.go', '/r/a b.go']);
  });

  it('shallowest: files of the shallowest directories first, at most the limit', () => {
    const s = new FileSet();
    for (const p of ['/r/a/b/c/deep.go', '/r/a/b/mid.go', '/r/main.go', '/r/a/pkg.go', '/r/x.go']) s.add(p);
    expect(s.shallowest(3).sort()).toEqual(['/r/a/pkg.go', '/r/main.go', '/r/x.go']);
    expect(s.shallowest(2).sort()).toEqual(['/r/main.go', '/r/x.go']);
    expect(s.shallowest(99)).toHaveLength(5);
  });

  it('addAll: the same set as adding one by one, runs of one directory, a directory met again, the root', () => {
    const paths = ['/a.go', '/r/a.go', '/r/b.go', '/r/x/a.go', '/r/x/b.go', '/r/xa/a.go', '/r/c.go', '/r/x/deep/d.go', '/r/x/c.go'];
    const one = new FileSet();
    for (const p of paths) one.add(p);
    const all = new FileSet();
    all.add('/r/x/b.go'); // already there: taken one by one, no duplicate
    all.addAll(paths);
    expect(all.size).toBe(one.size);
    expect(all.filesUnder('/').sort()).toEqual(one.filesUnder('/').sort());
    for (const p of paths) expect(all.has(p), p).toBe(true);
    expect(all.has('/r/x')).toBe(false);
    expect(all.delete('/r/x/a.go')).toBe(true);
    expect(all.has('/r/x/b.go')).toBe(true);
    expect(all.size).toBe(paths.length - 1);
  });
});
