import { type Candidate, type ItemFacts } from "../../../../shared/ranking/candidate";
import { featureRows } from "../../../../shared/ranking/features";
import { DEFAULT_LIGHT_WEIGHTS, lightScores, type LightWeights } from "../../../../shared/ranking/light-rank";
import { mlpScore, type MlpModel } from "../../../../shared/ranking/mlp";
import { DEFAULT_POLICY, type PolicyConfig } from "../../../../shared/ranking/policy/policy-config";
import { rerank } from "../../../../shared/ranking/policy/rerank";
import { type FunnelCandidates } from "./funnel-candidates";

/** How the merged candidates are ordered: the Worker's stages after merging. */
export interface FunnelRanking {
  light: LightWeights;
  /** The heavy ranker; null orders by the light scores alone (`funnel-light`). */
  heavy: MlpModel | null;
  /** Candidates the heavy ranker scores: the light ranker's best (run-funnel.ts HEAVY_N). */
  heavyTopN: number;
  policy: PolicyConfig;
}

/** As served, with exploration off: an offline list must not depend on a coin. */
export const SERVED_RANKING: FunnelRanking = { light: DEFAULT_LIGHT_WEIGHTS, heavy: null, heavyTopN: 100, policy: { ...DEFAULT_POLICY, explorationRate: 0 } };

/** The light ranker's best `topN` candidates, best first (ties keep merge order, as the Worker's stable sort does). */
export function heavyInputs(request: FunnelCandidates, facts: ReadonlyMap<string, ItemFacts>, ranking: FunnelRanking): { light: Float64Array; order: number[]; top: Candidate[] } {
  const light = lightScores(request.candidates, facts, request.ctx, ranking.light);
  const order = Array.from(light.keys()).sort((a, b) => light[b]! - light[a]!);
  const top = order.slice(0, ranking.heavyTopN).map((i) => request.candidates[i]!);
  return { light, order, top };
}

/**
 * The first `k` items of the served list: light scores, the heavy model's
 * scores for the light top N with the rest below them in light order
 * (run-funnel.ts `heavyScores`), then the policy re-ranking.
 */
export function servedList(request: FunnelCandidates, facts: ReadonlyMap<string, ItemFacts>, ranking: FunnelRanking, k: number): Candidate[] {
  const { light, order, top } = heavyInputs(request, facts, ranking);
  let scores: Float64Array = light;
  if (ranking.heavy && top.length > 0) {
    const rows = featureRows(top, (id) => facts.get(id) ?? null, request.ctx);
    const heavy = mlpScore(ranking.heavy, rows, top.length);
    scores = new Float64Array(request.candidates.length);
    order.forEach((i, rank) => (scores[i] = rank < top.length ? heavy[rank]! : -1 - rank / order.length));
  }
  return rerank(request.candidates, scores, facts, request.ctx.impressionCounts, ranking.policy, k, () => 1).map((p) => p.candidate);
}
