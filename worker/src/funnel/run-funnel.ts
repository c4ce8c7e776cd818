import { probeLists, searchIvfPq } from "../../../shared/ann/ivfpq-search";
import { findItem, itemIdAt, type ItemTable } from "../../../shared/catalog/item-table";
import { type ContentModel, contentVector } from "../../../shared/embeddings/content-vector";
import { foldInUser } from "../../../shared/embeddings/fold-in";
import { type PopularItem } from "../../../shared/index-format/popular";
import { type Candidate, type ItemFacts, type Source, type UserContext } from "../../../shared/ranking/candidate";
import { annResultsWanted, UNCALIBRATED_ANN_KNOBS } from "../../../shared/ranking/ann-request";
import { weightedHistory } from "../../../shared/ranking/history";
import { DEFAULT_LIGHT_WEIGHTS, lightScores, WARM_LIGHT_WEIGHTS } from "../../../shared/ranking/light-rank";
import { mergeCandidates, type SourceProposal } from "../../../shared/ranking/merge-candidates";
import { DEFAULT_POLICY } from "../../../shared/ranking/policy/policy-config";
import { featureRows } from "../../../shared/ranking/features";
import { impressionCountsOf } from "../../../shared/ranking/impression-table";
import { RANKER_BLOBS } from "../../../shared/ranking/onnx-ranker";
import { rerank } from "../../../shared/ranking/policy/rerank";
import { type RankedEntry } from "../../../shared/ranking/ranked-list";
import { categoryItems, covisitItems, popularItems } from "../../../shared/ranking/sources";
import { type AnnHead, annIdNamer, fetchLists, loadAnnHead } from "../ann/ann-store";
import { type CatalogFacts } from "../catalog/d1-catalog";
import { catalogOverlay, OVERLAY_FRESH_ROWS } from "../catalog/catalog-overlay";
import { factsOf, visibleItems } from "./catalog-view";
import { workerdKernel } from "../ann/workerd-kernel";
import { type ServerTiming } from "../http/server-timing";
import { type LoadedIndex } from "../index-store/index-cache";
import { redisFromEnv } from "../redis/redis-client";
import { readTrending, DEFAULT_TRENDING } from "../redis/trending";
import { heavyRank, rankerFailed, rankerReady, warmRanker } from "../ranker/heavy-rank";
import { type LoadedRanker, loadRanker } from "../ranker/load-ranker";
import { type SessionSnapshot } from "../session/user-session";
import { budgetedRead, withBudget } from "./budget";
import { Memo } from "./memo";
import { editorialFor, policyFor } from "./config-store";
import { covisitOfRows, type FunnelHead, loadFunnelHead, vectorsOfRows } from "./funnel-store";

export type Surface = "home" | "up_next" | "related";

export interface FunnelRequest {
  userId: string;
  surface: Surface;
  /** The item being consumed (up_next) or viewed (related). */
  contextItemId: string | null;
  /** Restrict the list to one category. */
  category: string | null;
  excludeIds: readonly string[];
  region: string;
  /** Length of the ranked list (pages are cut from it). */
  listSize: number;
}

export interface FunnelResult {
  /** Available in the caller's region, in shown order. */
  entries: RankedEntry[];
  degraded: string[];
  /** Which scores ordered the list: the ONNX model's, or the light ranker's. */
  ranker: "heavy" | "light";
}

const absent = Promise.resolve({ ok: true as const, value: null });

/** How many candidates each source may contribute. */
const QUOTA = { ann: 150, covisit: 100, context: 100, trending: 50, content: 60, fresh: 10, editorial: 20, popular: 100 };
/** Wall-clock budgets (ms) of the stages that wait on I/O. */
const BUDGET = { data: 1500, vectors: 300, ann: 300, trending: 150, overlay: 300, editorial: 100, titles: 200, heavy: 100 };
/** Candidates the heavy ranker scores (the light ranker's best); the rest follow in light order. */
const HEAVY_N = 100;

/**
 * The serving funnel: candidate sources in parallel, each under a quota and
 * a budget; merge with provenance; filters; light ranking; policy
 * re-ranking with exploration; titles and reasons. Every failing stage is
 * skipped and named in `degraded`; the popular list always stands behind.
 */
export async function runFunnel(
  env: Env,
  req: FunnelRequest,
  session: SessionSnapshot,
  index: LoadedIndex,
  timing: ServerTiming,
  random: () => number,
  /** Keeps background work (warming ORT) alive after the response. */
  defer: (work: Promise<unknown>) => void,
): Promise<FunnelResult> {
  const kv = env.INDEX_KV;
  const degraded: string[] = [...index.degraded];
  const note = <T>(r: { ok: true; value: T } | { ok: false; degraded: string }): T | null => {
    if (r.ok) return r.value;
    degraded.push(r.degraded);
    return null;
  };
  const unwrap = <T extends object>(v: T | { degraded: string } | null): T | null => {
    if (v && "degraded" in v) {
      degraded.push(v.degraded);
      return null;
    }
    return v;
  };

  const [funnelRead, annRead, policyRead, rankerRead, overlayRead] = await timing.measure("data", () =>
    Promise.all([
      // An index built without these sections is smaller, not degraded.
      index.manifest.funnel ? withBudget("funnel_data", BUDGET.data, () => loadFunnelHead(kv, index.manifest)) : absent,
      index.manifest.ann ? withBudget("ann_data", BUDGET.data, () => loadAnnHead(kv, index.manifest)) : absent,
      withBudget("policy_config", BUDGET.editorial, () => policyFor(kv, req.surface)),
      index.manifest.blobs[RANKER_BLOBS.model] ? withBudget("ranker_data", BUDGET.data, () => loadRanker(kv, index.manifest)) : absent,
      withBudget("catalog_overlay", BUDGET.overlay, () => catalogOverlay(env.DB, index.version, index.publishedAtMs, OVERLAY_FRESH_ROWS, defer)),
    ]),
  );
  const overlay = note(overlayRead);
  const ranker = unwrap(note(rankerRead));
  const head = unwrap(note(funnelRead));
  const ann = unwrap(note(annRead));
  const policy = note(policyRead) ?? DEFAULT_POLICY;

  // History and context as item-table rows.
  const history = head
    ? weightedHistory(session.recentEvents).flatMap((h) => {
        const row = findItem(head.table, h.itemId);
        return row < 0 ? [] : [{ ...h, row }];
      })
    : [];
  const contextRow = head && req.contextItemId ? findItem(head.table, req.contextItemId) : -1;

  const [query, covisit] = head
    ? await timing.measure("session_data", () =>
        Promise.all([
          queryVector(kv, index, head, req, history, contextRow, degraded),
          covisitRows(kv, index, head, [...(req.surface === "home" ? history.map((h) => h.row) : []), ...(contextRow >= 0 ? [contextRow] : [])], degraded),
        ]),
      )
    : [null, null];

  const proposals = await timing.measure("sources", () =>
    Promise.all([
      annSource(kv, index, ann, head?.table ?? null, query, session.seenItemIds.length, degraded),
      Promise.resolve(
        head && covisit && history.length > 0 && req.surface === "home"
          ? { source: "covisit" as const, quota: QUOTA.covisit, items: covisitItems(covisit, history, (r) => itemIdAt(head.table, r), QUOTA.covisit) }
          : null,
      ),
      Promise.resolve(
        head && covisit && contextRow >= 0
          ? {
              source: "context" as const,
              quota: QUOTA.context,
              items: covisitItems(covisit, [{ row: contextRow, itemId: req.contextItemId!, weight: 1 }], (r) => itemIdAt(head.table, r), QUOTA.context),
            }
          : null,
      ),
      trendingSource(env, req.region, degraded),
      Promise.resolve(contentSource(index, session)),
      withBudget("editorial", BUDGET.editorial, () => editorialFor(kv, req.surface, req.region)).then((r) => note(r)),
    ]),
  );
  const [annP, covisitP, contextP, trendingP, contentP, editorial] = proposals;
  // Fresh: catalog items the index does not hold yet, shown in the caller's region.
  const fresh = (overlay?.fresh ?? []).filter((f) => f.available && !f.blockedRegions.includes(req.region) && !(head && findItem(head.table, f.itemId) >= 0));
  const all: SourceProposal[] = [];
  for (const p of [contextP, annP, covisitP, trendingP, contentP]) if (p) all.push(p);
  if (fresh.length) all.push({ source: "fresh", quota: QUOTA.fresh, items: freshItemsFor(fresh, head?.content ?? null, query) });
  if (editorial?.length) all.push({ source: "editorial", quota: QUOTA.editorial, items: editorial.map((itemId, i) => ({ itemId, score: editorial.length - i })) });
  all.push({ source: "popular", quota: QUOTA.popular, items: popularItems(index.popular, index.manifest.fallbackItemIds, QUOTA.popular) });
  if (!index.popular) degraded.push("popular_fallback_list");

  const exclude = new Set([...session.seenItemIds, ...req.excludeIds, ...(req.contextItemId ? [req.contextItemId] : [])]);
  const overlayRows: ReadonlyMap<string, CatalogFacts> = overlay?.rows ?? new Map();
  const facts = new Map<string, ItemFacts>();
  const popularById = popularIndex(index);
  const candidates = timing.measureSync("merge", () =>
    mergeCandidates(all, exclude).filter((c) => {
      const f = factsOf(c, head, overlayRows, req.region, popularById);
      if (f) facts.set(c.itemId, f);
      if (f && !f.available) return false;
      return req.category === null || (f?.categories.includes(req.category) ?? false);
    }),
  );

  const impressionCounts = impressionCountsOf(session.impressions, candidates.map((c) => c.itemId));
  const user: UserContext = {
    affinities: Object.fromEntries(session.affinities.map((a) => [a.category, a.score])),
    declaredCategories: session.profile.categories,
    historyLength: history.length,
    impressionCounts,
    surface: req.surface,
    nowMs: Date.now(),
  };
  // With a user (or context) vector the ANN score leads; without one, sources and declared interests do.
  // The index's own weights (chosen on its validation data) when it ships them.
  const warm = index.manifest.ranking?.light ?? WARM_LIGHT_WEIGHTS;
  const light = timing.measureSync("light_rank", () => lightScores(candidates, facts, user, query ? warm : DEFAULT_LIGHT_WEIGHTS));
  // The model learned from users with a history; a cold start stays with the light ranker,
  // whose declared-category weight is what such a user has to go on.
  const heavy =
    ranker && history.length > 0
      ? await timing.measure("heavy_rank", () => heavyScores(ranker, candidates, light, facts, user, degraded, defer))
      : null;
  const placed = timing.measureSync("policy", () => rerank(candidates, heavy ?? light, facts, impressionCounts, policy, req.listSize, random));

  const placedIds = placed.map((p) => p.candidate.itemId);
  const visible = note(
    await timing.measure("availability", () => withBudget("availability", BUDGET.titles, () => visibleItems(env.DB, head, overlay, placedIds, req.region))),
  );
  const interests = new Set([...session.affinities.filter((a) => a.score > 0).map((a) => a.category), ...session.profile.categories]);
  const entries: RankedEntry[] = placed
    .filter((p) => visible?.has(p.candidate.itemId) ?? true)
    .map((p) => ({
      itemId: p.candidate.itemId,
      score: Math.round(p.score * 1e6) / 1e6,
      sources: Object.keys(p.candidate.sources) as Source[],
      ...(p.candidate.becauseOf ? { becauseOf: p.candidate.becauseOf } : {}),
      explored: p.explored,
      propensity: Math.round(p.propensity * 1e6) / 1e6,
      interests: (facts.get(p.candidate.itemId)?.categories ?? []).filter((c) => interests.has(c)),
    }));
  return { entries, degraded: [...new Set(degraded)].sort(), ranker: heavy ? "heavy" : "light" };
}

/**
 * The ONNX model's scores for the light ranker's best HEAVY_N candidates;
 * the others keep their light order below them. On an isolate where ORT is
 * not ready yet, loading starts in the background and the light scores
 * stand (null), as they do when ORT fails or runs past its budget; each case
 * is named in `degraded`.
 */
async function heavyScores(
  ranker: LoadedRanker,
  candidates: readonly Candidate[],
  light: Float64Array,
  facts: ReadonlyMap<string, ItemFacts>,
  user: UserContext,
  degraded: string[],
  defer: (work: Promise<unknown>) => void,
): Promise<Float64Array | null> {
  if (candidates.length === 0) return null;
  if (rankerFailed(ranker.modelSha256)) {
    degraded.push("heavy_ranker_error");
    return null;
  }
  if (!rankerReady(ranker.modelSha256)) {
    defer(warmRanker(ranker.modelBytes, ranker.modelSha256));
    degraded.push("heavy_ranker_warming");
    return null;
  }
  const order = Array.from(light.keys()).sort((a, b) => light[b]! - light[a]!);
  const top = order.slice(0, HEAVY_N);
  const rows = featureRows(top.map((i) => candidates[i]!), (id) => facts.get(id) ?? null, user);
  const scored = await withBudget("heavy_rank", BUDGET.heavy, () => heavyRank(ranker.modelBytes, rows, top.length, ranker.modelSha256));
  if (!scored.ok) {
    degraded.push(scored.degraded);
    return null;
  }
  // The rest go just below the lowest model score, keeping their light order: placing them
  // far below would compress the top's relevance range that MMR normalizes over.
  let floor = Infinity;
  for (let k = 0; k < top.length; k++) floor = Math.min(floor, scored.value[k]!);
  const out = new Float64Array(candidates.length);
  order.forEach((i, rank) => (out[i] = rank < top.length ? scored.value[rank]! : floor - 1e-3 - rank * 1e-6));
  return out;
}

/** The user's folded-in vector (home) or the context item's vector (up next, related); null for a cold start. */
async function queryVector(
  kv: KVNamespace,
  index: LoadedIndex,
  head: FunnelHead,
  req: FunnelRequest,
  history: readonly { row: number; weight: number }[],
  contextRow: number,
  degraded: string[],
): Promise<Float32Array | null> {
  const rows = req.surface === "home" ? history.map((h) => h.row) : contextRow >= 0 ? [contextRow] : [];
  if (rows.length === 0) return null;
  const read = await budgetedRead("vectors", BUDGET.vectors, degraded, () => vectorsOfRows(kv, index.manifest, head, rows));
  if (!read) return null;
  const { vectors } = read;
  if (req.surface !== "home") return vectors.get(contextRow) ?? null;
  // A compact model over the history items only: fold-in reads just their rows;
  // `itemCount` keeps the frequency-scaled regularization that of the full model.
  const d = head.foldIn.dims;
  const present = history.filter((h) => vectors.has(h.row));
  const itemVectors = new Float32Array(present.length * d);
  present.forEach((h, i) => itemVectors.set(vectors.get(h.row)!, i * d));
  return foldInUser({ ...head.foldIn, itemVectors }, present.map((h, i) => ({ item: i, weight: h.weight })));
}

/**
 * New catalog items, newest first; with a user (or context) vector and the
 * index's content model, ordered by how well each item's content vector
 * matches it instead, so a new item reaches the users it suits.
 */
function freshItemsFor(fresh: readonly CatalogFacts[], content: ContentModel | null, query: Float32Array | null): SourceProposal["items"] {
  if (!content || !query || query.length !== content.dims) return fresh.map((f, i) => ({ itemId: f.itemId, score: fresh.length - i }));
  const v = new Float32Array(content.dims);
  return fresh
    .map((f) => {
      contentVector(content, f, v);
      let dot = 0;
      for (let k = 0; k < v.length; k++) dot += v[k]! * query[k]!;
      return { itemId: f.itemId, score: dot };
    })
    .sort((a, b) => b.score - a.score);
}

async function covisitRows(
  kv: KVNamespace,
  index: LoadedIndex,
  head: FunnelHead,
  rows: number[],
  degraded: string[],
): Promise<((row: number) => { items: Uint32Array; scores: Float32Array }) | null> {
  if (rows.length === 0) return null;
  const read = await budgetedRead("covisit", BUDGET.vectors, degraded, () => covisitOfRows(kv, index.manifest, head, rows));
  return read?.neighborsOf ?? null;
}

async function annSource(
  kv: KVNamespace,
  index: LoadedIndex,
  ann: AnnHead | null,
  table: ItemTable | null,
  query: Float32Array | null,
  seenCount: number,
  degraded: string[],
): Promise<SourceProposal | null> {
  if (!ann || !query || query.length !== ann.section.dims) return null;
  const idOf = annIdNamer(ann, table);
  if (!idOf) {
    degraded.push("ann_ids_unavailable");
    return null;
  }
  const result = await withBudget("ann", BUDGET.ann, async () => {
    const kernel = workerdKernel();
    const knobs = ann.section.calibration ?? UNCALIBRATED_ANN_KNOBS;
    const nprobe = Math.min(knobs.nprobe, ann.section.nlist);
    const probed = probeLists(kernel, ann.head, query, nprobe);
    const fetched = await fetchLists(kv, index.manifest, ann.section, probed.lists);
    degraded.push(...fetched.degraded);
    // Seen items are dropped when sources merge; ask for that many more so the quota holds unseen ones.
    const k = annResultsWanted(QUOTA.ann, seenCount);
    const found = searchIvfPq(kernel, ann.head, fetched.source, query, { k, nprobe, shortlist: Math.max(knobs.shortlist, k) }, probed);
    return Array.from(found.ids, (id, i) => ({ itemId: idOf(id), score: found.scores[i]! }));
  });
  if (!result.ok) {
    degraded.push(result.degraded);
    return null;
  }
  return { source: "ann", quota: QUOTA.ann, items: result.value };
}

/** Trending lists change by the hour; each isolate reads a region's at most every 30 s. */
const trendingMemo = new Memo<{ itemId: string; score: number }[]>(30_000, 64);

async function trendingSource(env: Env, region: string, degraded: string[]): Promise<SourceProposal | null> {
  const redis = redisFromEnv(env);
  if (!redis) return null;
  const memo = trendingMemo.get(region);
  if (memo) return { source: "trending", quota: QUOTA.trending, items: memo };
  const result = await withBudget("trending", BUDGET.trending, () => readTrending(redis, region, Date.now(), { ...DEFAULT_TRENDING, limit: QUOTA.trending }));
  if (!result.ok) {
    degraded.push(result.degraded);
    return null;
  }
  trendingMemo.set(region, result.value);
  return { source: "trending", quota: QUOTA.trending, items: result.value };
}

/** Popular items of the user's strongest positive affinities, or of the declared categories for a cold start. */
function contentSource(index: LoadedIndex, session: SessionSnapshot): SourceProposal | null {
  if (!index.popular) return null;
  const learned = session.affinities.filter((a) => a.score > 0).slice(0, 3).map((a) => ({ category: a.category, weight: a.score }));
  const categories = learned.length > 0 ? learned : session.profile.categories.map((category) => ({ category, weight: 1 }));
  if (categories.length === 0) return null;
  return { source: "content", quota: QUOTA.content, items: categoryItems(index.popular, categories, QUOTA.content) };
}

const popularIndexes = new WeakMap<LoadedIndex, Map<string, PopularItem>>();

/** The popular blob's items by id, built once per loaded version. */
function popularIndex(index: LoadedIndex): Map<string, PopularItem> {
  let map = popularIndexes.get(index);
  if (!map) {
    map = new Map((index.popular?.items ?? []).map((x) => [x.itemId, x]));
    popularIndexes.set(index, map);
  }
  return map;
}
