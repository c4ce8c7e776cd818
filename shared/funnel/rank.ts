import { type Candidate, type ItemFacts, type UserContext } from "../ranking/candidate";
import { featureRows } from "../ranking/features";
import { DEFAULT_LIGHT_WEIGHTS, type LightWeights, WARM_LIGHT_WEIGHTS } from "../ranking/light-rank";
import { withBudget } from "./budget";
import { STAGE_BUDGET_MS } from "./knobs";
import { type HeavyModel } from "./ports";

/**
 * The light weights of a request: with a user (or context) vector the ANN
 * score leads (the caller's, else the index's own, chosen on its validation
 * data); without one, sources and declared interests do.
 */
export function lightWeightsFor(hasQuery: boolean, chosen: LightWeights | null): LightWeights {
  return hasQuery ? (chosen ?? WARM_LIGHT_WEIGHTS) : DEFAULT_LIGHT_WEIGHTS;
}

/** The light ranker's best `topN` candidates (indices into `candidates`), best first; ties keep merge order. */
export function lightTop(light: Float64Array, topN: number): { order: number[]; top: number[] } {
  const order = Array.from(light.keys()).sort((a, b) => light[b]! - light[a]!);
  return { order, top: order.slice(0, topN) };
}

/**
 * The heavy model's scores for the light ranker's best `topN` candidates;
 * the others keep their light order just below the lowest model score
 * (placing them far below would compress the top's relevance range that
 * MMR normalizes over). Null, with the reason in `degraded`, when the model
 * is warming, failed, or ran past its budget: the light scores stand.
 */
export async function heavyScores(
  model: HeavyModel,
  candidates: readonly Candidate[],
  light: Float64Array,
  facts: ReadonlyMap<string, ItemFacts>,
  user: UserContext,
  topN: number,
  degraded: string[],
): Promise<Float64Array | null> {
  if (candidates.length === 0) return null;
  const state = model.state();
  if (state !== "ready") {
    degraded.push(state === "failed" ? "heavy_ranker_error" : "heavy_ranker_warming");
    return null;
  }
  const { order, top } = lightTop(light, topN);
  const rows = featureRows(
    top.map((i) => candidates[i]!),
    (id) => facts.get(id) ?? null,
    user,
    top.map((i) => light[i]!),
  );
  const scored = await withBudget("heavy_rank", STAGE_BUDGET_MS.heavy, () => model.score(rows, top.length));
  if (!scored.ok) {
    degraded.push(scored.degraded);
    return null;
  }
  let floor = Infinity;
  for (let k = 0; k < top.length; k++) floor = Math.min(floor, scored.value[k]!);
  const out = new Float64Array(candidates.length);
  order.forEach((i, rank) => (out[i] = rank < top.length ? scored.value[rank]! : floor - 1e-3 - rank * 1e-6));
  return out;
}
