import { type Redis } from "@upstash/redis/cloudflare";
import { type ExposureAssignment, type ImpressionRecord } from "../../../shared/experiments/exposure";
import { latencyBucketMs } from "../../../shared/experiments/guardrails";
import {
  experimentCounterKey,
  experimentGuardKey,
  IMPRESSION_STREAM_KEY,
  IMPRESSION_STREAM_MAX_LEN,
  IMPRESSION_TTL_S,
  impressionKey,
  USER_ACTIVITY_TTL_S,
  USER_TRAIL_TTL_S,
} from "../../../shared/online/redis-keys";
import { WriteBatcher } from "../../../shared/online/write-batcher";
import { counterHash } from "./redis-client";

export type { ExposureAssignment, ImpressionRecord } from "../../../shared/experiments/exposure";

/*
 * Per impression, atomically: the impression hash (what later events are
 * attributed through, with the experiments it exposed), the impression log
 * entry, the legacy per-variant counter, the user's lifetime activity; and per
 * experiment the user's first exposure (variant, region, time, and the
 * pre-period counts read before this impression), impressions, and the
 * variant's guardrail counters. The log entry and the impression hash join
 * the user's trail (userTrailKey), for erasure. An impression id already
 * written is skipped, so a write retried (from a user's outbox) counts once.
 * ARGV: now, impression ttl, stream maxlen, activity ttl, then per impression
 * (id, user, label, region, surface, items, log payload, exposures as lines
 * "experiment|variant|region|latency bucket|degraded", the impression's hash
 * key: impressionKey, so the key is built in one place).
 */
const EXPOSURE_SCRIPT = `
local now = ARGV[1]
for i = 0, (#ARGV - 4) / 9 - 1 do
  local a = 4 + i * 9
  local imp, user, label, region, impKey = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 9]
  if redis.call('EXISTS', impKey) == 0 then
    local ids = {}
    for line in string.gmatch(ARGV[a + 8], '[^\\n]+') do
      local e, v, r, t, d = string.match(line, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
      ids[#ids + 1] = e
      local xu = 'xu:' .. e
      if redis.call('HSETNX', xu, user, v .. '|' .. r .. '|' .. now) == 1 then
        local act = redis.call('HMGET', 'ua:' .. user, 'i', 'e:click')
        redis.call('HSET', xu, user .. '|pi', act[1] or 0, user .. '|pc', act[2] or 0)
      end
      redis.call('HINCRBY', xu, user .. '|i', 1)
      local xg = 'xg:' .. e
      redis.call('HINCRBY', xg, v .. '|n', 1)
      redis.call('HINCRBY', xg, v .. '|t:' .. t, 1)
      if d == '1' then redis.call('HINCRBY', xg, v .. '|deg', 1) end
    end
    redis.call('HSET', impKey, 'variant', label, 'region', region, 'userId', user, 'surface', ARGV[a + 5], 'items', ARGV[a + 6], 'x', table.concat(ids, ','))
    redis.call('EXPIRE', impKey, ARGV[2])
    local sid = redis.call('XADD', '${IMPRESSION_STREAM_KEY}', 'MAXLEN', '~', ARGV[3], '*', 'impression', ARGV[a + 7])
    redis.call('RPUSH', 'ut:' .. user, 'i ' .. sid, 'h ' .. imp)
    redis.call('EXPIRE', 'ut:' .. user, ${USER_TRAIL_TTL_S})
    redis.call('HINCRBY', 'exp:' .. label .. ':' .. region, 'impressions', 1)
    redis.call('HINCRBY', 'ua:' .. user, 'i', 1)
    redis.call('EXPIRE', 'ua:' .. user, ARGV[4])
  end
end
return 1
`;

/** Writes a batch of impressions (see EXPOSURE_SCRIPT): one Redis request. */
export async function writeImpressions(redis: Redis, records: ImpressionRecord[]): Promise<void> {
  const nowMs = Date.now();
  const args = [String(nowMs), String(IMPRESSION_TTL_S), String(IMPRESSION_STREAM_MAX_LEN), String(USER_ACTIVITY_TTL_S)];
  for (const r of records) {
    const bucket = latencyBucketMs(r.serverMs);
    args.push(
      r.impressionId,
      r.userId,
      r.variant,
      r.region,
      r.surface,
      JSON.stringify(r.itemIds),
      JSON.stringify({ ...r, timestampMs: r.timestampMs ?? nowMs }),
      r.experiments.map((x) => `${x.experimentId}|${x.variant}|${x.region}|${bucket}|${r.degraded ? 1 : 0}`).join("\n"),
      impressionKey(r.impressionId),
    );
  }
  await redis.eval(EXPOSURE_SCRIPT, [], args);
}

/** Counts a failed request against each variant it was assigned (the error-share guardrail). */
export async function countErrors(redis: Redis, assignments: readonly ExposureAssignment[]): Promise<void> {
  if (assignments.length === 0) return;
  const pipeline = redis.pipeline();
  for (const a of assignments) pipeline.hincrby(experimentGuardKey(a.experimentId), `${a.variant}|err`, 1);
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
 * `waitUntil`). The batch's records are handed to `requeue` when the write
 * fails (Redis down: the users' sessions deliver them later); `requeue` is
 * fixed by the call that creates this isolate's batcher.
 */
export function queueImpression(
  redis: Redis,
  record: ImpressionRecord,
  keepAlive: (work: Promise<unknown>) => void,
  requeue: (records: ImpressionRecord[]) => Promise<void>,
): void {
  let batcher = batchers.get(redis);
  if (!batcher) {
    batcher = new WriteBatcher<ImpressionRecord>(
      (records) => writeImpressions(redis, records),
      async (error, records) => {
        console.warn(
          JSON.stringify({
            level: "warn",
            message: "impressions not written to Redis; handed to the users' outboxes",
            count: records.length,
            impressionIds: records.map((r) => r.impressionId),
            error: String(error),
          }),
        );
        await requeue(records);
      },
      IMPRESSION_WINDOW_MS,
      IMPRESSION_BATCH_MAX,
    );
    batchers.set(redis, batcher);
  }
  // Stamped when shown: a write delivered later from an outbox keeps the time it happened.
  const write = batcher.add({ ...record, timestampMs: record.timestampMs ?? Date.now() });
  if (write) keepAlive(write);
}

/** Impressions and event counts per type for one variant and region. */
export async function readExperimentCounters(redis: Redis, variant: string, region: string): Promise<Record<string, number>> {
  return counterHash(await redis.hgetall<Record<string, string | number>>(experimentCounterKey(variant, region)));
}

/**
 * Every region a counter can be written under: the two-letter codes the edge
 * and X-Region give (request-region.ts), and `global` where neither did.
 */
const COUNTER_REGIONS = [...Array.from({ length: 26 * 26 }, (_, i) => String.fromCharCode(97 + Math.floor(i / 26), 97 + (i % 26))), "global"];

/**
 * A variant's counters in each region that has any, in one pipelined request
 * of one HGETALL per possible region (677): bounded, where a SCAN for
 * `exp:<variant>:*` would walk the whole keyspace (impressions, event ids).
 */
export async function readExperimentCountersByRegion(redis: Redis, variant: string): Promise<Record<string, Record<string, number>>> {
  const pipeline = redis.pipeline();
  for (const region of COUNTER_REGIONS) pipeline.hgetall(experimentCounterKey(variant, region));
  const hashes = (await pipeline.exec()) as (Record<string, string | number> | null)[];
  return Object.fromEntries(hashes.flatMap((h, i) => (h && Object.keys(h).length > 0 ? [[COUNTER_REGIONS[i]!, counterHash(h)]] : [])));
}

/** Per-region counters summed field by field. */
export function sumCounters(regions: Record<string, Record<string, number>>): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const counters of Object.values(regions)) for (const [field, n] of Object.entries(counters)) sum[field] = (sum[field] ?? 0) + n;
  return sum;
}
