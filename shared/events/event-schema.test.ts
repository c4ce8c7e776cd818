import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { calendarProblem } from "../calendar";
import { ID_RULE, isValidId } from "../ids";
import { wrongType } from "../schema/field-message";
import { EVENT_TYPES, type EventType, type InteractionEvent, MAX_EVENTS_PER_BATCH, MAX_FUTURE_SKEW_MS, MIN_TIMESTAMP_MS, RATING_RANGE } from "./event";
import { type EventRejection } from "./event-results";
import { validateEventBatch } from "./validate-batch";

/**
 * The schema (event-schema.ts) replaced this hand-written validator. It stays
 * here as the reference the schema must agree with: on every body, the same
 * events, the same rejected events and the same first problem (index, field and
 * reason), which is what clients are told.
 */
interface BatchProblem {
  index: number;
  field: string;
  reason: string;
}

/** One event of a batch that is not taken, and why. */
interface RejectedEvent extends BatchProblem {
  code: EventRejection;
}

/** A valid event and its position in the batch. */
interface IndexedEvent {
  index: number;
  event: InteractionEvent;
}

/**
 * `ok` when the batch itself is well formed and at least one of its events
 * is valid: the valid ones go on, each rejected one is reported on its own.
 * Otherwise the first problem (the batch's, or its first event's) refuses it whole.
 */
type BatchValidation = { ok: true; events: IndexedEvent[]; rejected: RejectedEvent[] } | { ok: false; problem: BatchProblem; rejected: RejectedEvent[] };

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
function referenceValidateEventBatch(body: unknown, nowMs: number): BatchValidation {
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
function firstProblem(rejected: readonly RejectedEvent[]): BatchProblem {
  const first = rejected.reduce((a, b) => (b.index < a.index ? b : a));
  return { index: first.index, field: first.field, reason: first.reason };
}

function validateEvent(e: unknown, index: number, nowMs: number): { event: InteractionEvent } | { problem: BatchProblem } {
  const bad = (field: string, reason: string) => ({ problem: { index, field, reason } });
  if (!isPlainObject(e)) return bad("", "event must be a JSON object");
  const unknown = Object.keys(e).find((k) => !KNOWN_FIELDS.has(k));
  if (unknown !== undefined) return bad(unknown, "unknown field");
  // "required" only for an absent field; a wrong type names the type expected and the type got.
  for (const field of ["eventId", "userId", "itemId"] as const) {
    const id = e[field];
    if (id === undefined) return bad(field, `required; ${ID_RULE}`);
    if (typeof id !== "string") return bad(field, wrongType(`a string (${ID_RULE})`, id));
    if (!isValidId(id)) return bad(field, `must be ${ID_RULE}`);
  }
  const types = `one of ${EVENT_TYPES.join(", ")}`;
  if (e.type === undefined) return bad("type", `required; ${types}`);
  if (typeof e.type !== "string") return bad("type", wrongType(`a string (${types})`, e.type));
  if (!TYPE_SET.has(e.type)) return bad("type", `must be ${types}`);
  const type = e.type as EventType;
  const timestampMs = parseTimestamp(e.timestamp);
  if (timestampMs === null) return bad("timestamp", timestampProblem(e.timestamp));
  if (timestampMs > nowMs + MAX_FUTURE_SKEW_MS) return bad("timestamp", "lies more than 5 minutes in the future");
  if (timestampMs < MIN_TIMESTAMP_MS) {
    const seconds = typeof e.timestamp === "number" && e.timestamp * 1000 >= MIN_TIMESTAMP_MS && e.timestamp * 1000 <= nowMs + MAX_FUTURE_SKEW_MS;
    if (!seconds) return bad("timestamp", "lies before 2000-01-01");
    const ms = (e.timestamp as number) * 1000;
    return bad(
      "timestamp",
      `lies before 2000-01-01: timestamps are epoch milliseconds, and ${String(e.timestamp)} looks like epoch seconds (${ms} ms is ${new Date(ms).toISOString()})`,
    );
  }

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
    const rule = "lower-case letters, digits and _, at most 32 characters";
    if (typeof e.surface !== "string") return bad("surface", wrongType(`a string (${rule})`, e.surface));
    if (!SURFACE_PATTERN.test(e.surface)) return bad("surface", rule);
    event.surface = e.surface;
  }
  if (e.impressionId !== undefined) {
    if (typeof e.impressionId !== "string") return bad("impressionId", wrongType(`a string (${ID_RULE})`, e.impressionId));
    if (!isValidId(e.impressionId)) return bad("impressionId", ID_RULE);
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

/** Epoch milliseconds (a non-negative integer) or an ISO-8601 date-time with a zone, of a real date and time. */
function parseTimestamp(value: unknown): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== "string") return null;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return null;
  if (!isRealDateTime(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** Whether the date and time a text starts with survive a round trip through Date.UTC unchanged (an impossible one rolls over). */
function isRealDateTime(text: string): boolean {
  const [y, mo, d, h, mi, s] = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/
    .exec(text)!
    .slice(1)
    .map((part) => Number(part ?? 0));
  const t = new Date(Date.UTC(2000, mo! - 1, d, h, mi, s));
  t.setUTCFullYear(y!, mo! - 1, d);
  return t.getUTCMonth() === mo! - 1 && t.getUTCDate() === d && t.getUTCHours() === h && t.getUTCMinutes() === mi && t.getUTCSeconds() === s;
}

/** Why a timestamp parseTimestamp refuses is refused: absent, of another type, or the rule it breaks. */
function timestampProblem(value: unknown): string {
  if (value === undefined) return "required; epoch milliseconds or an ISO-8601 date-time with a zone";
  if (typeof value === "number") return "epoch milliseconds must be a non-negative integer";
  if (typeof value !== "string") return wrongType("epoch milliseconds (a number) or an ISO-8601 date-time (a string)", value);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/.test(value) && calendarProblem(value) !== null) {
    return `"${value}" is not a real date-time: ${calendarProblem(value)}`;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/.test(value)) return `"${value}" has no time zone: add Z for UTC or an offset such as +02:00`;
  if (/^\d{1,16}$/.test(value)) return "epoch milliseconds go as a JSON number, not a string";
  return "not an ISO-8601 date-time with a zone such as 2026-12-06T04:00:00Z";
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fail(index: number, field: string, reason: string): BatchValidation {
  return { ok: false, problem: { index, field, reason }, rejected: [] };
}

const NOW = Date.UTC(2026, 10, 21, 12);
const base = { eventId: "e1", userId: "u1", itemId: "i1", type: "click", timestamp: NOW - 1000 };
const fieldValue = fc.oneof(
  fc.constantFrom<unknown>(undefined, null, "", "e1", "u1", "i1", "a/b", "x".repeat(129), "click", "rating", "watch", "view", "CLICK", "home", "Home Page"),
  fc.constantFrom<unknown>(0, -1, 1.5, 3, 5.01, 0.5, NOW, NOW + MAX_FUTURE_SKEW_MS + 1, MIN_TIMESTAMP_MS - 1, Number.NaN, 1765000000, true),
  fc.constantFrom<unknown>(
    "2026-11-21T11:00:00Z",
    "2026-11-21",
    "2026-13-45T00:00Z",
    "2026-11-31T00:00:00Z",
    "2026-12-05T24:00:00Z",
    "2026-12-31T23:59:60Z",
    "2026-02-29T12:00:00Z",
    "2024-02-29T12:00:00Z",
    "2026-11-31T00:00:00",
    "2026-11-21T11:00:00.123+02:00",
    "2026-11-21T11:00:00",
    "2026-11-21T11:00",
    String(NOW),
  ),
  fc.constantFrom<unknown>(
    {},
    { page: "home" },
    { "bad key": "x" },
    { k: 1 },
    Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])),
    ["x"],
    [],
    { k: "v".repeat(257) },
  ),
  fc.json({ maxDepth: 2 }).map((t) => JSON.parse(t) as unknown),
);
const fields = ["eventId", "userId", "itemId", "type", "timestamp", "value", "seconds", "surface", "impressionId", "context", "extra"];
const event = fc.oneof(
  {
    arbitrary: fc.tuple(fc.constantFrom(...fields), fieldValue, fc.constantFrom("click", "rating", "watch")).map(([f, x, type]) => {
      const e: Record<string, unknown> = { ...base, type, ...(type === "rating" ? { value: 4 } : type === "watch" ? { seconds: 10 } : {}) };
      if (x === undefined) delete e[f];
      else e[f] = x;
      return e as unknown;
    }),
    weight: 6,
  },
  { arbitrary: fc.constant<unknown>(base), weight: 2 },
  { arbitrary: fieldValue, weight: 1 },
);
const batch = fc.oneof(
  { arbitrary: fc.array(event, { maxLength: 4 }).map((events) => ({ events }) as unknown), weight: 8 },
  {
    arbitrary: fc.tuple(fc.array(event, { maxLength: 2 }), fc.string({ maxLength: 5 }), fieldValue).map(([events, k, x]) => ({ events, [k]: x }) as unknown),
    weight: 1,
  },
  { arbitrary: fieldValue.map((events) => ({ events }) as unknown), weight: 1 },
  { arbitrary: fieldValue, weight: 1 },
);

describe("event batch schema against the hand-written validator it replaced", () => {
  it("gives the same events or the same first problem on every body (4000 cases)", () => {
    fc.assert(
      fc.property(batch, (body) => {
        expect(validateEventBatch(body, NOW)).toEqual(referenceValidateEventBatch(body, NOW));
      }),
      { numRuns: 4000, seed: 1515 },
    );
  });

  it("agrees on batches past the size limit and with duplicate ids", () => {
    const many = { events: Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, (_, i) => ({ ...base, eventId: `e${i}` })) };
    const bodies: unknown[] = [
      many,
      { events: [base, base] },
      { events: [base, { ...base, eventId: "e2" }, base, { ...base, type: "nope" }] },
      { events: [base, base, { ...base, type: "nope" }] },
      { events: [{ ...base, type: "nope" }, base, base] },
      { events: [], extra: 1 },
      { events: "x", extra: 1 },
    ];
    for (const body of bodies) expect(validateEventBatch(body, NOW)).toEqual(referenceValidateEventBatch(body, NOW));
  });
});
