import { type SOURCES } from "../ranking/candidate";
import { type LightWeights } from "../ranking/light-rank";
import { type Exploration } from "../ranking/policy/exploration";
import { type PolicyConfig } from "../ranking/policy/policy-config";

/** draft -> running -> stopped, never back. */
export type ExperimentStatus = "draft" | "running" | "stopped";

/**
 * What a variant changes for its users; everything absent is served as
 * everyone else is. Variants of experiments in different layers that set the
 * same knob: the layer first in name order wins (see mergeOverrides).
 */
export interface VariantOverrides {
  /** A published index version to serve from instead of the current one: per-region routing and the publication canary. */
  indexVersion?: string;
  /** Light ranker weights, whole (shared/ranking/light-rank.ts). */
  lightWeights?: LightWeights;
  /** false keeps the light scores (no ONNX ranker); true uses it when the index ships one. */
  heavyRanker?: boolean;
  /** Re-ranking knobs over the configured policy: MMR, exploration rate and slot, freshness, caps, rules. */
  policy?: Partial<PolicyConfig>;
  /** The exploration policy (epsilon-greedy or softmax, its rate or temperature, its first slot), over the policy's epsilon-greedy. */
  exploration?: Exploration;
  /** Candidates each source may contribute. */
  sourceQuotas?: Partial<Record<(typeof SOURCES)[number], number>>;
}

/** Percent of a region's traffic per variant id; each region's shares sum to 100. */
export type RegionAllocation = Record<string, number>;

/**
 * An experiment as stored. Buckets are basis points (0..9999):
 * - `trafficStart`..`trafficEnd` (end exclusive) is the range of the layer's
 *   buckets (hash of "layer:" + layer) the experiment owns: its traffic share,
 *   disjoint from every other unstopped experiment of the layer;
 * - inside it, the unit's bucket under `salt` picks the variant through the
 *   allocation of the unit's region (its region at first exposure), or
 *   `default`.
 */
export interface Experiment {
  id: string;
  name: string;
  layer: string;
  salt: string;
  status: ExperimentStatus;
  trafficStart: number;
  trafficEnd: number;
  /** The variant the others are compared against. */
  control: string;
  /** Variant ids in allocation order, with their overrides. */
  variants: { id: string; overrides: VariantOverrides }[];
  /** Lower-case country code or "default" -> allocation. */
  allocation: Record<string, RegionAllocation>;
  /** Surfaces it applies to; empty = all. */
  surfaces: string[];
  createdAtMs: number;
  updatedAtMs: number;
  startedAtMs: number | null;
  stoppedAtMs: number | null;
}

/** The global holdout: units whose bucket under `salt` lies in [start, end) are in no experiment and served the defaults. */
export interface Holdout {
  salt: string;
  start: number;
  end: number;
}

export const NO_HOLDOUT: Holdout = { salt: "holdout", start: 0, end: 0 };

/** What the serving path needs: running experiments and the holdout. */
export interface ExperimentSet {
  running: Experiment[];
  holdout: Holdout;
}

/** The layer hash's salt: a unit's place in a layer is independent of every other layer and of the variant hash. */
export const layerSalt = (layer: string): string => `layer:${layer}`;

/** An isolate serves its copy of the running experiments this long before it reads D1 again: a change reaches every isolate within about this. */
export const EXPERIMENTS_FRESH_MS = 10_000;
