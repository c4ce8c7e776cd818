import { mergedIdsKey, USER_TRAIL_TTL_S } from "../../../shared/online/redis-keys";
import { redisFromEnv } from "../redis/redis-client";

/**
 * Remembers that `anonymousId` became `userId` on login, so that erasing
 * the user also erases what Redis still holds under the anonymous id (its
 * stream entries, impressions, keys). Best effort: when Redis is down the
 * merge still succeeds, and the link is logged as missing.
 */
export async function linkForErasure(env: Env, anonymousId: string, userId: string): Promise<void> {
  const redis = redisFromEnv(env);
  if (!redis) return;
  try {
    await redis.pipeline().rpush(mergedIdsKey(userId), anonymousId).expire(mergedIdsKey(userId), USER_TRAIL_TTL_S).exec();
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", message: "merged anonymous id not linked for erasure", error: String(err) }));
  }
}
