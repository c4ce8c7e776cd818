/** The kinds of interaction a client may report. */
export const EVENT_TYPES = ["view", "click", "like", "dislike", "watch", "add_to_cart", "purchase", "rating", "skip", "share"] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Inclusive range of a `rating` event's `value` (stars). */
export const RATING_RANGE = { min: 0.5, max: 5 } as const;

/** Most events accepted in one `POST /v1/events` batch. */
export const MAX_EVENTS_PER_BATCH = 500;

/** How far past the server clock an event timestamp may lie (clock skew). */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/** Events older than this instant (2000-01-01) are rejected as nonsense. */
export const MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1);

/**
 * How long an event id stays idempotent for its user: a resent id whose first
 * receipt is younger than this is a duplicate (stored and counted once, in
 * the session and in Redis); older, it is a new event. The session keeps
 * every id for this long, however many events it keeps, and Redis remembers
 * delivered ids as long (EVENT_DEDUPE_TTL_S).
 */
export const EVENT_ID_HORIZON_MS = 7 * 86_400_000;

/** A validated, normalized interaction event. */
export interface InteractionEvent {
  eventId: string;
  userId: string;
  itemId: string;
  type: EventType;
  /** Milliseconds since the Unix epoch. */
  timestampMs: number;
  /** Stars, for `rating` only. */
  value?: number;
  /** Seconds watched, for `watch` only. */
  seconds?: number;
  surface?: string;
  impressionId?: string;
  /** Small string map the client may attach (page, device, ...). */
  context?: Record<string, string>;
}
