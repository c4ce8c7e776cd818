import { Hono } from "hono";
import { readCurrentPointer } from "../../../shared/index-format/index-reader";
import { countCatalogItems } from "../catalog/d1-catalog";
import { adminAuth } from "../http/admin-auth";
import { type AppEnv } from "../http/app-env";
import { redisFromEnv } from "../redis/redis-client";

type Probe = { status: "ok"; [detail: string]: unknown } | { status: "disabled" | "error"; message: string };

/**
 * `/health/live`: public liveness, touching no binding and saying nothing
 * about them. `/health`: the state of every binding, for secret-key holders
 * only; always 200 so it can tell what is down, and `degraded` when any
 * configured dependency is. Errors are named, never quoted: a driver's text
 * can carry addresses.
 */
export const health = new Hono<AppEnv>()
  .get("/live", (c) => c.json({ status: "ok" }))
  .get("/", adminAuth(), async (c) => {
    const [kv, d1, redis] = await Promise.all([
      probe(async () => ({ indexVersion: (await readCurrentPointer(c.env.INDEX_KV))?.version ?? null })),
      probe(async () => ({ catalogItems: await countCatalogItems(c.env.DB) })),
      probeRedis(c.env),
    ]);
    const indexVersion = kv.status === "ok" ? (kv.indexVersion as string | null) : null;
    const healthy = kv.status === "ok" && d1.status === "ok" && redis.status !== "error";
    return c.json({
      status: healthy ? "ok" : "degraded",
      indexVersion,
      bindings: { kv, d1, durableObjects: { status: c.env.USER_SESSION ? "ok" : "error" }, redis },
    });
  });

async function probe(check: () => Promise<Record<string, unknown>>): Promise<Probe> {
  try {
    return { status: "ok", ...(await check()) };
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", message: "health probe failed", error: String(err) }));
    return { status: "error", message: `unreachable (${err instanceof Error ? err.name : "error"}); the Worker's logs have the details` };
  }
}

async function probeRedis(env: Env): Promise<Probe> {
  const redis = redisFromEnv(env);
  if (!redis) return { status: "disabled", message: "UPSTASH_REDIS_REST_URL is not set" };
  return probe(async () => ({ ping: await redis.ping() }));
}
