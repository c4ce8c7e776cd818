import { Hono } from "hono";
import { AppError } from "../../../shared/errors";
import { type InteractionEvent } from "../../../shared/events/event";
import { requireUser } from "../auth/acting-user";
import { enforceLimit } from "../auth/rate-limit";
import { catalogFacts, fetchCatalogFacts } from "../catalog/d1-catalog";
import { type AppEnv } from "../http/app-env";
import { eventBatch, eventBatchError, eventBatchIssuesError } from "../http/schemas/events";
import { validJson } from "../http/schemas/validate";
import { regionOf } from "../http/region";
import { sessionStub } from "../session/session-stub";
import { type Delivery } from "../session/user-session";

/** 500 events of at most ~2 KB each. */
const MAX_BODY_BYTES = 1024 * 1024;
/**
 * How old an event from a browser (publishable key) may be: a page sends
 * what just happened, and a backdated flood must not reach older trending
 * hours. Servers (secret keys) may send older events.
 */
const BROWSER_MAX_AGE_MS = 24 * 3600 * 1000;

/**
 * Accepts a validated batch: each user's events go to that user's Durable
 * Object, which stores them and owns their delivery to Redis (stream,
 * trending, experiment counters) through its outbox.
 */
export const events = new Hono<AppEnv>().post("/", validJson(eventBatch, MAX_BODY_BYTES, eventBatchIssuesError), async (c) => {
  const validation = c.req.valid("json");

  const byUser = new Map<string, InteractionEvent[]>();
  for (const e of validation.events) {
    const list = byUser.get(e.userId) ?? [];
    list.push(e);
    byUser.set(e.userId, list);
  }
  // Every event acts for its user: a browser may send its own user's events only.
  for (const userId of byUser.keys()) requireUser(c, userId);
  const caller = c.get("caller");
  if (caller.kind === "publishable") {
    const oldest = Date.now() - BROWSER_MAX_AGE_MS;
    const stale = validation.events.findIndex((e) => e.timestampMs < oldest);
    if (stale >= 0) rejectEvent(stale, "timestamp", "lies more than 24 hours in the past (older events come from a server, with a secret key)");
    await enforceLimit(c.env.USER_EVENTS_RATE_LIMIT, caller.userId!, "event batches for this user");
  }
  // Items must exist in the catalog: a made-up id would otherwise reach trending and training.
  let facts: Awaited<ReturnType<typeof catalogFacts>>;
  try {
    facts = await catalogFacts(
      c.env.DB,
      validation.events.map((e) => e.itemId),
    );
    const absent = [...new Set(validation.events.map((e) => e.itemId).filter((id) => !facts.has(id)))];
    if (absent.length > 0) for (const [id, row] of await fetchCatalogFacts(c.env.DB, absent)) facts.set(id, row);
  } catch (cause) {
    throw new AppError("dependency_unavailable", "the catalog cannot be read to check the items; nothing was stored, retry", undefined, { cause });
  }
  const unknown = validation.events.findIndex((e) => !facts.has(e.itemId));
  if (unknown >= 0) rejectEvent(unknown, "itemId", `item ${validation.events[unknown]!.itemId} is not in the catalog`);
  const itemCategories = Object.fromEntries([...facts].map(([id, f]) => [id, f.categories]));
  const region = regionOf(c.req.raw);
  const results = await Promise.all(
    [...byUser].map(async ([userId, list]) => ({
      userId,
      result: await sessionStub(c.env, userId).ingest(list, { region, itemCategories }),
    })),
  );

  const accepted = new Set(results.flatMap((r) => r.result.accepted));
  const clicks: Record<string, number> = {};
  for (const e of validation.events) if (e.type === "click" && e.surface && accepted.has(e.eventId)) clicks[e.surface] = (clicks[e.surface] ?? 0) + 1;
  c.set("metric", { clicks });
  return c.json({
    accepted: validation.events.filter((e) => accepted.has(e.eventId)).map((e) => e.eventId),
    duplicates: results.flatMap((r) => r.result.duplicates),
    sessions: Object.fromEntries(results.map((r) => [r.userId, { sessionVersion: r.result.sessionVersion }])),
    redis: overallDelivery(results.map((r) => r.result.redis)),
  });
});

function rejectEvent(index: number, field: string, reason: string): never {
  throw eventBatchError(index, field, reason);
}

/** "queued" if any user's events wait in an outbox, else "delivered" or "disabled". */
function overallDelivery(states: Delivery[]): Delivery {
  if (states.includes("queued")) return "queued";
  return states.includes("delivered") ? "delivered" : "disabled";
}
