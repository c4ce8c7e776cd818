import { type Redis } from "@upstash/redis/cloudflare";
import { type MiddlewareHandler } from "hono";
import { clickField, METRICS_TTL_S, metricFields, metricsKey, type RequestMetric } from "../../../shared/metrics/request-metrics";
import { WriteBatcher } from "../../../shared/online/write-batcher";
import { redisFromEnv } from "../redis/redis-client";
import { type AppEnv } from "./app-env";

/** Per-minute counter increments of one request. */
interface Increment {
  minute: number;
  fields: Map<string, number>;
}

/** Requests of an isolate share Redis writes, as impressions do: 100 ms or 128 requests, whichever first. */
const METRICS_WINDOW_MS = 100;
const METRICS_BATCH_MAX = 128;

let batcher: { redis: Redis; batcher: WriteBatcher<Increment> } | null = null;

function batcherFor(redis: Redis): WriteBatcher<Increment> {
  if (batcher?.redis === redis) return batcher.batcher;
  const b = new WriteBatcher<Increment>(
    async (increments) => {
      const summed = new Map<number, Map<string, number>>();
      for (const { minute, fields } of increments) {
        const m = summed.get(minute) ?? new Map<string, number>();
        for (const [f, n] of fields) m.set(f, (m.get(f) ?? 0) + n);
        summed.set(minute, m);
      }
      const pipeline = redis.pipeline();
      for (const [minute, fields] of summed) {
        for (const [f, n] of fields) pipeline.hincrby(metricsKey(minute), f, n);
        pipeline.expire(metricsKey(minute), METRICS_TTL_S);
      }
      await pipeline.exec();
    },
    // Metrics are best effort: a lost batch is logged, never a failed request.
    (error, lost) => console.warn(JSON.stringify({ level: "warn", message: "request metrics not recorded", requests: lost.length, error: String(error) })),
    METRICS_WINDOW_MS,
    METRICS_BATCH_MAX,
  );
  batcher = { redis, batcher: b };
  return b;
}

/**
 * Records every request after it is answered, as per-minute counters in
 * Redis (batched per isolate) that GET /admin/metrics summarizes. Routes add
 * what only they know (surface, cache outcome, ranker, degraded codes, items
 * shown, clicks) with `c.set("metric", ...)`. The write never delays or
 * fails the response. (Workers Analytics Engine was the other candidate:
 * its local simulation cost tens of ms per data point here, and it cannot be
 * queried locally, so nothing could have read or tested it.)
 */
export function requestMetrics(): MiddlewareHandler<AppEnv> {
  return async function requestMetrics(c, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      const extra = c.get("metric") ?? {};
      const metric: RequestMetric = { ...extra, route: routeOf(c.req.routePath), status: c.res.status, waitMs: performance.now() - started };
      const redis = redisFromEnv(c.env);
      if (redis) {
        const fields = metricFields(metric);
        for (const [surface, n] of extra.clicks ?? []) fields.set(clickField(surface), n);
        const write = batcherFor(redis).add({ minute: Math.floor(Date.now() / 60_000), fields });
        if (write) c.executionCtx.waitUntil(write);
      }
    }
  };
}

/** The route pattern without a trailing slash; "unmatched" for a 404 of no route. */
function routeOf(path: string): string {
  if (!path || path === "/*" || path === "*") return "unmatched";
  return path.length > 1 ? path.replace(/\/$/, "") : path;
}
