import { type Redis } from "@upstash/redis/cloudflare";
import { hourBucket, trendingKey } from "../../../shared/online/redis-keys";

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
 * Trending items for a region: the hourly counters of the last `hours`
 * merged with exponential decay by bucket age, highest first.
 */
export async function readTrending(
  redis: Redis,
  region: string,
  nowMs: number,
  options: TrendingOptions = DEFAULT_TRENDING,
): Promise<{ itemId: string; score: number }[]> {
  const current = hourBucket(nowMs);
  const pipeline = redis.pipeline();
  for (let age = 0; age < options.hours; age++) {
    pipeline.zrange(trendingKey(region, current - age), 0, options.perBucket - 1, { rev: true, withScores: true });
  }
  const buckets = (await pipeline.exec()) as (string | number)[][];
  const scores = new Map<string, number>();
  buckets.forEach((flat, age) => {
    const weight = Math.pow(0.5, age / options.halfLifeHours);
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const itemId = String(flat[i]);
      scores.set(itemId, (scores.get(itemId) ?? 0) + weight * Number(flat[i + 1]));
    }
  });
  return [...scores]
    .map(([itemId, score]) => ({ itemId, score: Math.round(score * 1e6) / 1e6 }))
    .sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : 1))
    .slice(0, options.limit);
}
