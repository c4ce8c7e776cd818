import { Hono } from "hono";
import { AppError } from "../../../shared/errors";
import { type InteractionEvent } from "../../../shared/events/event";
import { validateEventBatch } from "../../../shared/events/validate-batch";
import { catalogFacts } from "../catalog/d1-catalog";
import { type AppEnv } from "../http/app-env";
import { readJson } from "../http/read-json";
import { regionOf } from "../http/region";
import { sessionStub } from "../session/session-stub";
import { type Delivery } from "../session/user-session";

/** 500 events of at most ~2 KB each. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Accepts a validated batch: each user's events go to that user's Durable
 * Object, which stores them and owns their delivery to Redis (stream,
 * trending, experiment counters) through its outbox.
 */
export const events = new Hono<AppEnv>().post("/", async (c) => {
  const body = await readJson(c, MAX_BODY_BYTES);
  const validation = validateEventBatch(body, Date.now());
  if (!validation.ok) {
    const { index, field, reason } = validation.problem;
    const where = index < 0 ? `batch field "${field}"` : `events[${index}].${field}`;
    throw new AppError("invalid_event_batch", `${where}: ${reason}; nothing in the batch was stored`, { index, field });
  }

  const byUser = new Map<string, InteractionEvent[]>();
  for (const e of validation.events) {
    const list = byUser.get(e.userId) ?? [];
    list.push(e);
    byUser.set(e.userId, list);
  }
  const itemCategories = await catalogFacts(c.env.DB, validation.events.map((e) => e.itemId)).then(
    (facts) => Object.fromEntries([...facts].map(([id, f]) => [id, f.categories])),
    (err: unknown) => {
    // Affinities are a refinement; the events themselves must still be taken.
      console.warn(JSON.stringify({ level: "warn", message: "catalog lookup failed; affinities skipped", error: String(err) }));
      return {};
    },
  );
  const region = regionOf(c.req.raw);
  const results = await Promise.all(
    [...byUser].map(async ([userId, list]) => ({
      userId,
      result: await sessionStub(c.env, userId).ingest(list, { region, itemCategories }),
    })),
  );

  const accepted = new Set(results.flatMap((r) => r.result.accepted));
  return c.json({
    accepted: validation.events.filter((e) => accepted.has(e.eventId)).map((e) => e.eventId),
    duplicates: results.flatMap((r) => r.result.duplicates),
    sessions: Object.fromEntries(results.map((r) => [r.userId, { sessionVersion: r.result.sessionVersion }])),
    redis: overallDelivery(results.map((r) => r.result.redis)),
  });
});

/** "queued" if any user's events wait in an outbox, else "delivered" or "disabled". */
function overallDelivery(states: Delivery[]): Delivery {
  if (states.includes("queued")) return "queued";
  return states.includes("delivered") ? "delivered" : "disabled";
}
