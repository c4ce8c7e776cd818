import { type LightWeights } from "../../../shared/ranking/light-rank";
import { type WeightTransform } from "../data/weights";
import { type CarveReport } from "../eval/carve-check";
import { type CovisitOptions, windowHours } from "../train/covisitation";
import { type IalsOptions } from "../train/implicit-als";

/** Everything the build picks on validation: the weight transform, iALS, co-visitation and the light weights. */
export interface TunedChoice {
  transform: WeightTransform;
  ials: IalsOptions;
  covisit: CovisitOptions;
  light: LightWeights;
}

/** One point of the grid tried, and its validation nDCG@10. */
export interface TuningTrial {
  stage: "ials" | "covisit" | "light";
  params: Record<string, number | string>;
  ndcgAt10: number;
  seconds: number;
}

/** What tuning did, for the manifest and the build log. */
export interface TuningReport {
  /** The validation carve of the training rows every trial was scored on. */
  carve: CarveReport;
  /** Why the start point was kept untuned (an unsound carve), or null. */
  skipped: string | null;
  /** CPU seconds of the process (tune-on-validation.ts), allowed and spent; and the wall-clock time it took. */
  budgetSeconds: number;
  spentSeconds: number;
  wallSeconds: number;
  /** Whether the budget stopped the walk before the grid's end. */
  budgetCut: boolean;
  /** Validation nDCG@10 of the start point and of the choice, per stage. */
  start: Record<TuningTrial["stage"], number>;
  best: Record<TuningTrial["stage"], number>;
  trials: TuningTrial[];
  /**
   * The light stage's guard against choosing on noise (light-choice.ts): the
   * grid's best point against the ANN order, the lead of the cross-fitted
   * choice with its 95% bootstrap interval, and whether the best point
   * shipped; null when the stage did not run.
   */
  lightCheck: {
    baseline: Record<string, number | string>;
    best: Record<string, number | string>;
    bestNdcgAt10: number;
    baselineNdcgAt10: number;
    crossFittedLead: number;
    lo: number;
    hi: number;
    kept: boolean;
  } | null;
  /** The choice, as JSON-safe values. */
  choice: {
    transform: WeightTransform;
    ials: Pick<IalsOptions, "dims" | "alpha" | "regularization" | "regExponent" | "sweeps">;
    covisit: {
      topN: number;
      halfLifeDays: number | null;
      minUsers: number;
      windowHours: number | null;
      /** "sar" (time-decayed Jaccard) or a linear autoencoder's lists, with their λ, DLAE's dropout and the head it was fitted on. */
      similarity: NonNullable<CovisitOptions["similarity"]>;
      regularization?: number;
      dropout?: number;
      head?: number;
    };
    light: LightWeights;
  };
}

export function choiceForReport(choice: TunedChoice): TuningReport["choice"] {
  const { dims, alpha, regularization, regExponent, sweeps } = choice.ials;
  const { topN, halfLifeSec, minUsers } = choice.covisit;
  return {
    transform: choice.transform,
    ials: { dims, alpha, regularization, regExponent, sweeps },
    covisit: {
      topN,
      halfLifeDays: Number.isFinite(halfLifeSec) ? halfLifeSec / 86_400 : null,
      minUsers,
      windowHours: windowHours(choice.covisit),
      similarity: choice.covisit.similarity ?? "sar",
      ...(choice.covisit.similarity === "ease" || choice.covisit.similarity === "dlae" ? { regularization: choice.covisit.easeRegularization } : {}),
      ...(choice.covisit.similarity === "dlae" ? { dropout: choice.covisit.dlaeDropout } : {}),
      ...(choice.covisit.similarity === "dlae" && choice.covisit.dlaeHead !== undefined ? { head: choice.covisit.dlaeHead } : {}),
    },
    light: choice.light,
  };
}
