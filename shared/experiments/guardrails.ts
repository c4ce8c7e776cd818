/**
 * Server time is counted in a histogram whose bucket is named by its upper
 * bound: 1 ms steps below 100 ms, 10 ms to 1 s, 100 ms beyond. A p95 read
 * from it is at most one step high.
 */
export function latencyBucketMs(ms: number): number {
  const t = Math.max(0, ms);
  if (t < 100) return Math.ceil(t) || 1;
  if (t < 1000) return Math.ceil(t / 10) * 10;
  return Math.ceil(t / 100) * 100;
}

/** The q-quantile (0..1) of a histogram of upper bound -> count; null when empty. */
export function histogramQuantile(histogram: ReadonlyMap<number, number>, q: number): number | null {
  const bounds = [...histogram.keys()].sort((a, b) => a - b);
  let total = 0;
  for (const b of bounds) total += histogram.get(b)!;
  if (total === 0) return null;
  let seen = 0;
  for (const b of bounds) {
    seen += histogram.get(b)!;
    if (seen >= q * total) return b;
  }
  return bounds[bounds.length - 1]!;
}
