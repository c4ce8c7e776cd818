import { type Candidate, type ItemFacts, SOURCES, type UserContext } from "./candidate";
import { ownValue } from "../data-record";
import { sourceRanks } from "./source-ranks";

/**
 * The heavy ranker's input columns, in order. Training (index-builder) and
 * serving (Worker) both fill rows with `featureRows`, so the model never
 * sees a feature computed two ways. Adding, removing or reordering a name
 * changes the model's input: bump `FEATURE_SPEC_VERSION`, and an index whose
 * spec names differ is not used for heavy ranking.
 *
 * Per source s (in `SOURCES` order): `s_present` (0/1), `s_score` (slog
 * of the source's raw score; for `ann` that is the fold-in query vector's
 * dot product with the item, SQ8 re-scored), `s_rank` (1 for the source's
 * best candidate in this list down to 1/k for its k-th) and `s_z` (the
 * score standardised over the source's candidates in this list), all 0
 * when the source did not propose the item; then:
 * - `source_count`: how many sources proposed the item;
 * - `log_popularity`: log1p of the index's time-decayed popularity;
 * - `popularity_rank`: that popularity's rank in the list (1 most popular .. 1/n);
 * - `affinity_max`, `affinity_mean`: slog of the user's affinity over the item's categories;
 * - `affinity_share`: the largest share of the user's positive affinity mass on one of the item's categories (0..1);
 * - `declared_match`: share of the item's categories the user declared (0..1);
 * - `category_count`: number of categories of the item;
 * - `item_age_decades`: (request year − item year)/10, clamped to 0..10; 0 when unknown;
 * - `year_unknown`: 1 when the item has no year;
 * - `times_shown`: log1p of the impressions of this item to this user;
 * - `history_length`: log1p of the user's recent-history length;
 * - `fresh`: 1 for items added after the index was built;
 * - `light_rank`: the light ranker's rank of the item in the list (1 best .. 1/n);
 * - `covisit_strength`, `covisit_recent`: slog of the candidate's co-visitation with all recent items
 *   (weighted) and with the few most recent (`UserContext.covisitWith`);
 * - `covisit_links`: log1p of how many recent items list it as a neighbour;
 * - `category_gap`: log1p of the recent items since the user last met one of the item's categories
 *   (the smallest gap over its categories); 0 when unmet or uncategorised;
 * - `category_unmet`: 1 when no recent item shares a category with it.
 *
 * slog(x) = sign(x)·log1p(|x|): sources score on different scales (dot
 * products, Jaccard sums, counts), and this keeps each one monotone and
 * bounded enough; the rank and z columns then put each on the list's scale.
 */
export const FEATURE_NAMES: readonly string[] = [
  ...SOURCES.flatMap((s) => [`${s}_present`, `${s}_score`, `${s}_rank`, `${s}_z`]),
  "source_count",
  "log_popularity",
  "popularity_rank",
  "affinity_max",
  "affinity_mean",
  "affinity_share",
  "declared_match",
  "category_count",
  "item_age_decades",
  "year_unknown",
  "times_shown",
  "history_length",
  "fresh",
  "light_rank",
  "covisit_strength",
  "covisit_recent",
  "covisit_links",
  "category_gap",
  "category_unmet",
];

export const FEATURE_COUNT = FEATURE_NAMES.length;

/** Bumped whenever FEATURE_NAMES or the meaning of a column changes. */
export const FEATURE_SPEC_VERSION = 2;

const PER_SOURCE = 4;
const TAIL = PER_SOURCE * SOURCES.length;

/** The columns that depend on the whole list, computed once per list by `listColumns`. */
export interface ListColumns {
  /** Size candidates·SOURCES.length, row-major: `sourceRanks(candidates, "rank")`. */
  ranks: Float64Array;
  /** Size candidates·SOURCES.length, row-major: `sourceRanks(candidates, "zscore")`. */
  zscores: Float64Array;
  /** Size candidates: rank of the light score in the list (1 best .. 1/n). */
  lightRank: Float64Array;
  /** Size candidates: rank of the item's popularity in the list (1 most popular .. 1/n). */
  popularityRank: Float64Array;
}

/** The list-dependent columns of `candidates`, whose light scores are `light` (same order). */
export function listColumns(candidates: readonly Candidate[], factsOf: (itemId: string) => ItemFacts | null, light: ArrayLike<number>): ListColumns {
  return {
    ranks: sourceRanks(candidates, "rank"),
    zscores: sourceRanks(candidates, "zscore"),
    lightRank: rankWithin(Array.from({ length: candidates.length }, (_, i) => light[i]!)),
    popularityRank: rankWithin(candidates.map((c) => factsOf(c.itemId)?.popularity ?? 0)),
  };
}

/**
 * Fills row `offset` of `out` (size at least (offset+1)·FEATURE_COUNT,
 * row-major (row, feature)) for the candidate at position `at` of a list
 * whose list columns are `list`. `facts` is null for an item the index
 * does not describe; its item columns are then zero. Allocates nothing, so
 * ~100 rows per request cost microseconds.
 */
export function featureRow(
  candidate: Candidate,
  facts: ItemFacts | null,
  ctx: UserContext,
  list: ListColumns,
  at: number,
  out: Float32Array,
  offset: number,
): void {
  const base = offset * FEATURE_COUNT;
  let sourceCount = 0;
  for (let s = 0; s < SOURCES.length; s++) {
    const raw = candidate.sources[SOURCES[s]!];
    const present = raw !== undefined && Number.isFinite(raw);
    if (present) sourceCount++;
    const c = base + PER_SOURCE * s;
    out[c] = present ? 1 : 0;
    out[c + 1] = present ? slog(raw) : 0;
    out[c + 2] = present ? (list.ranks[at * SOURCES.length + s] ?? 0) : 0;
    out[c + 3] = present ? (list.zscores[at * SOURCES.length + s] ?? 0) : 0;
  }
  const categories = facts?.categories ?? [];
  let affinityMax = 0;
  let affinitySum = 0;
  let shareMax = 0;
  let declared = 0;
  let gap = Infinity;
  if (categories.length > 0) {
    const positiveMass = positiveAffinityMass(ctx.affinities);
    affinityMax = -Infinity;
    for (const category of categories) {
      const a = ownValue(ctx.affinities, category) ?? 0;
      affinityMax = Math.max(affinityMax, a);
      affinitySum += a;
      if (a > 0 && positiveMass > 0) shareMax = Math.max(shareMax, a / positiveMass);
      if (ctx.declaredCategories.includes(category)) declared++;
      gap = Math.min(gap, ownValue(ctx.categoryGap, category) ?? Infinity);
    }
  }
  const year = facts?.year ?? null;
  const ageDecades = year === null ? 0 : clamp((new Date(ctx.nowMs).getUTCFullYear() - year) / 10, 0, 10);
  const covisit = ownValue(ctx.covisitWith, candidate.itemId);
  const t = base + TAIL;
  out[t] = sourceCount;
  out[t + 1] = Math.log1p(Math.max(0, facts?.popularity ?? 0));
  out[t + 2] = list.popularityRank[at] ?? 0;
  out[t + 3] = slog(affinityMax);
  out[t + 4] = categories.length > 0 ? slog(affinitySum / categories.length) : 0;
  out[t + 5] = shareMax;
  out[t + 6] = categories.length > 0 ? declared / categories.length : 0;
  out[t + 7] = categories.length;
  out[t + 8] = ageDecades;
  out[t + 9] = year === null ? 1 : 0;
  out[t + 10] = Math.log1p(Math.max(0, ownValue(ctx.impressionCounts, candidate.itemId) ?? 0));
  out[t + 11] = Math.log1p(Math.max(0, ctx.historyLength));
  out[t + 12] = facts?.fresh ? 1 : 0;
  out[t + 13] = list.lightRank[at] ?? 0;
  out[t + 14] = covisit ? slog(covisit.strength) : 0;
  out[t + 15] = covisit ? slog(covisit.recent) : 0;
  out[t + 16] = covisit ? Math.log1p(covisit.links) : 0;
  out[t + 17] = Number.isFinite(gap) ? Math.log1p(gap) : 0;
  out[t + 18] = Number.isFinite(gap) ? 0 : 1;
}

/**
 * Rows for the candidates of one request, the list the heavy ranker scores:
 * size candidates.length·FEATURE_COUNT, row-major, row i for candidates[i],
 * whose light score is light[i]. The rank and z columns depend on the whole
 * list, so score the list you built the rows from. `factsOf` returns null
 * for unknown items.
 */
export function featureRows(
  candidates: readonly Candidate[],
  factsOf: (itemId: string) => ItemFacts | null,
  ctx: UserContext,
  light: ArrayLike<number>,
): Float32Array {
  const out = new Float32Array(candidates.length * FEATURE_COUNT);
  const list = listColumns(candidates, factsOf, light);
  candidates.forEach((c, i) => featureRow(c, factsOf(c.itemId), ctx, list, i, out, i));
  return out;
}

/** Rank of each value among `values`: the largest 1, the k-th of n 1 − (k−1)/n; ties to the earlier position. */
export function rankWithin(values: readonly number[]): Float64Array {
  const n = values.length;
  const order = Array.from(values.keys()).sort((a, b) => values[b]! - values[a]! || a - b);
  const out = new Float64Array(n);
  order.forEach((i, k) => (out[i] = 1 - k / n));
  return out;
}

/** sign(x)·log1p(|x|); 0 for non-finite input. */
export function slog(x: number): number {
  if (!Number.isFinite(x)) return 0;
  return Math.sign(x) * Math.log1p(Math.abs(x));
}

function positiveAffinityMass(affinities: Record<string, number>): number {
  let mass = 0;
  for (const a of Object.values(affinities)) if (a > 0) mass += a;
  return mass;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
