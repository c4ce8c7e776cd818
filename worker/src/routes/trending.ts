import { Hono } from "hono";
import { AppError } from "../../../shared/errors";
import { type AppEnv } from "../http/app-env";
import { regionOf } from "../http/region";
import { loadCurrentIndex } from "../index-store/index-cache";
import { redisFromEnv } from "../redis/redis-client";
import { DEFAULT_TRENDING, readTrending } from "../redis/trending";

const MAX_LIMIT = 100;

/**
 * Items trending in a region (`?region=us`, default the caller's), from the
 * hourly Redis counters merged with decay. Without Redis, the index's
 * popular list stands in and the response says so.
 */
export const trending = new Hono<AppEnv>().get("/", async (c) => {
  const params = new URL(c.req.url).searchParams;
  const region = (params.get("region") ?? regionOf(c.req.raw)).toLowerCase();
  if (!/^([a-z]{2}|global)$/.test(region)) {
    throw new AppError("invalid_request", 'region must be a two-letter country code or "global"', { field: "region" });
  }
  const limit = Number(params.get("limit") ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new AppError("invalid_request", `limit must be an integer from 1 to ${MAX_LIMIT}`, { field: "limit" });
  }
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
