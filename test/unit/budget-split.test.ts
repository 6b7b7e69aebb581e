/** "Poll the overflow part" (pure): which subtrees are polled when the watch budget fits only part of the tree. */
import { describe, expect, it } from 'vitest';
import { describeSubtrees, safetyMargin, splitForBudget } from '../../src/watch/budget/split.js';

const R = '/r';
/** The root plus `n` subdirs under each of `tops` (each top counted too). */
function tree(tops: Record<string, number>): string[] {
  const dirs = [R];
  for (const [t, n] of Object.entries(tops)) {
    dirs.push(`${R}/${t}`);
    for (let i = 0; i < n; i++) dirs.push(`${R}/${t}/d${i}`);
  }
  return dirs;
}

describe('splitForBudget', () => {
  it('keeps the larger of 64 and 10% free', () => {
    expect(safetyMargin(100)).toBe(64);
    expect(safetyMargin(10_000)).toBe(1000);
  });

  it('polls the smallest subtree that sheds the whole excess, and the rest fits the target', () => {
    // 1 + src 1 + lib 121 + assets 41 = 164 dirs, +1 sentinel; 150 left → target 86, excess 79.
    const s = splitForBudget(R, tree({ src: 0, lib: 120, assets: 40 }), 1, 150);
    expect(s).toMatchObject({ target: 86, polledDirs: 121, nativeDirs: 44 });
    expect(s!.polled.map((p) => p.path)).toEqual([`${R}/lib`]);
  });

  it('several subtrees, largest first, when no single one is enough; never overlapping, never the root', () => {
    const s = splitForBudget(R, tree({ a: 50, b: 50, c: 50, d: 5 }), 1, 150);
    // 157 + 1 = 158 against a target of 86: excess 72 → a (51) then the smallest covering the last 21: b or c.
    expect(s!.polled).toHaveLength(2);
    expect(s!.nativeDirs).toBeLessThanOrEqual(86);
    const paths = s!.polled.map((p) => p.path);
    expect(paths).not.toContain(R);
    for (const p of paths) for (const q of paths) if (p !== q) expect(q.startsWith(`${p}/`)).toBe(false);
  });

  it('descends into a subtree when one of its children covers the excess with fewer dirs', () => {
    const dirs = [R, `${R}/big`, `${R}/big/huge`, ...Array.from({ length: 100 }, (_, i) => `${R}/big/huge/x${i}`), `${R}/big/y`];
    const s = splitForBudget(R, dirs, 0, 100); // 104 dirs, target 36, excess 68 → big/huge (101), not big (103)
    expect(s!.polled.map((p) => p.path)).toEqual([`${R}/big/huge`]);
  });

  it('no split: the root alone does not fit, or too many small subtrees would be needed', () => {
    expect(splitForBudget(R, tree({ lib: 100 }), 1, 60)).toBeUndefined(); // 60 - 64 < 2
    // 200 top-level dirs of 1 dir each: 200 + 1 against a target of 86 needs 115 subtrees > 32.
    const flat = [R, ...Array.from({ length: 200 }, (_, i) => `${R}/t${i}`)];
    expect(splitForBudget(R, flat, 0, 150)).toBeUndefined();
    expect(splitForBudget(R, flat, 0, 150, 200)?.polled).toHaveLength(115);
  });

  it('describes the first few subtrees plus a count', () => {
    const polled = ['a', 'b', 'c', 'd', 'e'].map((n, i) => ({ path: `${R}/${n}`, dirs: 10 - i }));
    expect(describeSubtrees(R, polled)).toBe('./a (10 dirs), ./b (9 dirs), ./c (8 dirs) and 2 more');
  });
});
