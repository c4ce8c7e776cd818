import { type Redis } from "@upstash/redis/cloudflare";
import { EVENT_TYPES } from "../../../shared/events/event";
import { DELETED_USERS_KEY, eventDedupeKeyPattern, userActivityKey, userFeatureKeyPattern } from "../../../shared/online/redis-keys";

/**
 * Erases a user's online features, event-id records, activity counts and
 * per-experiment attribution (their fields of every `xu:` hash), and records a tombstone (user id -> time of
 * erasure) so the builder's stream reader drops that user's events, which
 * stay in the stream only until it is trimmed.
 */
export async function eraseUserInRedis(redis: Redis, userId: string, nowMs: number): Promise<number> {
  await redis.zadd(DELETED_USERS_KEY, { score: nowMs, member: userId });
  let deleted = 0;
  for (const match of [userFeatureKeyPattern(userId), eventDedupeKeyPattern(userId)]) {
    let cursor: string | number = "0";
    do {
      const [next, keys]: [string | number, string[]] = await redis.scan(cursor, { match, count: 500 });
      if (keys.length > 0) deleted += await redis.del(...keys);
      cursor = next;
    } while (String(cursor) !== "0");
  }
  deleted += await redis.del(userActivityKey(userId));
  const fields = [userId, ...["i", "pi", "pc", ...EVENT_TYPES.map((t) => `e:${t}`)].map((f) => `${userId}|${f}`)];
  let cursor: string | number = "0";
  do {
    const [next, keys]: [string | number, string[]] = await redis.scan(cursor, { match: "xu:*", count: 500 });
    for (const key of keys) await redis.hdel(key, ...fields);
    cursor = next;
  } while (String(cursor) !== "0");
  return deleted;
}
