import { Hono } from "hono";
import { type AppEnv } from "../http/app-env";
import { trendingQuery, trendingQueryError } from "../http/schemas/catalog-reads";
import { validQuery } from "../http/schemas/validate";
import { regionOf } from "../http/region";
import { loadCurrentIndex } from "../index-store/index-cache";
import { redisFromEnv } from "../redis/redis-client";
import { DEFAULT_TRENDING, readTrending } from "../redis/trending";

/**
 * Items trending in a region (`?region=us`, default the caller's), from the
 * hourly Redis counters merged with decay. Without Redis, the index's
 * popular list stands in and the response says so.
 */
export const trending = new Hono<AppEnv>().get("/", validQuery(trendingQuery, trendingQueryError), async (c) => {
  const query = c.req.valid("query");
  const region = query.region ?? regionOf(c.req.raw);
  const limit = query.limit;
  const redis = redisFromEnv(c.env);
  if (redis) {
    try {
      const items = await readTrending(redis, region, Date.now(), { ...DEFAULT_TRENDING, limit });
      return c.json({ region, source: "redis", items, degraded: [] });
    } catch (err) {
      console.warn(JSON.stringify({ level: "warn", message: "trending read failed", error: String(err) }));
    }
  }
  const index = await loadCurrentIndex(c.env.INDEX_KV);
  const items = (index?.popular?.items ?? []).slice(0, limit).map((x) => ({ itemId: x.itemId, score: x.score }));
  return c.json({ region, source: "popular", items, degraded: [redis ? "redis_unavailable" : "redis_disabled"] });
});
