import { Hono } from "hono";
import { type AppEnv } from "../http/app-env";
import { trendingQuery, trendingQueryError } from "../http/schemas/catalog-reads";
import { validQuery } from "../http/schemas/validate";
import { servableOnly } from "../catalog/servable";
import { regionOf } from "../http/region";
import { loadCurrentIndex } from "../index-store/index-cache";
import { redisFromEnv } from "../redis/redis-client";
import { DEFAULT_TRENDING, readTrending } from "../redis/trending";

/**
 * Items trending in a region (`?region=us`, default the caller's), from the
 * hourly Redis counters merged with decay, without what the catalogue has
 * withdrawn or blocks in that region (catalog/servable.ts). Without Redis,
 * the index's popular list stands in and the response says so (`source`,
 * `degraded`); with Redis but nothing counted in the region yet, it stands
 * in too, said by `source` alone (nothing failed).
 */
const RESTRICTED_SLACK = 20;
export const trending = new Hono<AppEnv>().get("/", validQuery(trendingQuery, trendingQueryError), async (c) => {
  const query = c.req.valid("query");
  const region = query.region ?? regionOf(c.req.raw);
  const limit = query.limit;
  const redis = redisFromEnv(c.env);
  if (redis) {
    try {
      // A few more than asked: withdrawn or region-blocked items keep counting in Redis and are dropped here.
      const counted = await readTrending(redis, region, Date.now(), { ...DEFAULT_TRENDING, limit: limit + RESTRICTED_SLACK });
      const defer = (work: Promise<unknown>) => c.executionCtx.waitUntil(work);
      const { items, degraded } = await servableOnly(c.env, counted, region === "global" ? "" : region, defer);
      // Nothing counted there yet (a new deployment, a quiet region): the popular list, said by `source`, not an empty shelf.
      if (items.length > 0 || degraded.length > 0) return c.json({ region, source: "redis", items: items.slice(0, limit), degraded });
      return c.json({ region, source: "popular", items: await popularItems(c.env.INDEX_KV, limit), degraded: [] });
    } catch (err) {
      console.warn(JSON.stringify({ level: "warn", message: "trending read failed", error: String(err) }));
    }
  }
  return c.json({ region, source: "popular", items: await popularItems(c.env.INDEX_KV, limit), degraded: [redis ? "redis_unavailable" : "redis_disabled"] });
});

async function popularItems(kv: KVNamespace, limit: number): Promise<{ itemId: string; score: number }[]> {
  const index = await loadCurrentIndex(kv);
  return (index?.popular?.items ?? []).slice(0, limit).map((x) => ({ itemId: x.itemId, score: x.score }));
}
