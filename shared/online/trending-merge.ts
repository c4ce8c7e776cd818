export interface TrendingOptions {
  /** How many hourly buckets back to read. */
  hours: number;
  /** A bucket this many hours old counts half. */
  halfLifeHours: number;
  /** Top entries read from each bucket. */
  perBucket: number;
  limit: number;
}

export const DEFAULT_TRENDING: TrendingOptions = { hours: 24, halfLifeHours: 6, perBucket: 200, limit: 50 };

/**
 * Trending from hourly counters: `buckets[age]` holds a bucket's top entries
 * (item, count), highest first, the current hour at age 0; each counts
 * 0.5^(age / halfLifeHours), summed bucket by bucket, highest first. The
 * Worker merges what Redis returns with it; an offline replay merges
 * counters recounted from the event log, to the same floats.
 */
export function mergeTrendingBuckets(buckets: readonly (readonly [string, number][])[], options: TrendingOptions): { itemId: string; score: number }[] {
  const scores = new Map<string, number>();
  buckets.forEach((entries, age) => {
    const weight = Math.pow(0.5, age / options.halfLifeHours);
    for (const [itemId, count] of entries) scores.set(itemId, (scores.get(itemId) ?? 0) + weight * count);
  });
  return [...scores]
    .map(([itemId, score]) => ({ itemId, score: Math.round(score * 1e6) / 1e6 }))
    .sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : 1))
    .slice(0, options.limit);
}
