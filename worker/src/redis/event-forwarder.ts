import { type Redis } from "@upstash/redis/cloudflare";
import { type InteractionEvent } from "../../../shared/events/event";
import {
  EVENT_DEDUPE_TTL_S,
  EVENT_STREAM_KEY,
  EVENT_STREAM_MAX_LEN,
  eventDedupeKey,
  hourBucket,
  IMPRESSION_TTL_S,
  impressionCreditKey,
  impressionKey,
  TRENDING_BUCKET_TTL_S,
  TRENDING_ONCE_TTL_S,
  trendingKey,
  trendingOnceKey,
  USER_ACTIVITY_TTL_S,
  USER_TRAIL_TTL_S,
} from "../../../shared/online/redis-keys";

/** An accepted event as the outbox keeps it: the event and the region it came from. */
export interface OutboxEvent {
  event: InteractionEvent;
  region: string;
  /** The user's session version once this event counted (absent in entries queued before it was recorded). */
  sessionVersion?: number;
}

/*
 * Runs atomically in Redis, per event: remember the id (SET NX), and only if
 * it is new append to the stream, count it in the hourly trending sets and
 * attribute it to the experiment variant of its impression. A retried
 * delivery therefore changes nothing, which makes the outbox exactly-once.
 * Against poisoning: an event moves trending at most once per user and item
 * within TRENDING_ONCE_TTL_S, and credits a variant only when its impression
 * was shown to this same user, still exists (IMPRESSION_TTL_S: the window),
 * and listed this item, once per impression, item and event type; a credited
 * event also counts, per user, for each experiment that impression exposed
 * (the report's unit is the user). Every new event counts in the user's
 * lifetime activity: the pre-period of experiments they enter later. The
 * stream entry's id joins the user's trail (userTrailKey), for erasure.
 * KEYS: stream, then per event (dedupe, trending-region, trending-global, trending-once).
 * ARGV: maxlen, dedupe ttl, trending ttl, trending-once ttl, impression ttl,
 * activity ttl, then per event (item id, payload, impression hash key or '',
 * type, user id, the impression's credit key for this type and item or '').
 * Every key that joins ids is built by redis-keys.ts (ids escaped), not here.
 */
const FORWARD_SCRIPT = `
local delivered = 0
local n = (#ARGV - 6) / 6
for i = 0, n - 1 do
  local a = 7 + i * 6
  local k = 2 + i * 4
  if redis.call('SET', KEYS[k], '1', 'NX', 'EX', ARGV[2]) then
    local sid = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[a + 1])
    redis.call('RPUSH', 'ut:' .. ARGV[a + 4], 'e ' .. sid)
    redis.call('EXPIRE', 'ut:' .. ARGV[a + 4], ${USER_TRAIL_TTL_S})
    if redis.call('SET', KEYS[k + 3], '1', 'NX', 'EX', ARGV[4]) then
      redis.call('ZINCRBY', KEYS[k + 1], 1, ARGV[a])
      redis.call('EXPIRE', KEYS[k + 1], ARGV[3])
      if KEYS[k + 2] ~= KEYS[k + 1] then
        redis.call('ZINCRBY', KEYS[k + 2], 1, ARGV[a])
        redis.call('EXPIRE', KEYS[k + 2], ARGV[3])
      end
    end
    if ARGV[a + 2] ~= '' then
      local imp = redis.call('HMGET', ARGV[a + 2], 'variant', 'region', 'userId', 'items', 'x')
      if imp[1] and imp[3] == ARGV[a + 4] and imp[4] and string.find(imp[4], '"' .. ARGV[a] .. '"', 1, true) then
        if redis.call('SET', ARGV[a + 5], '1', 'NX', 'EX', ARGV[5]) then
          redis.call('HINCRBY', 'exp:' .. imp[1] .. ':' .. imp[2], 'ev:' .. ARGV[a + 3], 1)
          if imp[5] then
            for e in string.gmatch(imp[5], '[^,]+') do
              redis.call('HINCRBY', 'xu:' .. e, ARGV[a + 4] .. '|e:' .. ARGV[a + 3], 1)
            end
          end
        end
      end
    end
    redis.call('HINCRBY', 'ua:' .. ARGV[a + 4], 'e:' .. ARGV[a + 3], 1)
    redis.call('EXPIRE', 'ua:' .. ARGV[a + 4], ARGV[6])
    delivered = delivered + 1
  end
end
return delivered
`;

/**
 * Delivers events to Redis in order, exactly once. Resolves with how many
 * were new to Redis; throws when Redis cannot be reached (the caller keeps
 * them in its outbox and retries).
 */
export async function forwardEvents(redis: Redis, items: OutboxEvent[]): Promise<number> {
  if (items.length === 0) return 0;
  const keys = [EVENT_STREAM_KEY];
  const args: string[] = [
    String(EVENT_STREAM_MAX_LEN),
    String(EVENT_DEDUPE_TTL_S),
    String(TRENDING_BUCKET_TTL_S),
    String(TRENDING_ONCE_TTL_S),
    String(IMPRESSION_TTL_S),
    String(USER_ACTIVITY_TTL_S),
  ];
  for (const { event, region, sessionVersion } of items) {
    const bucket = hourBucket(event.timestampMs);
    keys.push(
      eventDedupeKey(event.userId, event.eventId),
      trendingKey(region, bucket),
      trendingKey("global", bucket),
      trendingOnceKey(event.userId, event.itemId),
    );
    const impression = event.impressionId;
    args.push(
      event.itemId,
      JSON.stringify({ ...event, region, ...(sessionVersion === undefined ? {} : { sessionVersion }) }),
      impression === undefined ? "" : impressionKey(impression),
      event.type,
      event.userId,
      impression === undefined ? "" : impressionCreditKey(impression, event.type, event.itemId),
    );
  }
  return Number(await redis.eval(FORWARD_SCRIPT, keys, args));
}
