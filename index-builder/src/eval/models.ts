import { CovisitRecommender } from "./covisit-recommender";
import { EaseRecommender } from "./ease-recommender";
import { IalsRecommender } from "./ials-recommender";
import { FusionRecommender } from "./fusion-recommender";
import {
  EASE_REGULARIZATION,
  MSR_COVISIT,
  MSR_FUSION_COVISIT_WEIGHT,
  MSR_IALS,
  TIME_COVISIT,
  TIME_FUSION_COVISIT_WEIGHT,
  TIME_IALS,
} from "./tuned-params";
import { PopularityRecommender } from "./popularity-recommender";
import { type ProtocolName } from "./protocols";
import { type Recommender } from "./recommender";
import { SarRecommender } from "./sar";

/**
 * The models each protocol reports, in report order. EASE needs an
 * item×item inverse, so it only runs on the small ML-100K catalogue. The
 * fusion row reuses the fitted iALS and co-visitation instances.
 */
export function modelLineup(protocol: ProtocolName): Recommender[] {
  const msr = protocol === "msr";
  const covisit = new CovisitRecommender(msr ? MSR_COVISIT : TIME_COVISIT);
  const ials = new IalsRecommender(msr ? MSR_IALS : TIME_IALS);
  const fusion = new FusionRecommender([
    { model: ials, weight: 1 },
    { model: covisit, weight: msr ? MSR_FUSION_COVISIT_WEIGHT : TIME_FUSION_COVISIT_WEIGHT },
  ]);
  const ease = msr ? [new EaseRecommender(EASE_REGULARIZATION)] : [];
  return [new PopularityRecommender(), new SarRecommender(), covisit, ...ease, ials, fusion];
}
