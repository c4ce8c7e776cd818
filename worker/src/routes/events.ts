import { Hono } from "hono";
import { AppError } from "../../../shared/errors";
import { type InteractionEvent } from "../../../shared/events/event";
import { validateEventBatch } from "../../../shared/events/validate-batch";
import { type AppEnv } from "../http/app-env";
import { readJson } from "../http/read-json";
import { type DependencyState, redisFromEnv } from "../redis/redis-client";
import { countTrending } from "../redis/trending";
import { sessionStub } from "../session/session-stub";

/** 500 events of at most ~2 KB each. */
const MAX_BODY_BYTES = 1024 * 1024;

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
  const results = await Promise.all(
    [...byUser].map(async ([userId, list]) => ({ userId, result: await sessionStub(c.env, userId).ingest(list) })),
  );

  const acceptedIds = new Set(results.flatMap((r) => r.result.accepted));
  const accepted = validation.events.filter((e) => acceptedIds.has(e.eventId));
  const redis = await forwardToRedis(c.env, accepted, regionOf(c.req.raw));
  return c.json({
    accepted: accepted.map((e) => e.eventId),
    duplicates: results.flatMap((r) => r.result.duplicates),
    sessions: Object.fromEntries(results.map((r) => [r.userId, { sessionVersion: r.result.sessionVersion }])),
    redis,
  });
});

async function forwardToRedis(env: Env, accepted: InteractionEvent[], region: string): Promise<DependencyState> {
  const redis = redisFromEnv(env);
  if (!redis) return "disabled";
  if (accepted.length === 0) return "ok";
  try {
    await countTrending(redis, accepted, region);
    return "ok";
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", message: "trending update failed", error: String(err) }));
    return "unavailable";
  }
}

/** The caller's country from Cloudflare's edge metadata, lower-cased; "global" when unknown (e.g. locally). */
function regionOf(request: Request): string {
  const country = (request as Request & { cf?: { country?: unknown } }).cf?.country;
  return typeof country === "string" && /^[A-Z]{2}$/.test(country) ? country.toLowerCase() : "global";
}
