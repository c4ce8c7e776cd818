import { Hono } from "hono";
import { shownIn } from "../../../shared/catalog/catalog-item";
import { createMiddleware } from "hono/factory";
import { type Assignment } from "../../../shared/experiments/assignment";
import { variantKnobs } from "../../../shared/experiments/variant-knobs";
import { AppError } from "../../../shared/errors";
import { cursorFitsList, encodeCursor, listFingerprint } from "../../../shared/ranking/page-cursor";
import { cutPage, decodeRankedList, encodeRankedList, type RankedList } from "../../../shared/ranking/ranked-list";
import { catalogOverlay, OVERLAY_FRESH_ROWS } from "../catalog/catalog-overlay";
import { type RecommendedItem } from "../../../shared/ranking/recommended-item";
import { type Budgeted, withBudget } from "../../../shared/funnel/budget";
import { renderPage } from "../render/render-page";
import { type ItemLookup } from "../../../shared/catalog/item-lookup";
import { runFunnel, wholeAnswer } from "../../../shared/funnel/run-funnel";
import { funnelSession } from "../../../shared/funnel/session";
import { workerFunnelPorts } from "../funnel/worker-ports";
import { requireUser } from "../auth/acting-user";
import { type AppEnv } from "../http/app-env";
import { type RecommendationQuery, recommendationsQuery, recommendationsQueryError } from "../http/schemas/recommendations";
import { validQuery } from "../http/schemas/validate";
import { CACHE_TTL_S, cachedList, heldList, listCacheKey, rememberList } from "../list-cache/list-cache";
import { readConfigSnapshot } from "../config/config-store";
import { STAGE_BUDGET_MS } from "../../../shared/funnel/knobs";
import { requestRegion } from "../experiments/request-region";
import { ServerTiming } from "../http/server-timing";
import { countKvReads } from "../http/count-kv-reads";
import { reportIsolateMemory } from "../http/report-isolate-memory";
import { type LoadedIndex, loadCurrentIndex, loadIndexVersion, warmCurrentIndex } from "../index-store/index-cache";
import { assignUser, type UserExposure } from "../experiments/assign-user";
import { decisionSnapshots, type DecisionInputsSeen } from "../experiments/decision-snapshots";
import { type ListDecision, listDecision } from "../../../shared/experiments/exposure";
import { explorationRandom } from "../../../shared/ranking/policy/exploration";
import { impressionTotal } from "../../../shared/ranking/impression-table";
import { countErrors, type ExposureAssignment, type ImpressionRecord, queueImpression } from "../redis/impressions";
import { redisFromEnv } from "../redis/redis-client";
import { requeueImpressions } from "../session/requeue-impressions";
import { sessionStub } from "../session/session-stub";
import { EMPTY_SESSION, type SessionSnapshot } from "../session/user-session";

/** Items ranked per list; pages are cut from it. */
const LIST_SIZE = 100;
/** Wall-clock budget of the catalog overlay read that every page is checked against (usually the isolate's memo). */
const OVERLAY_BUDGET_MS = 300;
/** The session is one Durable Object call; past this the user is served cold. */
const SESSION_BUDGET_MS = 500;
/** Each request's assignments, for counting its failure against them (the error-share guardrail). */
const assignedTo = new WeakMap<Request, Assignment[]>();

const countFailures = createMiddleware<AppEnv>(async function countFailures(c, next) {
  await next();
  const assignments = assignedTo.get(c.req.raw);
  const redis = redisFromEnv(c.env);
  if (c.error && redis && assignments && assignments.length > 0) {
    c.executionCtx.waitUntil(
      countErrors(redis, assignments).catch((err) =>
        console.warn(JSON.stringify({ level: "warn", message: "error guardrail not counted", error: String(err) })),
      ),
    );
  }
});

export type { RecommendationQuery };

const validatedQuery = validQuery(recommendationsQuery, recommendationsQueryError);

/**
 * GET /v1/recommendations: cache-first, then the funnel. The cache key holds
 * everything the list depends on but the session version, which the cached
 * list carries and must match, so a new event is never answered from a stale
 * list. A list this isolate holds needs only the version from the session;
 * otherwise the session is read, and then the Cache API when the session
 * says a list was stored under this key at the version wanted.
 */
export const recommendations = new Hono<AppEnv>().use(countFailures, countKvReads, reportIsolateMemory).get("/", validatedQuery, async (c) => {
  const query = c.req.valid("query");
  // Only the user's own token (or a server's secret key) reads their list, and so records its impressions.
  requireUser(c, query.userId);
  const timing = new ServerTiming();
  const startedAtMs = Date.now();
  const region = requestRegion(c.env, c.req.raw, c.get("caller"));
  // A cold isolate reads the current version while the experiments are assigned.
  warmCurrentIndex(c.env.INDEX_KV);
  // The policy and editorial lists the list is made under (the isolate's copy, read again every 30 s): their stamp keys the cache.
  const configRead = withBudget("policy_config", STAGE_BUDGET_MS.config, () => readConfigSnapshot(c.env.INDEX_KV));
  const exposure = await timing.measure("experiments", () => assignUser(c.env, query.userId, query.surface, region, (work) => c.executionCtx.waitUntil(work)));
  assignedTo.set(c.req.raw, exposure.assignments);
  const { index, degraded: indexDegraded } = await timing.measure("index", () => servedIndex(c.env.INDEX_KV, exposure));
  if (!index) throw new AppError("index_not_published", "no index has been published yet; run the index builder's publish");
  const configured = await configRead;
  const config = configured.ok ? configured.value : null;
  // Without the config's stamp no cached list is known to be current: the list is made afresh and not stored.
  const cacheKey = listCacheKey(query, region, exposure.label, index.version, config?.stamp ?? "unread");
  // A paging session stays on the list it started with; when that list is gone (the version moved, as in a
  // rollback, or it was recomputed mid-paging), a new list is computed without what the session already showed.
  const cursor = query.cursor && query.cursor.indexVersion === index.version ? query.cursor : null;
  const continues = (list: RankedList | null): list is RankedList =>
    list !== null &&
    (!query.cursor ||
      (cursor !== null &&
        cursorFitsList(
          cursor,
          listFingerprint(
            list.indexVersion,
            list.entries.map((e) => e.itemId),
          ),
        )));
  const stub = sessionStub(c.env, query.userId);
  const memoized = config ? heldList(cacheKey.url) : undefined;
  let hit: RankedList | undefined;
  let sessionRead: Budgeted<SessionSnapshot> | null = null;
  let currentVersion = 0;
  if (memoized) {
    // This isolate holds the list: the session version is all it needs to know it is current.
    const version = await timing.measure("session", () => withBudget("session", SESSION_BUDGET_MS, () => stub.version()));
    if (version.ok && memoized.sessionVersion === (cursor ? cursor.sessionVersion : version.value)) {
      const held = decodeRankedList(memoized.text);
      if (continues(held)) hit = held;
      currentVersion = version.value;
    }
  }
  if (!hit) {
    // The Cache API is asked only for a list the session says was stored under this key at the
    // version wanted: the key leaves the session version out, and a lookup known to miss is skipped.
    const read = await timing.measure("session", () => withBudget("session", SESSION_BUDGET_MS, () => stub.snapshot(query.cursor?.startedMs)));
    sessionRead = read;
    currentVersion = read.ok ? read.value.sessionVersion : 0;
    const wanted = cursor ? cursor.sessionVersion : currentVersion;
    if (config && read.ok && read.value.cachedLists[cacheKey.url] === wanted) {
      const text = await timing.measure("cache", () => cachedList(caches.default, cacheKey));
      const cached = text === undefined ? null : decodeRankedList(text);
      if (text !== undefined && cached?.sessionVersion === wanted && continues(cached)) {
        hit = cached;
        rememberList(cacheKey.url, text, wanted);
      }
    }
  }
  // Without the session the user is served as a cold start, uncached, and the response says so.
  const session = sessionRead?.ok ? sessionRead.value : EMPTY_SESSION;
  const defer = (work: Promise<unknown>) => c.executionCtx.waitUntil(work);
  let list: RankedList;
  let offset = cursor?.offset ?? 0;
  const startedMs = cursor?.startedMs ?? Date.now();
  /** The funnel's view of the item table when this request ran it: the rows of the page's items, for their titles. */
  let funnelTable: ItemLookup | null = null;
  if (hit) {
    list = hit;
  } else {
    // A list recomputed mid-paging leaves out what this paging session already showed.
    const shownBefore = query.cursor ? session.shownSince : [];
    if (query.cursor) offset = 0;
    // Where Cloudflare does not say where the caller is, the region the user declared picks the regional
    // sources (trending, editorial) and the region blocks. A profile change moves the session version.
    const listRegion = region === "global" && session.profile.region ? session.profile.region.toLowerCase() : region;
    const random = explorationRandom(query.userId, query.surface, index.version, session.sessionVersion);
    const seen: DecisionInputsSeen = { trendingAsOfMs: null };
    const request = { ...query, excludeIds: [...query.excludeIds, ...shownBefore], region: listRegion, listSize: LIST_SIZE, nowMs: Date.now() };
    const knobs = variantKnobs(exposure.overrides);
    const ports = workerFunnelPorts(c.env, index, timing, defer, seen, (view) => (funnelTable = view), config);
    const result = await runFunnel(ports, request, funnelSession(session), knobs, random);
    const snapshots = await decisionSnapshots(redisFromEnv(c.env), seen, defer);
    list = {
      indexVersion: index.version,
      sessionVersion: session.sessionVersion,
      region: listRegion,
      entries: result.entries,
      titles: {},
      degraded: sessionRead && !sessionRead.ok ? [sessionRead.degraded, ...result.degraded] : result.degraded,
      ranker: result.ranker,
      decision: {
        atMs: request.nowMs,
        trendingAsOfMs: seen.trendingAsOfMs,
        exploration: result.exploration,
        excludeIds: request.excludeIds,
        shownTotal: impressionTotal(session.impressions),
        profileCategories: [...session.profile.categories],
        knobs: { ...knobs, policy: result.inputs.policy, exploration: result.exploration },
        editorial: result.inputs.editorial,
        overlayRows: result.inputs.overlayRows,
        ...snapshots,
      },
    };
  }

  // Every page, cached or not, is checked against the catalog overlay: a withdrawal or a region block
  // reaches lists made before it within the overlay's refresh interval.
  const overlay = await timing.measure("overlay", () =>
    withBudget("catalog_overlay", OVERLAY_BUDGET_MS, () => catalogOverlay(c.env.DB, index.version, index.publishedAtMs, OVERLAY_FRESH_ROWS, defer)),
  );
  const restricted = (itemId: string) => {
    const row = overlay.ok ? overlay.value.rows.get(itemId) : undefined;
    return row !== undefined && !shownIn(row, list.region);
  };
  const { page: shown, positions, next } = cutPage(list.entries, offset, query.limit, restricted);
  const rendered = await renderPage(
    c.env,
    index,
    shown,
    offset + 1,
    { region: list.region, contextItemId: query.contextItemId },
    { titles: list.titles, table: funnelTable },
    timing,
    defer,
  );
  const pageDegraded = [...rendered.degraded, ...(overlay.ok ? (overlay.value.stale ? ["catalog_overlay_stale"] : []) : [overlay.degraded])];
  // A new list is cached with its first page's titles, so a repeat reads none; degraded answers are not cached.
  let storedList: { key: string; sessionVersion: number } | undefined;
  if (config && !hit && wholeAnswer(list.degraded) && pageDegraded.length === 0 && !query.cursor) {
    const stored = encodeRankedList({ ...list, titles: rendered.titles });
    c.executionCtx.waitUntil(
      caches.default.put(cacheKey, new Response(stored, { headers: { "Content-Type": "application/json", "Cache-Control": `max-age=${CACHE_TTL_S}` } })),
    );
    rememberList(cacheKey.url, stored, list.sessionVersion);
    storedList = { key: cacheKey.url, sessionVersion: list.sessionVersion };
  }
  const page = rendered.items;
  const nextCursor =
    next < list.entries.length
      ? encodeCursor({
          offset: next,
          sessionVersion: list.sessionVersion,
          indexVersion: list.indexVersion,
          startedMs,
          listId: listFingerprint(
            list.indexVersion,
            list.entries.map((e) => e.itemId),
          ),
        })
      : null;
  // Every showing is its own impression, cached list or not.
  const impressionId = crypto.randomUUID();
  const degraded = [...new Set([...list.degraded, ...pageDegraded, ...exposure.degraded, ...indexDegraded])].sort();
  const showing: Showing = {
    impressionId,
    region,
    indexVersion: list.indexVersion,
    ranker: list.ranker,
    exposure,
    serverMs: Date.now() - startedAtMs,
    degraded: degraded.length > 0,
    exploration: list.decision?.exploration ?? null,
    decision: list.decision
      ? listDecision(list.decision, list.sessionVersion, { listSize: LIST_SIZE, positions, cached: hit !== undefined, category: query.category })
      : undefined,
  };
  // The cap the list was made under (its decision holds the policy the funnel resolved): reaching it moves
  // the session version, and cached lists with it go.
  const frequencyCap = list.decision?.knobs.policy.frequencyCap ?? 0;
  c.executionCtx.waitUntil(recordShowing(c.env, query, page, showing, storedList, frequencyCap, defer));
  const first = exposure.assignments[0];
  c.set("metric", { surface: query.surface, cache: hit ? "hit" : "miss", ranker: list.ranker, degraded, shown: page.length });
  return c.json(
    {
      userId: query.userId,
      surface: query.surface,
      contextItemId: query.contextItemId,
      region: list.region,
      indexVersion: list.indexVersion,
      sessionVersion: currentVersion,
      experiment: first?.experimentId ?? null,
      variant: first?.variant ?? exposure.label,
      experiments: exposure.assignments.map((a) => ({ experiment: a.experimentId, variant: a.variant })),
      impressionId,
      items: page,
      nextCursor,
      ranker: list.ranker,
      degraded,
    },
    200,
    { "Cache-Control": "private, no-store", "X-Cache": hit ? "hit" : "miss", "Server-Timing": timing.header() },
  );
});

/** The index a request is served from: the one its variant pins (per-region routing, the publication canary), else the current one. */
async function servedIndex(kv: KVNamespace, exposure: UserExposure): Promise<{ index: LoadedIndex | null; degraded: string[] }> {
  const pinned = exposure.overrides.indexVersion;
  if (pinned) {
    const index = await loadIndexVersion(kv, pinned);
    if (index) return { index, degraded: [] };
    // A routed version that vanished (collected after the experiment started): the current one serves, and says so.
    console.warn(JSON.stringify({ level: "warn", message: "experiment index version missing", version: pinned }));
    return { index: await loadCurrentIndex(kv), degraded: ["experiment_index_missing"] };
  }
  return { index: await loadCurrentIndex(kv), degraded: [] };
}

/** What the exposure log records of one showing besides the page. */
interface Showing {
  impressionId: string;
  region: string;
  indexVersion: string;
  ranker: string;
  exposure: UserExposure;
  serverMs: number;
  degraded: boolean;
  exploration: ImpressionRecord["exploration"];
  decision: ListDecision | undefined;
}

/**
 * Impression counts in the user's session (with the list just put in the
 * Cache API, if any), and the exposure (slate with positions, scores and
 * propensities; experiments and variants; guardrails) queued for the
 * isolate's next batched Redis write.
 */
async function recordShowing(
  env: Env,
  query: RecommendationQuery,
  page: RecommendedItem[],
  showing: Showing,
  storedList: { key: string; sessionVersion: number } | undefined,
  frequencyCap: number,
  keepAlive: (work: Promise<unknown>) => void,
) {
  const itemIds = page.map((i) => i.itemId);
  if (itemIds.length === 0 && !storedList) return;
  const redis = redisFromEnv(env);
  if (redis && itemIds.length > 0) {
    const experiments: ExposureAssignment[] = showing.exposure.assignments.map((a) => ({ experimentId: a.experimentId, variant: a.variant, region: a.region }));
    queueImpression(
      redis,
      {
        impressionId: showing.impressionId,
        userId: query.userId,
        variant: showing.exposure.label,
        region: showing.region,
        surface: query.surface,
        contextItemId: query.contextItemId,
        indexVersion: showing.indexVersion,
        ranker: showing.ranker,
        itemIds,
        ranks: page.map((i) => i.rank),
        scores: page.map((i) => i.score),
        propensities: page.map((i) => i.propensity ?? 1),
        exploration: showing.exploration,
        ...(showing.decision ? { decision: showing.decision } : {}),
        experiments,
        serverMs: showing.serverMs,
        degraded: showing.degraded,
      },
      keepAlive,
      (records) => requeueImpressions(env, records),
    );
  }
  try {
    await sessionStub(env, query.userId).recordImpressions(itemIds, storedList, frequencyCap);
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", message: "impression counts not recorded", error: String(err) }));
  }
}
