import { CovisitRecommender } from "./covisit-recommender";
import { EaseRecommender } from "./ease-recommender";
import { IalsRecommender } from "./ials-recommender";
import { EASE_REGULARIZATION, MSR_COVISIT, MSR_IALS, TIME_IALS } from "./ials-tuning";
import { PopularityRecommender } from "./popularity-recommender";
import { type ProtocolName } from "./protocols";
import { type Recommender } from "./recommender";
import { SarRecommender } from "./sar";

/**
 * The models each protocol reports, in report order. EASE needs an
 * item×item inverse, so it only runs on the small ML-100K catalogue.
 */
export function modelLineup(protocol: ProtocolName): Recommender[] {
  const common = [new PopularityRecommender(), new SarRecommender(), new CovisitRecommender(MSR_COVISIT)];
  return protocol === "msr"
    ? [...common, new EaseRecommender(EASE_REGULARIZATION), new IalsRecommender(MSR_IALS)]
    : [...common, new IalsRecommender(TIME_IALS)];
}
