import { isValidId } from "../ids";
import { EVENT_TYPES, type EventType, type InteractionEvent, MAX_EVENTS_PER_BATCH, MAX_FUTURE_SKEW_MS, MIN_TIMESTAMP_MS, RATING_RANGE } from "./event";
import { type EventRejection } from "./event-results";

/** Where and why a batch, or one event of it, was rejected; `index` is -1 for the batch itself. */
export interface BatchProblem {
  index: number;
  field: string;
  reason: string;
}

/** One event of a batch that is not taken, and why. */
export interface RejectedEvent extends BatchProblem {
  code: EventRejection;
}

/** A valid event and its position in the batch. */
export interface IndexedEvent {
  index: number;
  event: InteractionEvent;
}

/**
 * `ok` when the batch itself is well formed and at least one of its events
 * is valid: the valid ones go on, each rejected one is reported on its own.
 * Otherwise the first problem (the batch's, or its first event's) refuses it whole.
 */
export type BatchValidation = { ok: true; events: IndexedEvent[]; rejected: RejectedEvent[] } | { ok: false; problem: BatchProblem; rejected: RejectedEvent[] };

const KNOWN_FIELDS = new Set(["eventId", "userId", "itemId", "type", "timestamp", "value", "seconds", "surface", "impressionId", "context"]);
const TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);
const SURFACE_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;
const MAX_CONTEXT_KEYS = 16;
const MAX_CONTEXT_VALUE_LENGTH = 256;

/**
 * Validates a whole `POST /v1/events` body. The envelope (an object with a
 * non-empty array of at most MAX_EVENTS_PER_BATCH events, nothing else) is
 * all-or-nothing; each event is then judged on its own, so one bad event
 * does not hold back the others. Unknown fields are rejected so that a
 * misspelt field is never silently dropped. An event id repeated for the
 * same user inside one batch is rejected after its first occurrence (ids
 * are the user's own: two users may share one); across batches ids are
 * idempotent (handled by storage).
 */
export function validateEventBatch(body: unknown, nowMs: number): BatchValidation {
  if (!isPlainObject(body) || !Array.isArray(body.events)) {
    return fail(-1, "events", 'body must be a JSON object with an array field "events"');
  }
  const extra = Object.keys(body).find((k) => k !== "events");
  if (extra !== undefined) return fail(-1, extra, "unknown field");
  const raw = body.events;
  if (raw.length === 0) return fail(-1, "events", "batch is empty");
  if (raw.length > MAX_EVENTS_PER_BATCH) {
    return fail(-1, "events", `batch has ${raw.length} events; at most ${MAX_EVENTS_PER_BATCH} are allowed`);
  }
  const events: IndexedEvent[] = [];
  const rejected: RejectedEvent[] = [];
  const idsInBatch = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const result = validateEvent(raw[i], i, nowMs);
    if ("problem" in result) {
      rejected.push({ ...result.problem, code: "invalid_event" });
      continue;
    }
    const scopedId = `${result.event.userId}\n${result.event.eventId}`;
    if (idsInBatch.has(scopedId)) {
      rejected.push({ index: i, field: "eventId", reason: "this user's eventId appears earlier in the batch", code: "duplicate_in_batch" });
      continue;
    }
    idsInBatch.add(scopedId);
    events.push({ index: i, event: result.event });
  }
  if (events.length === 0) return { ok: false, problem: firstProblem(rejected), rejected };
  return { ok: true, events, rejected };
}

/** The problem that names a refused batch: its first rejected event's. */
export function firstProblem(rejected: readonly RejectedEvent[]): BatchProblem {
  const first = rejected.reduce((a, b) => (b.index < a.index ? b : a));
  return { index: first.index, field: first.field, reason: first.reason };
}

function validateEvent(e: unknown, index: number, nowMs: number): { event: InteractionEvent } | { problem: BatchProblem } {
  const bad = (field: string, reason: string) => ({ problem: { index, field, reason } });
  if (!isPlainObject(e)) return bad("", "event must be a JSON object");
  const unknown = Object.keys(e).find((k) => !KNOWN_FIELDS.has(k));
  if (unknown !== undefined) return bad(unknown, "unknown field");
  for (const field of ["eventId", "userId", "itemId"] as const) {
    if (!isValidId(e[field])) return bad(field, "required; 1-128 characters of A-Z a-z 0-9 _ . : @ -");
  }
  if (typeof e.type !== "string" || !TYPE_SET.has(e.type)) {
    return bad("type", `must be one of ${EVENT_TYPES.join(", ")}`);
  }
  const type = e.type as EventType;
  const timestampMs = parseTimestamp(e.timestamp);
  if (timestampMs === null) return bad("timestamp", "required; epoch milliseconds or an ISO-8601 date-time");
  if (timestampMs > nowMs + MAX_FUTURE_SKEW_MS) return bad("timestamp", "lies more than 5 minutes in the future");
  if (timestampMs < MIN_TIMESTAMP_MS) return bad("timestamp", "lies before 2000-01-01");

  const event: InteractionEvent = {
    eventId: e.eventId as string,
    userId: e.userId as string,
    itemId: e.itemId as string,
    type,
    timestampMs,
  };
  if (type === "rating") {
    const v = e.value;
    if (typeof v !== "number" || !Number.isFinite(v) || v < RATING_RANGE.min || v > RATING_RANGE.max) {
      return bad("value", `a rating needs a value from ${RATING_RANGE.min} to ${RATING_RANGE.max}`);
    }
    event.value = v;
  } else if (e.value !== undefined) {
    return bad("value", "only rating events carry a value");
  }
  if (type === "watch") {
    const s = e.seconds;
    if (typeof s !== "number" || !Number.isFinite(s) || s < 0) return bad("seconds", "a watch needs seconds >= 0");
    event.seconds = s;
  } else if (e.seconds !== undefined) {
    return bad("seconds", "only watch events carry seconds");
  }
  if (e.surface !== undefined) {
    if (typeof e.surface !== "string" || !SURFACE_PATTERN.test(e.surface)) {
      return bad("surface", "lower-case letters, digits and _, at most 32 characters");
    }
    event.surface = e.surface;
  }
  if (e.impressionId !== undefined) {
    if (!isValidId(e.impressionId)) return bad("impressionId", "1-128 characters of A-Z a-z 0-9 _ . : @ -");
    event.impressionId = e.impressionId;
  }
  if (e.context !== undefined) {
    const context = validateContext(e.context);
    if (typeof context === "string") return bad("context", context);
    event.context = context;
  }
  return { event };
}

function validateContext(value: unknown): Record<string, string> | string {
  if (!isPlainObject(value)) return "must be an object of strings";
  const entries = Object.entries(value);
  if (entries.length > MAX_CONTEXT_KEYS) return `at most ${MAX_CONTEXT_KEYS} keys`;
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (!/^[A-Za-z0-9_]{1,32}$/.test(k)) return `key "${k}" must be 1-32 characters of A-Z a-z 0-9 _`;
    if (typeof v !== "string" || v.length > MAX_CONTEXT_VALUE_LENGTH) {
      return `value of "${k}" must be a string of at most ${MAX_CONTEXT_VALUE_LENGTH} characters`;
    }
    out[k] = v;
  }
  return out;
}

/** Epoch milliseconds (a non-negative integer) or an ISO-8601 date-time with a zone. */
function parseTimestamp(value: unknown): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== "string") return null;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fail(index: number, field: string, reason: string): BatchValidation {
  return { ok: false, problem: { index, field, reason }, rejected: [] };
}
