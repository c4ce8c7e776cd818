import { IalsRecommender } from "./ials-recommender";
import { MSR_IALS, TIME_IALS } from "./ials-tuning";
import { PopularityRecommender } from "./popularity-recommender";
import { type ProtocolName } from "./protocols";
import { type Recommender } from "./recommender";
import { SarRecommender } from "./sar";

/** The models each protocol reports, in report order. */
export function modelLineup(protocol: ProtocolName): Recommender[] {
  return [
    new PopularityRecommender(),
    new SarRecommender(),
    protocol === "msr" ? new IalsRecommender(MSR_IALS) : new IalsRecommender(TIME_IALS),
  ];
}
