import { type Source } from "../ranking/candidate";
import { type LightWeights } from "../ranking/light-rank";
import { type Exploration } from "../ranking/policy/exploration";
import { type PolicyConfig } from "../ranking/policy/policy-config";

/**
 * What a caller may turn on one request of the funnel: the served defaults
 * (SERVED_KNOBS), an experiment variant's overrides, or an offline
 * evaluation's grid point. Everything else is the index's and the config's.
 */
export interface FunnelKnobs {
  /** How many candidates each source may contribute. */
  quota: Record<Source, number>;
  /** Inverted lists probed (faiss: nprobe) and PQ candidates re-scored; null: the index's calibration. */
  ann: { nprobe: number | null; shortlist: number | null };
  /** Light-ranker weights for a user with a vector; null: the index's own (else WARM_LIGHT_WEIGHTS). */
  light: LightWeights | null;
  /** Whether the heavy ranker may order the list (when the index ships one). */
  heavy: boolean;
  /** Candidates the heavy ranker scores: the light ranker's best; the rest follow in light order. */
  heavyTopN: number;
  /** Applied over the configured policy of the surface. */
  policy: Partial<PolicyConfig>;
  /** The exploration policy; null: the surface policy's epsilon-greedy (its explorationRate from explorationFrom). */
  exploration: Exploration | null;
}

export const SERVED_KNOBS: FunnelKnobs = {
  quota: { ann: 150, covisit: 100, context: 100, trending: 50, content: 60, fresh: 10, editorial: 20, popular: 100 },
  ann: { nprobe: null, shortlist: null },
  light: null,
  heavy: true,
  heavyTopN: 100,
  policy: {},
  exploration: null,
};

/** Wall-clock budgets (ms) of the stages that wait on I/O. */
export const STAGE_BUDGET_MS = { data: 1500, vectors: 300, ann: 300, trending: 150, overlay: 300, config: 100, availability: 200, heavy: 100 };
