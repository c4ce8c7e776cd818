import { EVENT_ID_HORIZON_MS } from "../events/event";

/**
 * Redis key layout. One place, so the Worker, the Durable Object and the
 * builder's stream reader agree.
 */
export const EVENT_STREAM_KEY = "events:stream";

/**
 * Stream trimming policy: XADD keeps roughly the newest this many entries
 * (`MAXLEN ~`, trimmed by whole nodes, so slightly more may stay). The
 * builder's `ingest --from-redis` must run before that many events arrive
 * after its cursor, or the oldest unread ones are gone.
 */
export const EVENT_STREAM_MAX_LEN = 1_000_000;

/** How long an event id is remembered in Redis to keep the stream exactly-once: the ids' idempotency horizon. */
export const EVENT_DEDUPE_TTL_S = EVENT_ID_HORIZON_MS / 1000;

/** Hourly trending buckets live this long. */
export const TRENDING_BUCKET_TTL_S = 48 * 3600;

/** One user moves one item's trending count at most once in this long (anti-poisoning). */
export const TRENDING_ONCE_TTL_S = 3600;

/** Impression records (for click attribution) live this long. */
export const IMPRESSION_TTL_S = 7 * 86_400;

/** The impression log (shown items with propensities), for off-policy evaluation; trimmed like the event stream. */
export const IMPRESSION_STREAM_KEY = "impressions:stream";
export const IMPRESSION_STREAM_MAX_LEN = 1_000_000;

/**
 * Users erased by DELETE /v1/users/:id, as a sorted set: member the user's
 * erasure tag (shared/privacy/erasure-tag.ts, never the id), score the time of
 * the erasure (ms). The builder's ingest drops their events and scrubs them
 * from the files it wrote before; the next build trains without them.
 */
export const DELETED_USERS_KEY = "users:deleted";

/** What the builder has done for each erasure (a hash: tag -> JSON {scrubbedAtMs, linesRemoved}), for the receipt. */
export const ERASURE_APPLIED_KEY = "users:deleted:applied";

/**
 * A user's trail (a list): where their records sit in the append-only logs,
 * so an erasure finds them without scanning whole streams. Entries are
 * "e <event stream id>", "i <impression stream id>", "h <impression id>".
 * Refreshed on every write; it outlives any stream entry it points to
 * unless the user is silent for longer than this (then the stream trim and
 * the builder's tombstone check are what remain).
 */
export const userTrailKey = (userId: string): string => `ut:${userId}`;
export const USER_TRAIL_TTL_S = 400 * 86_400;

/**
 * The digest of the history last seeded into a user's session (a string key
 * per user, "hd:<user id>"), written by the builder's seed-histories after
 * the Worker stored it, so the next run sends only users whose history
 * changed. Erasing the user deletes it; when it expires the user is sent
 * again, which is safe (a history is replaced whole).
 */
export const historyDigestKey = (userId: string): string => `hd:${userId}`;
export const HISTORY_DIGEST_TTL_S = 400 * 86_400;

/**
 * Anonymous ids merged into a user on login (a list), kept as long as a
 * trail: their events stay in the stream under the anonymous id, and the
 * user's erasure erases those ids too.
 */
export const mergedIdsKey = (userId: string): string => `um:${userId}`;

/**
 * An id as one part of a compound key (one with several ids, or an id then
 * more): `%` is written `%25` and `:`, the separator, `%3A`. So a part never
 * holds a separator, two ids never give one key (user `a:b` with event `c`
 * against user `a` with event `b:c`), and a user's SCAN pattern never reaches
 * into another user's keys. Ids hold no `%` (shared/ids.ts), so an id without
 * `:` is written as itself: keys of such ids are what they were before the
 * escape. Keys of one id after a fixed prefix (`ut:<id>`, `imp:` aside) need
 * no escape and take the id as it is.
 */
export const keyPart = (id: string): string => id.replaceAll("%", "%25").replaceAll(":", "%3A");

/**
 * Text taken literally in a SCAN MATCH pattern: Redis glob's `* ? [ ] \`
 * escaped with a backslash. Ids hold none of them today (shared/ids.ts);
 * this keeps a pattern exact should that change.
 */
const globLiteral = (text: string): string => text.replace(/[*?[\]\\]/g, "\\$&");

export const hourBucket = (timestampMs: number): number => Math.floor(timestampMs / 3_600_000);
/** An hour's trending counts; `region` is a two-letter code or `global` (never a `:`), `bucket` an hourBucket. */
export const trendingKey = (region: string, bucket: number): string => `trending:${region}:${bucket}`;
export const trendingOnceKey = (userId: string, itemId: string): string => `trending:once:${keyPart(userId)}:${keyPart(itemId)}`;
/** SCAN MATCH pattern of exactly `userId`'s trendingOnceKey keys. */
export const trendingOnceKeyPattern = (userId: string): string => `trending:once:${globLiteral(keyPart(userId))}:*`;
/** Event ids are the user's own: two users may use the same id without one silently dropping the other. */
export const eventDedupeKey = (userId: string, eventId: string): string => `event:seen:${keyPart(userId)}:${keyPart(eventId)}`;
/** SCAN MATCH pattern of exactly `userId`'s eventDedupeKey keys. */
export const eventDedupeKeyPattern = (userId: string): string => `event:seen:${globLiteral(keyPart(userId))}:*`;
/**
 * An impression's hash (variant, region, user, items, experiments). The id is
 * escaped so that no id sent with an event names a credit marker below
 * (`imp:` then no `:` is a hash; `imp:` then `:` a marker). The Worker's ids
 * are UUIDs, written as they are.
 */
export const impressionKey = (impressionId: string): string => `imp:${keyPart(impressionId)}`;
/** Marks an impression's item credited for one event type (once per impression, item and type). */
export const impressionCreditKey = (impressionId: string, type: string, itemId: string): string =>
  `${impressionKey(impressionId)}:credited:${keyPart(type)}:${keyPart(itemId)}`;
/**
 * The legacy per-variant counters of one region (a hash). A variant label
 * (`default`, `holdout`, `experiment=variant` joined by `+`) may hold `:`; the
 * region never does (a two-letter code or `global`), so the last `:` parts
 * the two and no two pairs give one key.
 */
export const experimentCounterKey = (variant: string, region: string): string => `exp:${variant}:${region}`;
/** SCAN MATCH pattern of exactly `userId`'s `user:<id>:<feature>` keys. */
export const userFeatureKeyPattern = (userId: string): string => `user:${globLiteral(keyPart(userId))}:*`;

/**
 * Per-user attribution of one experiment (a hash): field `<user>` holds
 * "variant|region|firstExposureMs" (set once, at first exposure); `<user>|i`
 * impressions; `<user>|e:<type>` events attributed through an impression id;
 * `<user>|pi`, `<user>|pc` the user's impressions and clicks before first
 * exposure (the CUPED pre-period). User ids never contain "|".
 */
export const experimentUsersKey = (experimentId: string): string => `xu:${experimentId}`;
/** Guardrail counters of one experiment (a hash): `<variant>|n`, `|deg`, `|err`, `|t:<ms>` (server-time histogram). */
export const experimentGuardKey = (experimentId: string): string => `xg:${experimentId}`;
/** A user's lifetime impressions (`i`) and events (`e:<type>`), for pre-periods; refreshed on every write. */
export const userActivityKey = (userId: string): string => `ua:${userId}`;
export const USER_ACTIVITY_TTL_S = 30 * 86_400;
