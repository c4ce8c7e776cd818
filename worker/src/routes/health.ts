import { Hono } from "hono";
import { readCurrentPointer } from "../../../shared/index-format/index-reader";
import { countCatalogItems } from "../catalog/d1-catalog";
import { adminAuth } from "../http/admin-auth";
import { type AppEnv } from "../http/app-env";
import { loadAnnHead } from "../index-store/ann-store";
import { loadCurrentIndex } from "../index-store/index-cache";
import { loadFunnelHead } from "../index-store/funnel-store";
import { redisFromEnv } from "../redis/redis-client";

type Probe = { status: "ok"; [detail: string]: unknown } | { status: "disabled" | "error"; message: string; [detail: string]: unknown };

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
    // Only when KV answered: its own fault is the kv binding's, said there.
    const index = kv.status === "ok" && indexVersion !== null ? await probeIndex(c.env.INDEX_KV) : null;
    const healthy = kv.status === "ok" && d1.status === "ok" && redis.status !== "error" && index?.status !== "error";
    return c.json({
      status: healthy ? "ok" : "degraded",
      indexVersion,
      bindings: { kv, d1, durableObjects: { status: c.env.USER_SESSION ? "ok" : "error" }, redis },
      ...(index ? { index } : {}),
    });
  });

/**
 * The served version as a request loads it: its popular list, its funnel
 * head (item table, Gram matrix) and its ANN head, each checked against the
 * manifest's checksums (blobs an isolate already holds are not read again).
 * A missing or corrupt one is an `error` naming the degraded codes requests
 * carry, though lists still answer through their fallbacks.
 */
async function probeIndex(kv: KVNamespace): Promise<Probe> {
  try {
    const index = await loadCurrentIndex(kv);
    if (!index) return { status: "ok", version: null };
    const { manifest } = index;
    const [funnel, ann] = await Promise.all([manifest.funnel ? loadFunnelHead(kv, manifest) : null, manifest.ann ? loadAnnHead(kv, manifest) : null]);
    const faults = [...index.degraded, ...[funnel, ann].flatMap((head) => (head && "degraded" in head ? [head.degraded] : []))];
    if (faults.length === 0) return { status: "ok", version: index.version };
    return { status: "error", message: `version ${index.version} is served through fallbacks: ${faults.join(", ")}`, version: index.version, degraded: faults };
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", message: "health probe failed", error: String(err) }));
    return { status: "error", message: `unreadable (${err instanceof Error ? err.name : "error"}); the Worker's logs have the details` };
  }
}

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
