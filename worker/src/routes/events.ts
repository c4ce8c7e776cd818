import { Hono } from "hono";
import { AppError } from "../../../shared/errors";
import { type InteractionEvent } from "../../../shared/events/event";
import { batchStatus, type EventResult, type EventRetryCode } from "../../../shared/events/event-results";
import { type BatchProblem, firstProblem, type IndexedEvent, type RejectedEvent, validateEventBatch } from "../../../shared/events/validate-batch";
import { isValidId } from "../../../shared/ids";
import { isObject } from "../../../shared/is-object";
import { requireUser } from "../auth/acting-user";
import { enforceLimit } from "../auth/rate-limit";
import { catalogFacts, fetchCatalogFacts, lastKnownCatalogFacts } from "../catalog/d1-catalog";
import { indexKnownItems } from "../catalog/index-known-items";
import { type AppEnv } from "../http/app-env";
import { eventBatch, eventBatchIssuesError } from "../http/schemas/events";
import { validJson } from "../http/schemas/validate";
import { regionOf } from "../http/region";
import { sessionStub } from "../session/session-stub";
import { type Delivery, type IngestResult } from "../session/user-session";

/** 500 events of at most ~2 KB each. */
const MAX_BODY_BYTES = 1024 * 1024;
/**
 * How old an event from a browser (publishable key) may be: a page sends
 * what just happened, and a backdated flood must not reach older trending
 * hours. Servers (secret keys) may send older events.
 */
const BROWSER_MAX_AGE_MS = 24 * 3600 * 1000;

/**
 * Accepts a batch, answering for each event (shared/events/event-results.ts):
 * each user's valid events go to that user's Durable Object, which stores
 * them and owns their delivery to Redis (stream, trending, experiment
 * counters) through its outbox. A user whose object fails leaves their
 * events to be retried; the others' are stored all the same.
 */
export const events = new Hono<AppEnv>().post("/", validJson(eventBatch, MAX_BODY_BYTES, eventBatchIssuesError), async (c) => {
  const body = c.req.valid("json");
  // Every event acts for its user: a browser may send its own user's events only, and one
  // event naming another user refuses the whole batch, whether or not it is otherwise valid.
  for (const userId of new Set(body.events.flatMap(namedUser))) requireUser(c, userId);
  const nowMs = Date.now();
  const validation = validateEventBatch(body, nowMs);
  if (!validation.ok) refuseBatch(validation.problem, validation.rejected, body);
  const rejected: RejectedEvent[] = [...validation.rejected];
  let valid = validation.events;

  const caller = c.get("caller");
  if (caller.kind === "publishable") {
    const oldest = nowMs - BROWSER_MAX_AGE_MS;
    valid = valid.filter(({ index, event }) => {
      if (event.timestampMs >= oldest) return true;
      const reason = "lies more than 24 hours in the past (older events come from a server, with a secret key)";
      rejected.push({ index, field: "timestamp", reason, code: "invalid_event" });
      return false;
    });
    await enforceLimit(c.env.USER_EVENTS_RATE_LIMIT, caller.userId!, "event batches for this user");
  }
  // Items must exist in the catalog: a made-up id would otherwise reach trending and training.
  // When D1 cannot be read, the rows this isolate last read, then the live index's item
  // table, vouch for their items; the others wait (retry_later), and the answer names
  // the degraded check.
  const itemIds = valid.map((v) => v.event.itemId);
  let facts: Map<string, { categories: string[] }>;
  const degraded: string[] = [];
  try {
    facts = await catalogFacts(c.env.DB, itemIds);
    const absent = [...new Set(itemIds.filter((id) => !facts.has(id)))];
    if (absent.length > 0) for (const [id, row] of await fetchCatalogFacts(c.env.DB, absent)) facts.set(id, row);
  } catch (cause) {
    console.warn(JSON.stringify({ level: "warn", requestId: c.get("requestId"), message: "catalog unavailable for events", error: String(cause) }));
    facts = lastKnownCatalogFacts(itemIds);
    const unread = itemIds.filter((id) => !facts.has(id));
    for (const [id, known] of await indexKnownItems(c.env.INDEX_KV, unread)) facts.set(id, known);
    degraded.push("catalog_unavailable");
  }
  const waiting: WaitingEvent[] = [];
  valid = valid.filter(({ index, event }) => {
    if (facts.has(event.itemId)) return true;
    if (degraded.length > 0)
      waiting.push({ index, event, code: "catalog_unavailable", message: "the catalog could not be read to check this item; resend this event" });
    else rejected.push({ index, field: "itemId", reason: `item ${event.itemId} is not in the catalog`, code: "unknown_item" });
    return false;
  });
  if (valid.length === 0 && waiting.length === 0) refuseBatch(firstProblem(rejected), rejected, body);

  const byUser = new Map<string, InteractionEvent[]>();
  for (const { event } of valid) byUser.set(event.userId, [...(byUser.get(event.userId) ?? []), event]);
  const itemCategories = Object.fromEntries([...facts].map(([id, f]) => [id, f.categories]));
  const region = regionOf(c.req.raw);
  const outcomes = new Map(
    await Promise.all(
      [...byUser].map(async ([userId, list]) => {
        try {
          return [userId, await sessionStub(c.env, userId).ingest(list, { region, itemCategories })] as const;
        } catch (err) {
          // Nothing of this user's was stored (ingest commits in one transaction before it delivers): a retry is safe.
          console.warn(JSON.stringify({ level: "warn", requestId: c.get("requestId"), message: "session unavailable for events", error: String(err) }));
          return [userId, null] as const;
        }
      }),
    ),
  );

  const results = eventResults(body, valid, rejected, outcomes, waiting);
  // By surface in a Map: a surface is any lower-case word the client sends, "constructor" too.
  const clicks = new Map<string, number>();
  for (const { index, event } of valid) {
    if (event.type === "click" && event.surface && results[index]!.status === "accepted") clicks.set(event.surface, (clicks.get(event.surface) ?? 0) + 1);
  }
  c.set("metric", { clicks });
  const stored = [...outcomes.entries()].flatMap(([userId, r]) => (r ? [[userId, r] as const] : []));
  const answer = {
    results,
    accepted: results.filter((r) => r.status === "accepted").map((r) => r.eventId!),
    duplicates: results.filter((r) => r.status === "duplicate").map((r) => r.eventId!),
    sessions: Object.fromEntries(stored.map(([userId, r]) => [userId, { sessionVersion: r.sessionVersion }])),
    redis: overallDelivery(stored.map(([, r]) => r.redis)),
    ...(degraded.length > 0 ? { degraded } : {}),
  };
  if (batchStatus(results) === 400) {
    // Every event was rejected, some only once their session had judged them (before the user's erasure).
    const first = results.find((r) => r.status === "rejected")!;
    throwRefusal({ index: first.index, field: first.field ?? "", reason: first.message ?? "rejected" }, results);
  }
  if (batchStatus(results) === 503) {
    const what = degraded.length > 0 ? "the catalog or the users' sessions could not be reached" : "the users' sessions could not be reached";
    throw new AppError("dependency_unavailable", `no event was stored: ${what}; retry the events marked retry_later`, {
      retryAfterS: 1,
      results,
    });
  }
  return c.json(answer);
});

/** A valid event that was not offered to its session, to be sent again later. */
interface WaitingEvent extends IndexedEvent {
  code: EventRetryCode;
  message: string;
}

/** One result per event of the request, in its order. */
function eventResults(
  body: unknown,
  valid: IndexedEvent[],
  rejected: RejectedEvent[],
  outcomes: Map<string, IngestResult | null>,
  waiting: readonly WaitingEvent[] = [],
): EventResult[] {
  const raw = (body as { events: unknown[] }).events;
  const results: EventResult[] = raw.map((e, index) => ({ index, ...idsOf(e), status: "rejected" }));
  for (const r of rejected) results[r.index] = { ...results[r.index]!, status: "rejected", code: r.code, field: r.field, message: r.reason };
  for (const w of waiting)
    results[w.index] = { index: w.index, eventId: w.event.eventId, userId: w.event.userId, status: "retry_later", code: w.code, message: w.message };
  const duplicates = new Map([...outcomes].map(([userId, o]) => [userId, new Set(o?.duplicates)]));
  for (const { index, event } of valid) {
    const outcome = outcomes.get(event.userId);
    const base = { index, eventId: event.eventId, userId: event.userId };
    const erased = outcome?.beforeErasure;
    if (!outcome)
      results[index] = { ...base, status: "retry_later", code: "session_unavailable", message: "the user's session could not be reached; resend this event" };
    else if (erased?.eventIds.includes(event.eventId)) {
      const at = new Date(erased.erasedAtMs).toISOString();
      const message = `the user was erased at ${at}, after this event happened: the erasure covers it, so it is not stored`;
      results[index] = { ...base, status: "rejected", code: "before_erasure", field: "timestamp", message };
    } else results[index] = { ...base, status: duplicates.get(event.userId)!.has(event.eventId) ? "duplicate" : "accepted" };
  }
  return results;
}

/** The user an event as sent names (any string `userId`, valid id or not), for the right to act for them. */
function namedUser(e: unknown): string[] {
  const userId = isObject(e) ? e.userId : undefined;
  return typeof userId === "string" ? [userId] : [];
}

/** The event's id and user as sent, when they are valid ids (for the client to match results). */
function idsOf(e: unknown): { eventId?: string; userId?: string } {
  if (typeof e !== "object" || e === null) return {};
  const { eventId, userId } = e as Record<string, unknown>;
  return { ...(isValidId(eventId) ? { eventId: eventId as string } : {}), ...(isValidId(userId) ? { userId: userId as string } : {}) };
}

/** Nothing of the batch can be taken: 400 naming the first problem, with every event's result when it got that far. */
function refuseBatch(problem: BatchProblem, rejected: RejectedEvent[], body: unknown): never {
  throwRefusal(problem, rejected.length > 0 ? eventResults(body, [], rejected, new Map()) : undefined);
}

/** 400 `invalid_event_batch` naming `problem`, with the events' `results` when there are some. */
function throwRefusal(problem: BatchProblem, results?: EventResult[]): never {
  const { index, field, reason } = problem;
  const where = index < 0 ? `batch field "${field}"` : `events[${index}].${field}`;
  throw new AppError("invalid_event_batch", `${where}: ${reason}; nothing in the batch was stored`, { index, field, ...(results ? { results } : {}) });
}
/** "queued" if any user's events wait in an outbox, else "delivered" or "disabled". */
function overallDelivery(states: Delivery[]): Delivery {
  if (states.includes("queued")) return "queued";
  return states.includes("delivered") ? "delivered" : "disabled";
}
