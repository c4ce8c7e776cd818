import { type Redis } from "@upstash/redis/cloudflare";
import {
  experimentCounterKey,
  IMPRESSION_STREAM_KEY,
  IMPRESSION_STREAM_MAX_LEN,
  IMPRESSION_TTL_S,
  impressionKey,
} from "../../../shared/online/redis-keys";

export interface ImpressionRecord {
  impressionId: string;
  userId: string;
  variant: string;
  region: string;
  surface: string;
  itemIds: string[];
  /** Per shown item, the probability the policy showed it there (for IPS/SNIPS). */
  propensities: number[];
}

/**
 * Remembers what was shown under an impression id (so later events can be
 * attributed to its variant), appends it with its propensities to the
 * impression log, and counts it for the variant and region.
 */
export async function recordImpression(redis: Redis, record: ImpressionRecord): Promise<void> {
  const key = impressionKey(record.impressionId);
  const pipeline = redis.pipeline();
  pipeline.hset(key, {
    variant: record.variant,
    region: record.region,
    userId: record.userId,
    surface: record.surface,
    items: JSON.stringify(record.itemIds),
  });
  // The impression log: what was shown, where, and with which propensity.
  pipeline.xadd(IMPRESSION_STREAM_KEY, "*", { impression: JSON.stringify({ ...record, timestampMs: Date.now() }) }, {
    trim: { type: "MAXLEN", comparison: "~", threshold: IMPRESSION_STREAM_MAX_LEN },
  });
  pipeline.expire(key, IMPRESSION_TTL_S);
  pipeline.hincrby(experimentCounterKey(record.variant, record.region), "impressions", 1);
  await pipeline.exec();
}

/** Impressions and event counts per type for one variant and region. */
export async function readExperimentCounters(redis: Redis, variant: string, region: string): Promise<Record<string, number>> {
  const raw = (await redis.hgetall<Record<string, string | number>>(experimentCounterKey(variant, region))) ?? {};
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
}
