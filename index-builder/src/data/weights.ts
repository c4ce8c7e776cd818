import { ratingWeight } from "../../../shared/embeddings/event-weights";
import { type InteractionTable } from "../train/interaction-table";

/**
 * What an imported weight column means. Each kind has its own transform to
 * the signed preference weight implicit ALS takes (shared/embeddings/event-weights.ts):
 * - `ratings`: stars on a 0.5-5 scale (ratingMax rescales others); 3 and up
 *   is a like (+1..+3), below 3 a dislike (2 stars -> -1): a rating is the
 *   only kind that can say "no". Tuning also tries `stars` (every rating a
 *   like of confidence stars/3 on the 5 scale: whoever rated an item met it,
 *   which is what a log scored by "will they interact" rewards) and binary.
 * - `plays`, `purchases`, `clicks`: counts of a (user, item) pair. Summed per
 *   pair, then confidence-transformed; never negative, so a one-play row is
 *   a weak like, not a dislike, and a 350,000-play row does not drown the
 *   rest (Hu, Koren, Volinsky 2008, §4: c = 1 + α·log(1 + r/ε)).
 */
export const WEIGHT_KINDS = ["ratings", "plays", "purchases", "clicks"] as const;
export type WeightKind = (typeof WEIGHT_KINDS)[number];

/**
 * How a pair's summed count becomes a weight: `binary` (any count is 1) or
 * `log` (log(1 + count/ε), ε in the count's own units). Ratings use `rating`.
 */
export type WeightTransform = { kind: "rating"; ratingMax: number } | { kind: "stars"; ratingMax: number } | { kind: "binary" } | { kind: "log"; epsilon: number };

export function isCountKind(kind: WeightKind): boolean {
  return kind !== "ratings";
}

/** Weight of one pair under `transform`: `value` is a rating for `rating`, else the pair's summed count (> 0). */
export function transformWeight(value: number, transform: WeightTransform): number {
  switch (transform.kind) {
    case "rating":
      return ratingWeight((value * 5) / transform.ratingMax);
    case "stars":
      return (value * 5) / transform.ratingMax / 3;
    case "binary":
      return value > 0 ? 1 : 0;
    case "log":
      return value > 0 ? Math.log1p(value / transform.epsilon) : 0;
  }
}

/**
 * The transform a kind starts from before tuning: ratings by their stars;
 * counts log-scaled with ε the median pair count (so a typical pair weighs
 * log 2 ≈ 0.69 whatever the unit); purchases and clicks, rarely repeated,
 * with ε 1.
 */
export function defaultTransform(kind: WeightKind, pairCounts: ArrayLike<number>, ratingMax = 5): WeightTransform {
  if (kind === "ratings") return { kind: "rating", ratingMax };
  return { kind: "log", epsilon: kind === "plays" ? Math.max(1, quantile(pairCounts, 0.5)) : 1 };
}

/**
 * The transforms tuning tries for a kind: the default; for ratings stars-as-confidence and binary; for counts binary and log with ε at the 25th and 90th percentile pair count.
 * Measured and not offered: ε per user (log(1 + count/the user's median count), the median over the rows being
 * weighed). On the synthetic log of bench/lib/synthetic-plays.ts, whose users each listen on a scale of their
 * own by construction, its best validation nDCG@10 over α 1-8 and λ 0.0025 / 0.005 was 0.1363 (with ε = the
 * user's median / 4: 0.1351) against 0.1331 for the global ε 103 on the same grid, a lead the data was built to give, and
 * one that makes a user's weights depend on their other rows, so the Worker's fold-in could not match it event by event.
 */
export function transformGrid(kind: WeightKind, pairCounts: ArrayLike<number>, ratingMax = 5): WeightTransform[] {
  const start = defaultTransform(kind, pairCounts, ratingMax);
  if (start.kind === "rating") return [start, { kind: "stars", ratingMax }, { kind: "binary" }];
  const grid: WeightTransform[] = [start, { kind: "binary" }];
  for (const q of [0.25, 0.9]) {
    const epsilon = Math.max(1, quantile(pairCounts, q));
    if (!grid.some((t) => t.kind === "log" && t.epsilon === epsilon)) grid.push({ kind: "log", epsilon });
  }
  return grid;
}

export function describeTransform(t: WeightTransform): string {
  if (t.kind === "rating") return `rating (stars on a ${t.ratingMax} scale: ≥ 3/5 like, below dislike)`;
  if (t.kind === "stars") return `stars as confidence (every rating a like, stars on a ${t.ratingMax} scale / 3 of 5)`;
  return t.kind === "binary" ? "binary" : `log(1 + count/${t.epsilon})`;
}

/** The q-quantile (nearest rank) of the values; 0 for none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** How a table's rows weigh: every row 1, the values as they are (already weighed), or a transform of them (ratings, counts). */
export type RowWeighting = "binary" | "values" | WeightTransform;

/** `table` with every row's value replaced by its weight under `weighting`. */
export function weighTable(table: InteractionTable, weighting: RowWeighting): InteractionTable {
  if (weighting === "values") return table;
  if (weighting === "binary" || weighting.kind === "binary") return { ...table, values: new Float32Array(table.values.length).fill(1) };
  return { ...table, values: Float32Array.from(table.values, (v) => transformWeight(v, weighting)) };
}
