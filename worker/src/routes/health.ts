import { Hono } from "hono";
import { readCanaryPointer, readCurrentPointer } from "../../../shared/index-format/index-reader";
import { countCatalogItems } from "../catalog/d1-catalog";
import { type AppEnv } from "../http/app-env";
import { redisFromEnv } from "../redis/redis-client";

type Probe = { status: "ok"; [detail: string]: unknown } | { status: "disabled" | "error"; message: string };

/** The state of every binding; always 200 so it can tell what is down. `/health/live` answers without touching any. */
export const health = new Hono<AppEnv>().get("/live", (c) => c.json({ status: "ok" })).get("/", async (c) => {
  const [kv, d1, redis] = await Promise.all([
    probe(async () => {
      const [current, canary] = await Promise.all([readCurrentPointer(c.env.INDEX_KV), readCanaryPointer(c.env.INDEX_KV)]);
      return { indexVersion: current?.version ?? null, canary: canary ? { version: canary.version, share: canary.share, regions: canary.regions } : null };
    }),
    probe(async () => ({ catalogItems: await countCatalogItems(c.env.DB) })),
    probeRedis(c.env),
  ]);
  const indexVersion = kv.status === "ok" ? (kv.indexVersion as string | null) : null;
  return c.json({
    status: kv.status === "ok" && d1.status === "ok" ? "ok" : "degraded",
    indexVersion,
    bindings: { kv, d1, durableObjects: { status: c.env.USER_SESSION ? "ok" : "error" }, redis },
  });
});

async function probe(check: () => Promise<Record<string, unknown>>): Promise<Probe> {
  try {
    return { status: "ok", ...(await check()) };
  } catch (err) {
    return { status: "error", message: err instanceof Error ? err.message : String(err) };
  }
}

async function probeRedis(env: Env): Promise<Probe> {
  const redis = redisFromEnv(env);
  if (!redis) return { status: "disabled", message: "UPSTASH_REDIS_REST_URL is not set" };
  return probe(async () => ({ ping: await redis.ping() }));
}
