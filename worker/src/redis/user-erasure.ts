import { type Redis } from "@upstash/redis/cloudflare";
import { EVENT_TYPES } from "../../../shared/events/event";
import {
  DELETED_USERS_KEY,
  EVENT_STREAM_KEY,
  eventDedupeKeyPattern,
  historyDigestKey,
  IMPRESSION_STREAM_KEY,
  impressionKey,
  trendingOnceKeyPattern,
  userActivityKey,
  userTrailKey,
} from "../../../shared/online/redis-keys";

/** What one erasure removed from Redis, by kind of record. */
export interface RedisErasure {
  /** Entries of the event stream (the log the builder retrains from). */
  eventStreamEntries: number;
  /** Entries of the impression log (shown lists with propensities). */
  impressionLogEntries: number;
  /** `imp:` hashes (the shown items events are attributed through). */
  impressionRecords: number;
  /** Event-id dedupe keys, trending once-per-hour keys, lifetime activity, the seeded history's digest, the trail itself. */
  userKeys: number;
  /** The user's fields in every experiment's per-user hash (`xu:`). */
  experimentFields: number;
}

/** Ids per XDEL / DEL call: keeps each request small. */
const CHUNK = 500;

/**
 * Erases a user from Redis: their entries in the event stream and the
 * impression log and their impression hashes (found through their trail,
 * userTrailKey, not by scanning the streams), their event-id, trending-once
 * and activity keys, and their fields of every experiment hash. Then records
 * the erasure under the user's tag (never the id) with the time, so the
 * builder drops what it ingested before and any stream entry the trail
 * missed. Aggregates that name no one (trending counts, per-variant
 * counters, metrics) stay. Idempotent: a second call removes nothing more.
 */
export async function eraseUserInRedis(redis: Redis, userId: string, tag: string, nowMs: number): Promise<RedisErasure> {
  await redis.zadd(DELETED_USERS_KEY, { score: nowMs, member: tag });
  const trail = await redis.lrange<string>(userTrailKey(userId), 0, -1);
  const byKind = (kind: string) =>
    trail
      .map(String)
      .filter((t) => t.startsWith(`${kind} `))
      .map((t) => t.slice(2));
  const out: RedisErasure = { eventStreamEntries: 0, impressionLogEntries: 0, impressionRecords: 0, userKeys: 0, experimentFields: 0 };
  for (const part of chunks(byKind("e"))) out.eventStreamEntries += await redis.xdel(EVENT_STREAM_KEY, part);
  for (const part of chunks(byKind("i"))) out.impressionLogEntries += await redis.xdel(IMPRESSION_STREAM_KEY, part);
  for (const part of chunks(byKind("h").map(impressionKey))) out.impressionRecords += await redis.del(...part);

  // The patterns match this user's keys only (ids are escaped in keys, redis-keys.ts keyPart). A key written
  // before that escape, of an id with ":" (`event:seen:a:b:c`), can still match `a`'s; those expire within EVENT_DEDUPE_TTL_S.
  for (const match of [eventDedupeKeyPattern(userId), trendingOnceKeyPattern(userId)]) {
    await scanKeys(redis, match, async (keys) => {
      out.userKeys += await redis.del(...keys);
    });
  }
  out.userKeys += await redis.del(userActivityKey(userId), userTrailKey(userId), historyDigestKey(userId));

  const fields = [userId, ...["i", "pi", "pc", ...EVENT_TYPES.map((t) => `e:${t}`)].map((f) => `${userId}|${f}`)];
  await scanKeys(redis, "xu:*", async (keys) => {
    for (const key of keys) out.experimentFields += await redis.hdel(key, ...fields);
  });
  return out;
}

async function scanKeys(redis: Redis, match: string, each: (keys: string[]) => Promise<void>): Promise<void> {
  let cursor: string | number = "0";
  do {
    const [next, keys]: [string | number, string[]] = await redis.scan(cursor, { match, count: 1000 });
    if (keys.length > 0) await each(keys);
    cursor = next;
  } while (String(cursor) !== "0");
}

function chunks<T>(all: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < all.length; i += CHUNK) out.push(all.slice(i, i + CHUNK));
  return out;
}
