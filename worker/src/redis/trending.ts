import { type Redis } from "@upstash/redis/cloudflare";
import { hourBucket, trendingKey } from "../../../shared/online/redis-keys";
import { DEFAULT_TRENDING, mergeTrendingBuckets, type TrendingOptions } from "../../../shared/online/trending-merge";

export { DEFAULT_TRENDING, type TrendingOptions } from "../../../shared/online/trending-merge";

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
  return mergeTrendingBuckets(
    buckets.map((flat) => Array.from({ length: flat.length >> 1 }, (_, i): [string, number] => [String(flat[2 * i]), Number(flat[2 * i + 1])])),
    options,
  );
}
