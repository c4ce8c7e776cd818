import { type Source, SOURCES } from "./candidate";
import { DEFAULT_LIGHT_WEIGHTS, type LightWeights } from "./light-rank";

/**
 * Which order an index serves to a user with a history, chosen on its
 * validation data (index-builder/src/ranker/order-choice.ts): the heavy
 * model's, the light ranker's, or one source's own (raw) order, which the
 * light ranker expresses with weight 1 on that source and 0 elsewhere.
 */
export type RankingOrder = "heavy" | "light" | `source:${Source}`;

/** Checks an order from outside (an index manifest); returns the problem, or null. */
export function rankingOrderProblem(value: unknown): string | null {
  if (value === "heavy" || value === "light") return null;
  if (typeof value === "string" && value.startsWith("source:") && (SOURCES as readonly string[]).includes(value.slice(7))) return null;
  return `must be "heavy", "light" or "source:<${SOURCES.join("|")}>"`;
}

/** The source of a `source:` order; null for heavy and light. */
export function orderSource(order: RankingOrder): Source | null {
  return order.startsWith("source:") ? (order.slice(7) as Source) : null;
}

/**
 * Light weights that order candidates as `source` alone does: its rank
 * within the request, nothing else (candidates it did not propose tie
 * below, in merge order).
 */
export function sourceOrderWeights(source: Source): LightWeights {
  return {
    normalize: "rank",
    source: Object.fromEntries(SOURCES.map((s) => [s, s === source ? 1 : 0])) as Record<Source, number>,
    popularity: 0,
    affinity: 0,
    declaredCategory: 0,
    perImpression: DEFAULT_LIGHT_WEIGHTS.perImpression,
  };
}
