import { type InteractionTable } from "../train/interaction-table";
import { rankingMetrics, type RankingMetrics } from "./metrics";
import { type Recommender } from "./recommender";
import { topK } from "./top-k";

export interface EvaluationResult {
  metrics: RankingMetrics;
  /** Dense user -> top-k dense items, best first. */
  lists: Map<number, number[]>;
  fitMs: number;
  recommendMs: number;
}

/**
 * Full ranking: fit on `train`, score every item for each test user that has
 * training rows (a model cannot recommend for a user it never saw, as in MS
 * Recommenders), remove the user's training items, take the top k, and
 * average the metrics. `train` and `test` share id spaces.
 */
export async function evaluateRecommender(rec: Recommender, train: InteractionTable, test: InteractionTable, k = 10): Promise<EvaluationResult> {
  const t0 = performance.now();
  await rec.fit(train);
  const t1 = performance.now();
  const seen = itemsByUser(train);
  const relevant = itemsByUser(test);
  const scores = new Float64Array(train.itemIds.length);
  const lists = new Map<number, number[]>();
  const users = [...relevant.keys()].filter((user) => seen.has(user)).sort((a, b) => a - b);
  await rec.prepare?.(users);
  for (const user of users) {
    const history = seen.get(user)!;
    rec.scoreUser(user, scores);
    for (const i of history) scores[i] = -Infinity;
    lists.set(user, topK(scores, k));
  }
  const recommendMs = performance.now() - t1;
  return { metrics: rankingMetrics(lists, relevant, k, train.itemIds.length), lists, fitMs: t1 - t0, recommendMs };
}

export function itemsByUser(table: InteractionTable): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  for (let r = 0; r < table.users.length; r++) {
    const u = table.users[r]!;
    const set = out.get(u) ?? new Set<number>();
    set.add(table.items[r]!);
    out.set(u, set);
  }
  return out;
}
