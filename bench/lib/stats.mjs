/** Small statistics for noisy samples: medians, spreads and ratios, never averages of outliers. */

/** Median of the finite numbers in `xs`; undefined when there are none. */
export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100) of the finite numbers in `xs`. */
export function percentile(xs, p) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const rank = Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1));
  return v[rank];
}

/** {n, median, min, max} of a sample (the finite numbers only). */
export function summary(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  return {
    n: v.length,
    median: median(v),
    min: v.length ? Math.min(...v) : undefined,
    max: v.length ? Math.max(...v) : undefined,
  };
}

/** Median of pairwise differences a[i] - b[i] (paired samples taken in the same round). */
export function pairedMedianDiff(a, b) {
  const d = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (Number.isFinite(a[i]) && Number.isFinite(b[i])) d.push(a[i] - b[i]);
  }
  return median(d);
}

/** a / b, or undefined when either is missing or b is 0. */
export function ratio(a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return undefined;
  return a / b;
}

/**
 * Time structure of a burst of event timestamps (ms): spread = last - first, the largest gap between
 * consecutive events, and the 99th percentile gap.
 */
export function burstShape(times) {
  const t = [...times].sort((a, b) => a - b);
  if (t.length === 0) return { events: 0, spreadMs: undefined, maxGapMs: undefined, p99GapMs: undefined };
  const gaps = [];
  for (let i = 1; i < t.length; i++) gaps.push(t[i] - t[i - 1]);
  return {
    events: t.length,
    spreadMs: t[t.length - 1] - t[0],
    maxGapMs: gaps.length ? Math.max(...gaps) : 0,
    p99GapMs: gaps.length ? percentile(gaps, 99) : 0,
  };
}

/**
 * How many builds hotwatch's debouncer would start for events at `times` (ms): a batch is due at
 * min(last event + quietMs, first event + maxWaitMs) (src/pipeline/debounce.ts); a later event opens a
 * new batch.
 */
export function batchesFor(times, quietMs, maxWaitMs) {
  const t = [...times].sort((a, b) => a - b);
  if (t.length === 0) return 0;
  let batches = 1;
  let first = t[0];
  let last = t[0];
  for (const x of t.slice(1)) {
    if (x > Math.min(last + quietMs, first + maxWaitMs)) {
      batches++;
      first = x;
    }
    last = x;
  }
  return batches;
}
