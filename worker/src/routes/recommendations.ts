import { Hono } from "hono";
import { AppError } from "../../../shared/errors";
import { isValidId } from "../../../shared/ids";
import { popularCandidates } from "../../../shared/ranking/popular-candidates";
import { type AppEnv } from "../http/app-env";
import { ServerTiming } from "../http/server-timing";
import { type RecommendedItem } from "../../../shared/ranking/recommended-item";
import { regionOf } from "../http/region";
import { loadCurrentIndex } from "../index-store/index-cache";
import { recordImpression } from "../redis/impressions";
import { redisFromEnv } from "../redis/redis-client";
import { sessionStub } from "../session/session-stub";

export const SURFACES = ["home"] as const;
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
/** Until experiments land, every user is in this variant. */
const DEFAULT_VARIANT = "default";
/** How long a computed list may be served from the Cache API. */
const CACHE_TTL_S = 300;

interface RecommendationQuery {
  userId: string;
  surface: (typeof SURFACES)[number];
  limit: number;
  category: string | null;
}

export const recommendations = new Hono<AppEnv>().get("/", async (c) => {
  const query = parseQuery(new URL(c.req.url).searchParams);
  const timing = new ServerTiming();
  const [session, index] = await Promise.all([
    timing.measure("session", () => sessionStub(c.env, query.userId).snapshot()),
    timing.measure("index", () => loadCurrentIndex(c.env.INDEX_KV)),
  ]);
  if (!index) throw new AppError("index_not_published", "no index has been published yet; run the index builder's publish");

  // Everything the answer depends on is in the key, the session version
  // included, so a user's new event is never answered from a stale list.
  const region = regionOf(c.req.raw);
  const cacheKey = new Request(
    `https://recs.cache/v1/recommendations?u=${encodeURIComponent(query.userId)}&s=${query.surface}` +
      `&l=${query.limit}&c=${encodeURIComponent(query.category ?? "")}&r=${region}&iv=${index.version}&sv=${session.sessionVersion}`,
  );
  const cache = caches.default;
  const hit = await timing.measure("cache", () => cache.match(cacheKey));
  let list: RecommendationList;
  if (hit) {
    list = await hit.json<RecommendationList>();
  } else {
    const result = await timing.measure("rank", async () =>
      popularCandidates({
        popular: index.popular,
        fallbackItemIds: index.manifest.fallbackItemIds,
        excludeItemIds: new Set(session.seenItemIds),
        category: query.category,
        limit: query.limit,
      }),
    );
    list = {
      userId: query.userId,
      surface: query.surface,
      region,
      indexVersion: index.version,
      sessionVersion: session.sessionVersion,
      items: result.items,
      degraded: [...index.degraded, ...result.degraded],
    };
    // Degraded answers are not cached: the next request should try again.
    if (list.degraded.length === 0) {
      const stored = new Response(JSON.stringify(list), {
        headers: { "Content-Type": "application/json", "Cache-Control": `max-age=${CACHE_TTL_S}` },
      });
      c.executionCtx.waitUntil(cache.put(cacheKey, stored));
    }
  }

  // Every showing is its own impression, cached list or not.
  const impressionId = crypto.randomUUID();
  c.executionCtx.waitUntil(recordShowing(c.env, query, list, impressionId));
  return c.json({ ...list, impressionId, variant: DEFAULT_VARIANT }, 200, {
    "Cache-Control": "private, no-store",
    "X-Cache": hit ? "hit" : "miss",
    "Server-Timing": timing.header(),
  });
});

/** The cacheable part of a response: everything but the impression id. */
interface RecommendationList {
  userId: string;
  surface: string;
  /** The caller's region (lower-case country, or "global"). */
  region: string;
  indexVersion: string;
  sessionVersion: number;
  items: RecommendedItem[];
  degraded: string[];
}

/** Impression counts in the user's session, and the impression record in Redis for attribution. */
async function recordShowing(env: Env, query: RecommendationQuery, list: RecommendationList, impressionId: string) {
  const itemIds = list.items.map((i) => i.itemId);
  if (itemIds.length === 0) return;
  const redis = redisFromEnv(env);
  const results = await Promise.allSettled([
    sessionStub(env, query.userId).recordImpressions(itemIds),
    redis
      ? recordImpression(redis, { impressionId, userId: query.userId, variant: DEFAULT_VARIANT, region: list.region, surface: query.surface, itemIds })
      : Promise.resolve(),
  ]);
  for (const r of results) {
    if (r.status === "rejected") console.warn(JSON.stringify({ level: "warn", message: "impression not recorded", error: String(r.reason) }));
  }
}

function parseQuery(params: URLSearchParams): RecommendationQuery {
  const userId = params.get("user_id");
  if (!isValidId(userId)) {
    throw new AppError("invalid_request", "user_id is required: 1-128 characters of A-Z a-z 0-9 _ . : @ -", { field: "user_id" });
  }
  const surface = params.get("surface") ?? "home";
  if (!(SURFACES as readonly string[]).includes(surface)) {
    throw new AppError("invalid_request", `surface must be one of: ${SURFACES.join(", ")}`, { field: "surface" });
  }
  const rawLimit = params.get("limit");
  const limit = rawLimit === null ? DEFAULT_LIMIT : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new AppError("invalid_request", `limit must be an integer from 1 to ${MAX_LIMIT}`, { field: "limit" });
  }
  const category = params.get("category");
  if (category !== null && (category.length === 0 || category.length > 64)) {
    throw new AppError("invalid_request", "category must be 1-64 characters", { field: "category" });
  }
  return { userId, surface: surface as RecommendationQuery["surface"], limit, category };
}
