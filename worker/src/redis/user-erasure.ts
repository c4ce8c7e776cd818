import { type Redis } from "@upstash/redis/cloudflare";
import { DELETED_USERS_KEY, eventDedupeKeyPattern, userFeatureKeyPattern } from "../../../shared/online/redis-keys";

/**
 * Erases a user's online features and event-id records and records a tombstone (user id -> time of
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
  return deleted;
}
