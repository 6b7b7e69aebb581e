/**
 * "Did you mean ...?" for config keys and enum values: the closest candidate by edit distance
 * (optimal string alignment: insert, delete, substitute, swap two neighbours), compared case-insensitively
 * and ignoring '-' and '_' so `max_wait` finds `maxWait` and `on-failure` finds `onFailure`.
 */

/** Edit distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

const normalise = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');

/** How far a typo may be from the intended word: 1 edit for short words, up to 3 for long ones. */
export function maxDistance(word: string): number {
  return word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3;
}

/** The candidate closest to `input`, or undefined when none is close enough to be a plausible typo. */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const n = normalise(input);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(n, normalise(c));
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  if (best === undefined) return undefined;
  return bestDistance <= Math.min(maxDistance(n), maxDistance(normalise(best))) ? best : undefined;
}
