/** The per-run metrics of a report row (BASELINES.md, the MS Recommenders column). */
export interface RankingMetrics {
  /** Σ over hits of (hit number / rank), divided by |test_u| (Spark style, not truncated to k). */
  map: number;
  /** DCG = Σ_hits 1/log2(1+rank); ideal DCG has min(|test_u|, k) hits. */
  ndcgAtK: number;
  /** hits / k. */
  precisionAtK: number;
  /** hits / |test_u|. */
  recallAtK: number;
  /** Distinct items in any list / catalogue size. */
  coverage: number;
  /** Users averaged: those with test items and a list. */
  users: number;
}

/**
 * Averages the metrics over users that have both a recommendation list and
 * test items (MS Recommenders' `merge_ranking_true_pred`). `lists` maps a user
 * to its ranked items, best first; `relevant` to its test items.
 */
export function rankingMetrics(
  lists: ReadonlyMap<number, readonly number[]>,
  relevant: ReadonlyMap<number, ReadonlySet<number>>,
  k: number,
  catalogSize: number,
): RankingMetrics {
  let map = 0;
  let ndcg = 0;
  let precision = 0;
  let recall = 0;
  let users = 0;
  const shown = new Set<number>();
  for (const list of lists.values()) for (const item of list.slice(0, k)) shown.add(item);
  for (const [user, truth] of relevant) {
    const list = lists.get(user);
    if (!list || truth.size === 0) continue;
    users++;
    let hits = 0;
    let dcg = 0;
    let ap = 0;
    list.slice(0, k).forEach((item, i) => {
      if (!truth.has(item)) return;
      hits++;
      dcg += 1 / Math.log2(i + 2);
      ap += hits / (i + 1);
    });
    let idcg = 0;
    for (let i = 0; i < Math.min(truth.size, k); i++) idcg += 1 / Math.log2(i + 2);
    map += ap / truth.size;
    ndcg += dcg / idcg;
    precision += hits / k;
    recall += hits / truth.size;
  }
  const avg = (x: number) => (users === 0 ? 0 : x / users);
  return {
    map: avg(map),
    ndcgAtK: avg(ndcg),
    precisionAtK: avg(precision),
    recallAtK: avg(recall),
    coverage: catalogSize === 0 ? 0 : shown.size / catalogSize,
    users,
  };
}

/** Mean of per-user figures (0 for none), summed in order. */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return values.length ? sum / values.length : 0;
}

/** nDCG@k of one ranked list against a user's test items, as `rankingMetrics` averages it. */
export function listNdcg(list: readonly number[], truth: ReadonlySet<number>, k: number): number {
  let dcg = 0;
  list.slice(0, k).forEach((item, i) => {
    if (truth.has(item)) dcg += 1 / Math.log2(i + 2);
  });
  let idcg = 0;
  for (let i = 0; i < Math.min(truth.size, k); i++) idcg += 1 / Math.log2(i + 2);
  return idcg === 0 ? 0 : dcg / idcg;
}
