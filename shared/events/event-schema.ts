import * as v from "valibot";
import { calendarProblem } from "../calendar";
import { isObject } from "../is-object";
import { ID_PATTERN, ID_RULE, idFieldMessage } from "../ids";
import { documentedAs } from "../schema/documented";
import { fieldMessage } from "../schema/field-message";
import { firstIssue, issuePath, rankOf } from "../schema/issues";
import { EVENT_TYPES, type InteractionEvent, MAX_EVENTS_PER_BATCH, MAX_FUTURE_SKEW_MS, MIN_TIMESTAMP_MS, RATING_RANGE } from "./event";

/** Where and why a batch, or one event of it, was rejected; `index` is -1 for the batch itself. */
export interface BatchProblem {
  index: number;
  field: string;
  reason: string;
}

const SURFACE_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;
const CONTEXT_KEY_PATTERN = /^[A-Za-z0-9_]{1,32}$/;
const MAX_CONTEXT_KEYS = 16;
const MAX_CONTEXT_VALUE_LENGTH = 256;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const ISO_LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;
const BODY_MESSAGE = 'body must be a JSON object with an array field "events"';
const NOT_OBJECT = "event must be a JSON object";
const UNKNOWN_FIELD = "unknown field";
const TYPES = `one of ${EVENT_TYPES.join(", ")}`;
const SURFACE_RULE = "lower-case letters, digits and _, at most 32 characters";

const typeMessage = fieldMessage({ missing: `required; ${TYPES}`, types: ["string"], expected: `a string (${TYPES})`, invalid: `must be ${TYPES}` });
const optionalStringMessage = (rule: string) => fieldMessage({ missing: rule, types: ["string"], expected: `a string (${rule})`, invalid: rule });

/** Why a present timestamp that parseTimestamp refuses is refused. */
function timestampProblem(value: unknown): string {
  if (typeof value === "number") return "epoch milliseconds must be a non-negative integer";
  const text = String(value);
  const calendar = ISO_DATE_TIME.test(text) || ISO_LOCAL_DATE_TIME.test(text) ? calendarProblem(text) : null;
  if (calendar !== null) return `"${text}" is not a real date-time: ${calendar}`;
  if (ISO_LOCAL_DATE_TIME.test(text)) return `"${text}" has no time zone: add Z for UTC or an offset such as +02:00`;
  if (/^\d{1,16}$/.test(text)) return "epoch milliseconds go as a JSON number, not a string";
  return "not an ISO-8601 date-time with a zone such as 2026-12-06T04:00:00Z";
}

/** What a timestamp parseTimestamp refuses is told: absent, of another type, or which rule it breaks. */
export const timestampMessage = fieldMessage({
  missing: "required; epoch milliseconds or an ISO-8601 date-time with a zone",
  types: ["number", "string"],
  expected: "epoch milliseconds (a number) or an ISO-8601 date-time (a string)",
  invalid: timestampProblem,
});

/** What a missing required field is told, by field (looked up with Object.hasOwn: a key sent may be "constructor" or "__proto__"). */
const MISSING: Readonly<Record<string, (issue: { input: unknown }) => string>> = {
  eventId: idFieldMessage,
  userId: idFieldMessage,
  itemId: idFieldMessage,
  type: typeMessage,
  timestamp: timestampMessage,
};

const requiredId = (description: string) => v.pipe(v.string(idFieldMessage), v.regex(ID_PATTERN, idFieldMessage), v.description(description));

/**
 * Epoch milliseconds (a non-negative integer) or an ISO-8601 date-time with
 * a zone that names a real moment: 2026-11-31, T24:00 and a leap second
 * (:60) are refused, not rolled over (shared/calendar.ts).
 */
export function parseTimestamp(value: unknown): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== "string" || !ISO_DATE_TIME.test(value) || calendarProblem(value) !== null) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * A timestamp before 2000, and the likely reason when it is a number: epoch
 * seconds where milliseconds are expected (seconds * 1000 is a plausible time).
 */
function beforeMinimumMessage(value: unknown, nowMs: number): string {
  const ms = typeof value === "number" ? value * 1000 : Number.NaN;
  if (!(ms >= MIN_TIMESTAMP_MS && ms <= nowMs + MAX_FUTURE_SKEW_MS)) return "lies before 2000-01-01";
  return `lies before 2000-01-01: timestamps are epoch milliseconds, and ${String(value)} looks like epoch seconds (${ms} ms is ${new Date(ms).toISOString()})`;
}

/** The reason a `context` map is refused, or null: at most 16 keys of A-Z a-z 0-9 _, string values of at most 256 characters. */
function contextProblem(value: unknown): string | null {
  if (!isObject(value)) return "must be an object of strings";
  const entries = Object.entries(value);
  if (entries.length > MAX_CONTEXT_KEYS) return `at most ${MAX_CONTEXT_KEYS} keys`;
  for (const [k, x] of entries) {
    if (!CONTEXT_KEY_PATTERN.test(k)) return `key "${k}" must be 1-32 characters of A-Z a-z 0-9 _`;
    if (typeof x !== "string" || x.length > MAX_CONTEXT_VALUE_LENGTH)
      return `value of "${k}" must be a string of at most ${MAX_CONTEXT_VALUE_LENGTH} characters`;
  }
  return null;
}

/** Fields of an event in the order they are checked (after "is it an object" and "any unknown field"). */
const FIELD_ORDER = ["eventId", "userId", "itemId", "type", "timestamp", "value", "seconds", "surface", "impressionId", "context"];

/** One event as a client sends it; `clock` is the server's time for the future-skew check. Output: the normalized event. */
export function eventSchema(clock: () => number) {
  const entries = {
    eventId: requiredId("The client's id of this event: a retried batch with the same ids is stored once."),
    userId: requiredId("The user who acted; a browser may send its own user's events only."),
    itemId: requiredId("A catalog item."),
    type: v.picklist(EVENT_TYPES, typeMessage),
    timestamp: v.pipe(
      v.custom<number | string>((x) => parseTimestamp(x) !== null, timestampMessage),
      documentedAs<number | string>({
        description: "Epoch milliseconds or an ISO-8601 date-time with a zone; at most 5 minutes ahead, not before 2000, from a browser at most 24 hours old.",
        anyOf: [
          { type: "integer", minimum: 0 },
          { type: "string", format: "date-time" },
        ],
      }),
      // Checked on the value sent, before it becomes milliseconds: only a number can be seconds.
      v.check((x) => parseTimestamp(x)! <= clock() + MAX_FUTURE_SKEW_MS, "lies more than 5 minutes in the future"),
      v.check(
        (x) => parseTimestamp(x)! >= MIN_TIMESTAMP_MS,
        (issue) => beforeMinimumMessage(issue.input, clock()),
      ),
      v.transform((x) => parseTimestamp(x)!),
    ),
    // Whether these may be present depends on `type`: checked across fields below.
    value: v.optional(
      v.pipe(
        v.unknown(),
        documentedAs({ type: "number", minimum: RATING_RANGE.min, maximum: RATING_RANGE.max, description: "Stars: `rating` events only, and required there." }),
      ),
    ),
    seconds: v.optional(
      v.pipe(v.unknown(), documentedAs({ type: "number", minimum: 0, description: "Seconds watched: `watch` events only, and required there." })),
    ),
    surface: v.optional(
      v.pipe(
        v.string(optionalStringMessage(SURFACE_RULE)),
        v.regex(SURFACE_PATTERN, SURFACE_RULE),
        v.description("Where the item was shown (`home`, `up_next`, ...): counts towards that surface's CTR."),
      ),
    ),
    impressionId: v.optional(
      v.pipe(
        v.string(optionalStringMessage(ID_RULE)),
        v.regex(ID_PATTERN, ID_RULE),
        v.description("The `impressionId` of the list that showed the item: attributes the event to it."),
      ),
    ),
    context: v.optional(
      v.pipe(
        v.custom<Record<string, string>>(
          (x) => contextProblem(x) === null,
          (issue) => contextProblem(issue.input)!,
        ),
        documentedAs<Record<string, string>>({
          type: "object",
          maxProperties: MAX_CONTEXT_KEYS,
          propertyNames: { pattern: CONTEXT_KEY_PATTERN.source },
          additionalProperties: { type: "string", maxLength: MAX_CONTEXT_VALUE_LENGTH },
          description: "A small string map of the client's own (page, device, ...).",
        }),
      ),
    ),
  };
  return v.pipe(
    v.strictObject(entries, (issue) => {
      const key = issue.path?.at(-1)?.key;
      if (issue.path?.at(-1)?.origin !== "key" || typeof key !== "string") return NOT_OBJECT;
      return Object.hasOwn(MISSING, key) ? MISSING[key]!(issue) : UNKNOWN_FIELD;
    }),
    v.forward(
      v.partialCheck(
        [["type"], ["value"]],
        (e) => (e.type === "rating" ? typeof e.value === "number" && e.value >= RATING_RANGE.min && e.value <= RATING_RANGE.max : e.value === undefined),
        (issue) =>
          (issue.input as { type?: unknown }).type === "rating"
            ? `a rating needs a value from ${RATING_RANGE.min} to ${RATING_RANGE.max}`
            : "only rating events carry a value",
      ),
      ["value"],
    ),
    v.forward(
      v.partialCheck(
        [["type"], ["seconds"]],
        (e) => (e.type === "watch" ? typeof e.seconds === "number" && Number.isFinite(e.seconds) && e.seconds >= 0 : e.seconds === undefined),
        (issue) => ((issue.input as { type?: unknown }).type === "watch" ? "a watch needs seconds >= 0" : "only watch events carry seconds"),
      ),
      ["seconds"],
    ),
    v.transform((e): InteractionEvent => {
      const event: InteractionEvent = { eventId: e.eventId, userId: e.userId, itemId: e.itemId, type: e.type, timestampMs: e.timestamp };
      if (e.type === "rating") event.value = e.value as number;
      if (e.type === "watch") event.seconds = e.seconds as number;
      if (e.surface !== undefined) event.surface = e.surface;
      if (e.impressionId !== undefined) event.impressionId = e.impressionId;
      if (e.context !== undefined) event.context = e.context;
      return event;
    }),
  );
}

const eventsField = v.pipe(
  v.array(v.unknown(), BODY_MESSAGE),
  v.check((list) => list.length > 0, "batch is empty"),
  v.check(
    (list) => list.length <= MAX_EVENTS_PER_BATCH,
    (issue) => `batch has ${(issue.input as unknown[]).length} events; at most ${MAX_EVENTS_PER_BATCH} are allowed`,
  ),
);
const envelopeMessage: v.ErrorMessage<v.StrictObjectIssue> = (issue) =>
  issue.path?.at(-1)?.origin === "key" && issue.path.at(-1)?.key !== "events" ? UNKNOWN_FIELD : BODY_MESSAGE;

/**
 * The `POST /v1/events` envelope, all or nothing: `{"events": [...]}` with
 * 1 to 500 events and no other field. Each event is then judged on its own
 * (eventSchema), so one bad event does not hold back the others.
 */
export const eventBatchEnvelope = v.strictObject({ events: eventsField }, envelopeMessage);

/** The envelope with its events as clients send them: what the API reference and the typed client show. */
export const eventBatchDocumented = v.strictObject(
  {
    events: v.pipe(
      v.array(eventSchema(Date.now)),
      v.minLength(1),
      v.maxLength(MAX_EVENTS_PER_BATCH),
      v.description(
        `1 to ${MAX_EVENTS_PER_BATCH} events. Each is judged on its own (\`results\`); the batch is refused (400) only when its envelope is wrong or no event is valid.`,
      ),
    ),
  },
  envelopeMessage,
);

type Issue = v.BaseIssue<unknown>;

/** The envelope's first problem: its shape, then an unknown field, then its size. */
export function envelopeProblem(issues: readonly [Issue, ...Issue[]]): BatchProblem {
  const issue = firstIssue(issues, (i) => {
    const top = i.path?.[0];
    if (!top) return [0];
    if (top.origin === "key") return [top.key === "events" ? 0 : 1];
    return i.type === "array" ? [0] : [2];
  });
  const top = issue.path?.[0];
  const unknownTop = top?.origin === "key" && top.key !== "events";
  return { index: -1, field: unknownTop ? String(top.key) : "events", reason: issue.message };
}

/**
 * The problem of event `index` a check in order would meet first: is it an
 * object, an unknown field, then its fields in FIELD_ORDER.
 */
export function eventProblem(issues: readonly [Issue, ...Issue[]], index: number, input: unknown): BatchProblem {
  if (Array.isArray(input)) return { index, field: "", reason: NOT_OBJECT };
  const issue = firstIssue(issues, (i) => {
    const first = i.path?.[0];
    if (!first) return [0];
    if (first.origin === "key" && !FIELD_ORDER.includes(String(first.key))) return [1];
    return [2 + rankOf(FIELD_ORDER, first.key)];
  });
  const path = issuePath(issue);
  return { index, field: path.length > 0 ? String(path[0]) : "", reason: issue.message };
}
