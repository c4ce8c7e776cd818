import { type Candidate, type ItemFacts, SOURCES, type UserContext } from "./candidate";
import { sourceRanks } from "./source-ranks";

/**
 * The heavy ranker's input columns, in order. Training (index-builder) and
 * serving (Worker) both fill rows with `featureRow`, so the model never sees
 * a feature computed two ways. Adding, removing or reordering a name changes
 * the model's input: bump `FEATURE_SPEC_VERSION`, and an index whose spec
 * names differ is not used for heavy ranking.
 *
 * Per source s (in `SOURCES` order): `s_present` (0/1), `s_score` (slog
 * of the source's raw score) and `s_rank` (1 for the source's best
 * candidate in this request down to 1/k for its k-th; rank-normalised like
 * the light ranker, so it survives scales that differ per user), all 0 when
 * the source did not propose the item; then:
 * - `source_count`: how many sources proposed the item;
 * - `log_popularity`: log1p of the index's time-decayed popularity;
 * - `affinity_max`, `affinity_mean`: slog of the user's affinity over the item's categories;
 * - `affinity_share`: the largest share of the user's positive affinity mass on one of the item's categories (0..1);
 * - `declared_match`: share of the item's categories the user declared (0..1);
 * - `category_count`: number of categories of the item;
 * - `item_age_decades`: (request year − item year)/10, clamped to 0..10; 0 when unknown;
 * - `year_unknown`: 1 when the item has no year;
 * - `times_shown`: log1p of the impressions of this item to this user;
 * - `history_length`: log1p of the user's recent-history length;
 * - `fresh`: 1 for items added after the index was built.
 *
 * slog(x) = sign(x)·log1p(|x|): sources score on different scales (dot
 * products, Jaccard sums, counts), and this keeps each one monotone and
 * bounded enough without needing the other candidates of the request.
 */
export const FEATURE_NAMES: readonly string[] = [
  ...SOURCES.flatMap((s) => [`${s}_present`, `${s}_score`, `${s}_rank`]),
  "source_count",
  "log_popularity",
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
];

export const FEATURE_COUNT = FEATURE_NAMES.length;

/** Bumped whenever FEATURE_NAMES or the meaning of a column changes. */
export const FEATURE_SPEC_VERSION = 1;

const PER_SOURCE = 3;
const TAIL = PER_SOURCE * SOURCES.length;

/**
 * Fills row `offset` of `out` (size at least (offset+1)·FEATURE_COUNT,
 * row-major (row, feature)) for one candidate of a request. `ranks` holds
 * the request's `sourceRanks` (size candidates·SOURCES.length) and `at` is
 * this candidate's position in it. `facts` is null for an item the index
 * does not describe; its item columns are then zero. Allocates nothing, so
 * ~100 rows per request cost microseconds.
 */
export function featureRow(candidate: Candidate, facts: ItemFacts | null, ctx: UserContext, ranks: Float64Array, at: number, out: Float32Array, offset: number): void {
  const base = offset * FEATURE_COUNT;
  let sourceCount = 0;
  for (let s = 0; s < SOURCES.length; s++) {
    const raw = candidate.sources[SOURCES[s]!];
    const present = raw !== undefined && Number.isFinite(raw);
    if (present) sourceCount++;
    out[base + PER_SOURCE * s] = present ? 1 : 0;
    out[base + PER_SOURCE * s + 1] = present ? slog(raw) : 0;
    out[base + PER_SOURCE * s + 2] = present ? (ranks[at * SOURCES.length + s] ?? 0) : 0;
  }
  const categories = facts?.categories ?? [];
  let affinityMax = 0;
  let affinitySum = 0;
  let shareMax = 0;
  let declared = 0;
  if (categories.length > 0) {
    const positiveMass = positiveAffinityMass(ctx.affinities);
    affinityMax = -Infinity;
    for (const category of categories) {
      const a = ctx.affinities[category] ?? 0;
      affinityMax = Math.max(affinityMax, a);
      affinitySum += a;
      if (a > 0 && positiveMass > 0) shareMax = Math.max(shareMax, a / positiveMass);
      if (ctx.declaredCategories.includes(category)) declared++;
    }
  }
  const year = facts?.year ?? null;
  const ageDecades = year === null ? 0 : clamp((new Date(ctx.nowMs).getUTCFullYear() - year) / 10, 0, 10);
  const t = base + TAIL;
  out[t] = sourceCount;
  out[t + 1] = Math.log1p(Math.max(0, facts?.popularity ?? 0));
  out[t + 2] = slog(affinityMax);
  out[t + 3] = categories.length > 0 ? slog(affinitySum / categories.length) : 0;
  out[t + 4] = shareMax;
  out[t + 5] = categories.length > 0 ? declared / categories.length : 0;
  out[t + 6] = categories.length;
  out[t + 7] = ageDecades;
  out[t + 8] = year === null ? 1 : 0;
  out[t + 9] = Math.log1p(Math.max(0, ctx.impressionCounts[candidate.itemId] ?? 0));
  out[t + 10] = Math.log1p(Math.max(0, ctx.historyLength));
  out[t + 11] = facts?.fresh ? 1 : 0;
}

/**
 * Rows for the candidates of one request, the list the heavy ranker scores:
 * size candidates.length·FEATURE_COUNT, row-major, row i for candidates[i].
 * The rank columns depend on the whole list, so score the list you built
 * the rows from. `factsOf` returns null for unknown items.
 */
export function featureRows(candidates: readonly Candidate[], factsOf: (itemId: string) => ItemFacts | null, ctx: UserContext): Float32Array {
  const out = new Float32Array(candidates.length * FEATURE_COUNT);
  const ranks = sourceRanks(candidates);
  candidates.forEach((c, i) => featureRow(c, factsOf(c.itemId), ctx, ranks, i, out, i));
  return out;
}

/** sign(x)·log1p(|x|); 0 for non-finite input. */
export function slog(x: number): number {
  if (!Number.isFinite(x)) return 0;
  return Math.sign(x) * Math.log1p(Math.abs(x));
}

function positiveAffinityMass(affinities: Record<string, number>): number {
  let mass = 0;
  for (const key in affinities) {
    const a = affinities[key]!;
    if (a > 0) mass += a;
  }
  return mass;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
