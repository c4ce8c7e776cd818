/**
 * What `POST /v1/events` answers for each event of a batch, so that a client
 * retries exactly what failed:
 * - `accepted`: stored now (it will reach Redis, at once or from the outbox);
 * - `duplicate`: this user sent this event id before, within the idempotency
 *   horizon; stored once, counted once; do not resend;
 * - `rejected`: never stored; resending it unchanged is rejected again
 *   (`code` says why, `field` where);
 * - `retry_later`: not stored, through no fault of the event (the user's
 *   session could not be reached, or the catalog could not be read and this
 *   isolate has never seen the item); resend it with the same id.
 */
export const EVENT_STATUSES = ["accepted", "duplicate", "rejected", "retry_later"] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** Why an event was rejected. */
export const EVENT_REJECTIONS = ["invalid_event", "duplicate_in_batch", "unknown_item", "before_erasure"] as const;
export type EventRejection = (typeof EVENT_REJECTIONS)[number];

/** Why an event should be sent again later. */
export const EVENT_RETRY_CODES = ["session_unavailable", "catalog_unavailable"] as const;
export type EventRetryCode = (typeof EVENT_RETRY_CODES)[number];

/** One event's outcome, in the order of the request's `events`. */
export interface EventResult {
  /** Position of the event in the request's `events`. */
  index: number;
  /** The event's id and user, when the event had valid ones. */
  eventId?: string;
  userId?: string;
  status: EventStatus;
  /** For `rejected` and `retry_later`. */
  code?: EventRejection | EventRetryCode;
  /** For `rejected`: the field at fault. */
  field?: string;
  /** For `rejected` and `retry_later`: a sentence for people. */
  message?: string;
}

/**
 * How a batch's outcome maps to an HTTP status: 200 when anything was
 * stored (or already was); else 503 when something is to be retried; else
 * (every event rejected) 400. Every status carries the per-event results.
 */
export function batchStatus(results: readonly EventResult[]): 200 | 400 | 503 {
  if (results.some((r) => r.status === "accepted" || r.status === "duplicate")) return 200;
  return results.some((r) => r.status === "retry_later") ? 503 : 400;
}
