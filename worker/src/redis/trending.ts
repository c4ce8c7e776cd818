import { type Redis } from "@upstash/redis/cloudflare";
import { type InteractionEvent } from "../../../shared/events/event";

/** Trending counters are hourly sorted sets, kept this long. */
export const TRENDING_BUCKET_TTL_S = 48 * 3600;

/** Key of the trending sorted set for a region and the hour containing `timestampMs`. */
export function trendingKey(region: string, timestampMs: number): string {
  return `trending:${region}:${Math.floor(timestampMs / 3_600_000)}`;
}

/**
 * Adds one to each event's item in its hour's trending set, for the caller's
 * region and for "global", in one pipeline.
 */
export async function countTrending(redis: Redis, events: InteractionEvent[], region: string): Promise<void> {
  const increments = new Map<string, Map<string, number>>();
  for (const e of events) {
    for (const r of region === "global" ? ["global"] : [region, "global"]) {
      const key = trendingKey(r, e.timestampMs);
      const perItem = increments.get(key) ?? new Map<string, number>();
      perItem.set(e.itemId, (perItem.get(e.itemId) ?? 0) + 1);
      increments.set(key, perItem);
    }
  }
  const pipeline = redis.pipeline();
  for (const [key, perItem] of increments) {
    for (const [itemId, n] of perItem) pipeline.zincrby(key, n, itemId);
    pipeline.expire(key, TRENDING_BUCKET_TTL_S);
  }
  await pipeline.exec();
}
