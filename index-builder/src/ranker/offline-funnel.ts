import { type CovisitLists, scoreByCovisitation } from "../../../shared/covisit/covisit-lists";
import { foldInUser } from "../../../shared/embeddings/fold-in";
import { decayAffinity } from "../../../shared/events/affinity-decay";
import { type Candidate, type ItemFacts, type Source, type UserContext } from "../../../shared/ranking/candidate";
import { type TrainedEmbeddings } from "../train/train-ials";

/** Per-source quotas of the offline candidate generation. */
export interface OfflineFunnelOptions {
  ann: number;
  covisit: number;
  popular: number;
  /** Items per matched category, for the user's strongest categories. */
  contentPerCategory: number;
  contentCategories: number;
  /** History items folded in and used as co-visitation seeds (the session keeps at most 50 recent items). */
  recentItems: number;
}

export const DEFAULT_OFFLINE_FUNNEL: OfflineFunnelOptions = { ann: 100, covisit: 50, popular: 30, contentPerCategory: 15, contentCategories: 2, recentItems: 50 };

/** What the offline funnel reads, all indexed by dense item index of the training table. */
export interface OfflineModels {
  embeddings: TrainedEmbeddings;
  covisit: CovisitLists;
  /** Size nItems. */
  facts: ItemFacts[];
  /** Dense item indices by descending popularity (items with any interaction). */
  popularOrder: number[];
  /** Category -> its items by descending popularity. */
  byCategory: Map<string, number[]>;
}

/** One interaction of a user's history before the request, oldest first. */
export interface HistoryEvent {
  item: number;
  /** Signed event weight (shared/embeddings/event-weights.ts). */
  weight: number;
  timestampMs: number;
}

/**
 * The serving funnel's candidate generation, replayed for one user at
 * `nowMs` from what the Worker would know then: recent items folded into a
 * user vector and scored exactly against every item (the ANN source without
 * quantisation error), co-visitation of the recent items, popularity, and
 * popular items of the user's strongest categories (content). Raw scores
 * follow the serving sources: dot product, Σ weight·similarity, decayed
 * popularity mass, category affinity. Trending, fresh, editorial and
 * context have no offline counterpart in the demo data.
 */
export function offlineCandidates(
  models: OfflineModels,
  history: readonly HistoryEvent[],
  nowMs: number,
  options: OfflineFunnelOptions = DEFAULT_OFFLINE_FUNNEL,
): { candidates: Candidate[]; ctx: UserContext; seen: Set<number> } {
  const seen = new Set(history.map((h) => h.item));
  const recent = recentItems(history, options.recentItems);
  const affinities: Record<string, number> = {};
  for (const h of history) {
    for (const category of models.facts[h.item]?.categories ?? []) {
      affinities[category] = (affinities[category] ?? 0) + decayAffinity(h.weight, h.timestampMs, nowMs);
    }
  }
  const ctx: UserContext = { affinities, declaredCategories: [], historyLength: recent.length, impressionCounts: {}, surface: "home", nowMs };

  const merged = new Map<number, Candidate>();
  const add = (item: number, source: Source, score: number) => {
    if (seen.has(item)) return;
    const facts = models.facts[item];
    if (!facts) return;
    const c = merged.get(item) ?? { itemId: facts.itemId, sources: {} };
    c.sources[source] = score;
    merged.set(item, c);
  };

  const { embeddings } = models;
  const userVector = foldInUser({ dims: embeddings.dims, itemVectors: embeddings.itemVectors, gram: embeddings.gram, params: embeddings.params }, recent);
  if (userVector) {
    for (const { item, score } of topByScore(models.facts.length, options.ann, seen, (i) => dot(userVector, embeddings.itemVectors, i * embeddings.dims))) {
      add(item, "ann", score);
    }
  }
  const covisit = new Map<number, number>();
  scoreByCovisitation(models.covisit, recent, covisit);
  const covisitRanked = [...covisit].filter(([item, s]) => s > 0 && !seen.has(item)).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  for (const [item, score] of covisitRanked.slice(0, options.covisit)) add(item, "covisit", score);

  takeUnseen(models.popularOrder, options.popular, seen, (item) => add(item, "popular", models.facts[item]!.popularity));
  const strongest = Object.entries(affinities)
    .filter(([, a]) => a > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, options.contentCategories);
  for (const [category, affinity] of strongest) {
    takeUnseen(models.byCategory.get(category) ?? [], options.contentPerCategory, seen, (item) => {
      const previous = merged.get(item)?.sources.content ?? 0;
      add(item, "content", Math.max(previous, affinity));
    });
  }
  // Dense-index order, so the result does not depend on which source came first.
  const candidates = [...merged].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
  return { candidates, ctx, seen };
}

/** Distinct items of the most recent events, most recent first, with summed weights: the session's recent items. */
function recentItems(history: readonly HistoryEvent[], limit: number): { item: number; weight: number }[] {
  const weights = new Map<number, number>();
  for (const h of history) weights.set(h.item, (weights.get(h.item) ?? 0) + h.weight);
  const order: number[] = [];
  const taken = new Set<number>();
  for (let k = history.length - 1; k >= 0 && order.length < limit; k--) {
    const item = history[k]!.item;
    if (taken.has(item)) continue;
    taken.add(item);
    order.push(item);
  }
  return order.map((item) => ({ item, weight: weights.get(item)! }));
}

function takeUnseen(list: readonly number[], count: number, seen: Set<number>, take: (item: number) => void): void {
  let taken = 0;
  for (const item of list) {
    if (taken >= count) break;
    if (seen.has(item)) continue;
    take(item);
    taken++;
  }
}

function topByScore(n: number, k: number, skip: Set<number>, score: (i: number) => number): { item: number; score: number }[] {
  const best: { item: number; score: number }[] = [];
  for (let i = 0; i < n; i++) {
    if (skip.has(i)) continue;
    const s = score(i);
    if (best.length === k) {
      if (k === 0 || s <= best[k - 1]!.score) continue;
      best.pop();
    }
    let pos = best.length;
    while (pos > 0 && best[pos - 1]!.score < s) pos--;
    best.splice(pos, 0, { item: i, score: s });
  }
  return best;
}

function dot(u: Float32Array, items: Float32Array, at: number): number {
  let s = 0;
  for (let d = 0; d < u.length; d++) s += u[d]! * items[at + d]!;
  return s;
}
