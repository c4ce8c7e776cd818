import { categoriesOf } from "../catalog/item-lookup";
import { type Candidate, type ItemFacts, type Source, type UserContext } from "../ranking/candidate";
import { impressionCountsOf } from "../ranking/impression-table";
import { lightScores } from "../ranking/light-rank";
import { mergeCandidates, type SourceProposal } from "../ranking/merge-candidates";
import { DEFAULT_POLICY, type PolicyConfig } from "../ranking/policy/policy-config";
import { type AppliedExploration, type Exploration, explorationOf } from "../ranking/policy/exploration";
import { rerank, roundScore } from "../ranking/policy/rerank";
import { type RankedEntry } from "../ranking/ranked-list";
import { orderSource, type RankingOrder } from "../ranking/ranking-order";
import { type Budgeted, withBudget } from "./budget";
import { factsOf, knownVisible, popularById, visibleItems } from "./item-facts";
import { type FunnelKnobs, STAGE_BUDGET_MS } from "./knobs";
import { type CatalogView, type Fault, type FunnelHead, type FunnelPorts, type HeavyModel } from "./ports";
import { queryVector } from "./query-vector";
import { heavyScores, lightWeightsFor } from "./rank";
import { type FunnelSession } from "./session";
import { categoryGaps, covisitSignals } from "./session-signals";
import { annSource, contentSource, covisitSources, editorialSource, freshSource, popularSource, trendingSource } from "./sources";

export type Surface = "home" | "up_next" | "related";

export interface FunnelRequest {
  surface: Surface;
  /** The item being consumed (up_next) or viewed (related). */
  contextItemId: string | null;
  /** Restrict the list to one category. */
  category: string | null;
  excludeIds: readonly string[];
  region: string;
  /** Length of the ranked list (pages are cut from it). */
  listSize: number;
  /** The request's time (epoch ms): what recency features are measured from. */
  nowMs: number;
}

export interface FunnelResult {
  /** Available in the caller's region, in shown order. */
  entries: RankedEntry[];
  degraded: string[];
  /**
   * Which scores ordered the list: the heavy model's, the light ranker's, or
   * one source's own order (the index chose it on validation and ships it as
   * light weights, and this request used them).
   */
  ranker: RankingOrder;
  /** The exploration the policy ran (softmax: with its window's scores): what the exposure log records. */
  exploration: AppliedExploration;
  /** What the list was decided from beyond the index, the session and the request: what an exact replay needs logged. */
  inputs: FunnelInputs;
}

/** The configured and catalogue inputs of one run of the funnel. */
export interface FunnelInputs {
  /** The policy the list was re-ranked with: the surface's configured one under the request's knobs. */
  policy: PolicyConfig;
  /** The editorial list read for the surface and region. */
  editorial: string[];
  /** Catalogue rows the overlay held beyond the index (changed, restricted or fresh); 0: the index alone described the catalogue. */
  overlayRows: number;
}

/** One request's merged, filtered candidates and what ranking them needs. */
export interface Gathered {
  candidates: Candidate[];
  facts: Map<string, ItemFacts>;
  user: UserContext;
  /** The user (or context) vector; null for a cold start. */
  query: Float32Array | null;
  head: FunnelHead | null;
  overlay: CatalogView | null;
  policy: PolicyConfig;
  model: HeavyModel | null;
  degraded: string[];
  editorial: string[];
}

const absent = Promise.resolve({ ok: true as const, value: null });

/**
 * Codes that describe what the published index can do rather than a failure
 * of this request: the answer is whole for that index, and may be cached.
 */
export const INDEX_LIMITS: ReadonlySet<string> = new Set(["index_popular_only", "context_item_not_in_index"]);

/** Whether an answer with these degraded codes is whole (nothing failed) and so may be cached. */
export function wholeAnswer(degraded: readonly string[]): boolean {
  return degraded.every((code) => INDEX_LIMITS.has(code));
}

/**
 * The serving funnel: candidate sources in parallel, each under a quota and
 * a budget; merge with provenance; filters; light and heavy ranking; policy
 * re-ranking with exploration. Every failing stage is skipped and named in
 * `degraded`; the popular list always stands behind.
 */
export async function runFunnel(
  ports: FunnelPorts,
  req: FunnelRequest,
  session: FunnelSession,
  knobs: FunnelKnobs,
  random: () => number,
): Promise<FunnelResult> {
  const g = await gatherCandidates(ports, req, session, knobs);
  const scores = await rankCandidates(ports, g, session, knobs);
  const exploration = knobs.exploration ?? explorationOf(g.policy);
  const { entries, window } = await placeCandidates(ports, req, session, g, scores ?? g.light, random, exploration);
  const sourceOrder = ports.index.order && orderSource(ports.index.order) && g.query && !knobs.light ? ports.index.order : null;
  return {
    entries,
    degraded: [...new Set(g.degraded)].sort(),
    ranker: scores ? "heavy" : (sourceOrder ?? "light"),
    exploration: window ? { ...exploration, window } : exploration,
    inputs: { policy: g.policy, editorial: g.editorial, overlayRows: g.overlay ? g.overlay.rows.size + g.overlay.fresh.length : 0 },
  };
}

/** Sources, merge and filters: the candidates of one request with their facts, and the light scores. */
export async function gatherCandidates(
  ports: FunnelPorts,
  req: FunnelRequest,
  session: FunnelSession,
  knobs: FunnelKnobs,
): Promise<Gathered & { light: Float64Array }> {
  const { index, timing } = ports;
  const degraded: string[] = [...index.degraded];
  const note = <T>(r: Budgeted<T>): T | null => {
    if (r.ok) return r.value;
    degraded.push(r.degraded);
    return null;
  };
  const usable = <T extends object>(v: T | Fault | null): T | null => {
    if (v && "degraded" in v) {
      degraded.push(v.degraded);
      return null;
    }
    return v;
  };
  // The index's validation decides whether its heavy model serves (ranking.order); absent, a shipped model does.
  const order = index.order;
  const ranker = knobs.heavy && (order === null || order === "heavy") ? ports.ranker : null;
  const [headRead, annRead, policyRead, modelRead, overlayRead] = await timing.measure("data", () =>
    Promise.all([
      withBudget("funnel_data", STAGE_BUDGET_MS.data, () => index.funnelHead()),
      withBudget("ann_data", STAGE_BUDGET_MS.data, () => index.annHead()),
      withBudget("policy_config", STAGE_BUDGET_MS.config, () => ports.config.policy(req.surface)),
      ranker ? withBudget("ranker_data", STAGE_BUDGET_MS.data, () => ranker.load()) : absent,
      withBudget("catalog_overlay", STAGE_BUDGET_MS.overlay, () => ports.catalog.overlay()),
    ]),
  );
  const overlay = note(overlayRead);
  const model = usable(note(modelRead));
  const sharedHead = usable(note(headRead));
  // This request's own view of the item table: what it prepares stays answerable until it ends.
  const head = sharedHead ? { ...sharedHead, table: sharedHead.table.view() } : null;
  const ann = usable(note(annRead));
  const policy = { ...(note(policyRead) ?? DEFAULT_POLICY), ...knobs.policy };
  if (overlay?.stale) degraded.push("catalog_overlay_stale");
  // An index of the popular list alone serves, and says it cannot personalize.
  if (headRead.ok && headRead.value === null && annRead.ok && annRead.value === null) degraded.push("index_popular_only");

  // Home and up next read the session's history (up next: what to watch after this item, for this
  // user); related reads the item alone (items like this one).
  const withHistory = req.surface !== "related";
  // History and context as item-table rows (a paged table reads their id pages first).
  let seedPagesRead = false;
  if (head) {
    const seedIds = [...session.history.map((h) => h.itemId), ...(req.contextItemId ? [req.contextItemId] : [])];
    const read = await timing.measure("items", () => withBudget("item_pages", STAGE_BUDGET_MS.vectors, () => head.table.prepare(seedIds, [])));
    const pageFaults = note(read);
    degraded.push(...(pageFaults ?? []));
    seedPagesRead = pageFaults !== null && pageFaults.length === 0;
  }
  const history = head
    ? session.history.flatMap((h) => {
        const row = head.table.rowOf(h.itemId);
        return row < 0 ? [] : [{ ...h, row }];
      })
    : [];
  const contextRow = head && req.contextItemId ? head.table.rowOf(req.contextItemId) : -1;
  // The item the list is about is not in this index (a typo, or an item newer than the build): the
  // list stands on the user and the popular list alone, and says so. Not when its page failed to read.
  if (head && req.contextItemId && contextRow < 0 && seedPagesRead) degraded.push("context_item_not_in_index");
  const seedRows = [...(withHistory ? history.map((h) => h.row) : []), ...(contextRow >= 0 ? [contextRow] : [])];
  const [query, neighbours] = head
    ? await timing.measure("session_data", () =>
        Promise.all([
          queryVector(index, head, req.surface, history, contextRow, degraded),
          seedRows.length === 0
            ? null
            : withBudget("covisit", STAGE_BUDGET_MS.vectors, () => index.covisitOfRows(head, seedRows)).then((r) => {
                const read = note(r);
                if (read) degraded.push(...read.degraded);
                if (read?.facts) head.table.adopt(read.facts);
                return read?.neighborsOf ?? null;
              }),
        ]),
      )
    : [null, null];

  const context = contextRow >= 0 ? { row: contextRow, itemId: req.contextItemId! } : null;
  const [annP, trendingP, editorial, covisited] = await timing.measure("sources", () =>
    Promise.all([
      annSource(ports, ann, head, query, session.seenItemIds.length, knobs, degraded),
      trendingSource(ports, req.region, knobs, degraded),
      withBudget("editorial", STAGE_BUDGET_MS.config, () => ports.config.editorial(req.surface, req.region)).then(note),
      covisitSources(head, neighbours, history, context, withHistory, knobs, degraded),
    ]),
  );
  const contentP = contentSource(index.popular, req.surface === "related" && head && contextRow >= 0 ? itemCategories(head, contextRow) : null, session, knobs);
  const editorialP = editorialSource(editorial, knobs);
  const popularP = popularSource(index.popular, index.fallbackItemIds, knobs);
  if (head) {
    // Candidates named by id: a paged item table reads their id pages (rows and facts) now.
    const named = [trendingP, contentP, editorialP, popularP].flatMap((p) => p?.items.map((x) => x.itemId) ?? []);
    const freshIds = (overlay?.fresh ?? []).map((f) => f.itemId);
    const read = await timing.measure("items", () => withBudget("item_pages", STAGE_BUDGET_MS.vectors, () => head.table.prepare([...named, ...freshIds], [])));
    degraded.push(...(note(read) ?? []));
  }
  const all: SourceProposal[] = [];
  // Quotas fill in this order: context first, then the user's own signals, then the rest.
  for (const p of [
    covisited.find((p) => p.source === "context"),
    annP,
    covisited.find((p) => p.source === "covisit"),
    trendingP,
    contentP,
    freshSource(overlay?.fresh ?? [], head, query, req.region, knobs),
    editorialP,
    popularP,
  ]) {
    if (p) all.push(p);
  }
  if (!index.popular) degraded.push("popular_fallback_list");

  const exclude = new Set([...session.seenItemIds, ...req.excludeIds, ...(req.contextItemId ? [req.contextItemId] : [])]);
  const overlayRows = overlay?.rows ?? new Map();
  const facts = new Map<string, ItemFacts>();
  const popular = popularById(index.popular);
  const candidates = timing.measureSync("merge", () =>
    mergeCandidates(all, exclude).filter((c) => {
      const f = factsOf(c.itemId, head, overlayRows, req.region, popular);
      if (f) facts.set(c.itemId, f);
      if (f && !f.available) return false;
      return req.category === null || (f?.categories.includes(req.category) ?? false);
    }),
  );
  const user: UserContext = {
    affinities: Object.fromEntries(session.affinities.map((a) => [a.category, a.score])),
    declaredCategories: [...session.declaredCategories],
    historyLength: history.length,
    impressionCounts: impressionCountsOf(
      session.impressions,
      candidates.map((c) => c.itemId),
    ),
    surface: req.surface,
    nowMs: req.nowMs,
    ...(head && withHistory
      ? { covisitWith: covisitSignals(head.table, neighbours, history, candidates), categoryGap: categoryGaps(head.table, head.section.categories, history) }
      : {}),
  };
  const weights = lightWeightsFor(query !== null, knobs.light ?? index.lightWeights);
  const light = timing.measureSync("light_rank", () => lightScores(candidates, facts, user, weights));
  return { candidates, facts, user, query, head, overlay, policy, model, degraded, light, editorial: editorial ?? [] };
}

/** The categories of an item-table row, by name. */
function itemCategories(head: FunnelHead, row: number): string[] {
  return categoriesOf(head.table, row).map((k) => head.section.categories[k]!);
}

/**
 * The heavy model's scores, or null when the light scores stand: no model,
 * or a cold start (the model learned from users with a history; the light
 * ranker's declared-category weight is what such a user has to go on).
 */
export async function rankCandidates(
  ports: FunnelPorts,
  g: Gathered & { light: Float64Array },
  session: FunnelSession,
  knobs: FunnelKnobs,
): Promise<Float64Array | null> {
  if (!g.model || g.user.historyLength === 0) return null;
  const model = g.model;
  return ports.timing.measure("heavy_rank", () => heavyScores(model, g.candidates, g.light, g.facts, g.user, knobs.heavyTopN, g.degraded));
}

/**
 * Policy re-ranking with `exploration`, then what may be shown in the caller's region, as ranked entries;
 * and a softmax window's scores when one was drawn.
 */
export async function placeCandidates(
  ports: FunnelPorts,
  req: FunnelRequest,
  session: FunnelSession,
  g: Gathered,
  scores: Float64Array,
  random: () => number,
  exploration: Exploration,
): Promise<{ entries: RankedEntry[]; window: number[] | null }> {
  const placed = ports.timing.measureSync("policy", () =>
    rerank(g.candidates, scores, g.facts, g.user.impressionCounts, g.policy, req.listSize, random, exploration),
  );
  const placedIds = placed.map((p) => p.candidate.itemId);
  const visibleRead = await ports.timing.measure("availability", () =>
    withBudget("availability", STAGE_BUDGET_MS.availability, () => visibleItems(ports.catalog, g.head, g.overlay, placedIds, req.region)),
  );
  if (!visibleRead.ok) g.degraded.push(visibleRead.degraded);
  // Fail closed: without the catalogue's word, only what the overlay and the item table say may be shown is.
  const visible = visibleRead.ok ? visibleRead.value : knownVisible(g.head, g.overlay, placedIds, req.region);
  const interests = new Set([...session.affinities.filter((a) => a.score > 0).map((a) => a.category), ...session.declaredCategories]);
  const entries = placed
    .filter((p) => visible.has(p.candidate.itemId))
    .map((p) => ({
      itemId: p.candidate.itemId,
      score: roundScore(p.score),
      sources: Object.keys(p.candidate.sources) as Source[],
      ...(p.candidate.becauseOf ? { becauseOf: p.candidate.becauseOf } : {}),
      explored: p.explored,
      // Unrounded: an inverse propensity weight needs the probability itself, however small.
      propensity: p.propensity,
      interests: (g.facts.get(p.candidate.itemId)?.categories ?? []).filter((c) => interests.has(c)),
    }));
  return { entries, window: placed.find((p) => p.window)?.window ?? null };
}
