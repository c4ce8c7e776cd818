import { type Redis } from "@upstash/redis/cloudflare";
import {
  experimentCounterKey,
  IMPRESSION_STREAM_KEY,
  IMPRESSION_STREAM_MAX_LEN,
  IMPRESSION_TTL_S,
  impressionKey,
} from "../../../shared/online/redis-keys";
import { WriteBatcher } from "../../../shared/online/write-batcher";

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
 * impression log, and counts it for the variant and region: one pipeline
 * (one HTTP request) for the whole batch.
 */
export async function writeImpressions(redis: Redis, records: ImpressionRecord[]): Promise<void> {
  const pipeline = redis.pipeline();
  const counts = new Map<string, number>();
  const nowMs = Date.now();
  for (const record of records) {
    const key = impressionKey(record.impressionId);
    pipeline.hset(key, {
      variant: record.variant,
      region: record.region,
      userId: record.userId,
      surface: record.surface,
      items: JSON.stringify(record.itemIds),
    });
    pipeline.expire(key, IMPRESSION_TTL_S);
    // The impression log: what was shown, where, and with which propensity.
    pipeline.xadd(IMPRESSION_STREAM_KEY, "*", { impression: JSON.stringify({ ...record, timestampMs: nowMs }) }, {
      trim: { type: "MAXLEN", comparison: "~", threshold: IMPRESSION_STREAM_MAX_LEN },
    });
    const counter = experimentCounterKey(record.variant, record.region);
    counts.set(counter, (counts.get(counter) ?? 0) + 1);
  }
  for (const [counter, n] of counts) pipeline.hincrby(counter, "impressions", n);
  await pipeline.exec();
}

/**
 * How long an impression waits for others to share its Redis request, and
 * how many share one at most. A click on a shown item comes seconds later;
 * the event that follows it finds its impression already written.
 */
const IMPRESSION_WINDOW_MS = 25;
const IMPRESSION_BATCH_MAX = 64;

/** This isolate's batcher, per Redis client (one per configuration). */
const batchers = new WeakMap<Redis, WriteBatcher<ImpressionRecord>>();

/**
 * Queues an impression for the isolate's next impression write. When it
 * starts a batch, that batch's write is handed to `keepAlive` (the request's
 * `waitUntil`); failures are logged with the impressions they lost.
 */
export function queueImpression(redis: Redis, record: ImpressionRecord, keepAlive: (work: Promise<unknown>) => void): void {
  let batcher = batchers.get(redis);
  if (!batcher) {
    batcher = new WriteBatcher<ImpressionRecord>(
      (records) => writeImpressions(redis, records),
      (error, records) =>
        console.warn(JSON.stringify({ level: "warn", message: "impressions not recorded in Redis", count: records.length, impressionIds: records.map((r) => r.impressionId), error: String(error) })),
      IMPRESSION_WINDOW_MS,
      IMPRESSION_BATCH_MAX,
    );
    batchers.set(redis, batcher);
  }
  const write = batcher.add(record);
  if (write) keepAlive(write);
}

/** Impressions and event counts per type for one variant and region. */
export async function readExperimentCounters(redis: Redis, variant: string, region: string): Promise<Record<string, number>> {
  const raw = (await redis.hgetall<Record<string, string | number>>(experimentCounterKey(variant, region))) ?? {};
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
}
