import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { CovisitRecommender } from "./covisit-recommender";
import { EaseRecommender } from "./ease-recommender";
import { IalsRecommender } from "./ials-recommender";
import { FusionRecommender } from "./fusion-recommender";
import { SERVED_KNOBS } from "./funnel/funnel-candidates";
import { FunnelRecommender } from "./funnel/funnel-recommender";
import { SERVED_RANKING } from "./funnel/funnel-order";
import { ServedFunnel } from "./funnel/served-funnel";
import {
  EASE_REGULARIZATION,
  MSR_COVISIT,
  MSR_FUNNEL,
  MSR_FUSION_COVISIT_WEIGHT,
  MSR_IALS,
  RANKER_CARVES,
  TIME_COVISIT,
  TIME_FUNNEL,
  TIME_FUSION_COVISIT_WEIGHT,
  TIME_IALS,
} from "./tuned-params";
import { PopularityRecommender } from "./popularity-recommender";
import { type ProtocolName } from "./protocols";
import { type Recommender } from "./recommender";
import { SarRecommender } from "./sar";
import { validationMasks } from "./validation-split";
import { type TunedChoice } from "../build/tuning-choice";

/**
 * The models each protocol reports, in report order. EASE runs where its
 * dense inverse fits (EaseRecommender.skipReason). The fusion and funnel
 * rows reuse the fitted iALS and co-visitation instances; `funnel` and
 * `funnel-light` share one served funnel (`items` is the catalogue its
 * content source and features read). `tuned` (an imported log) replaces the
 * constants chosen for MovieLens by what the build's tuning chose on this
 * split's own validation carve: iALS on the transformed weights, the
 * co-visitation options and the funnel's light weights; the funnel itself
 * still trains and folds in binary rows (eval/funnel/funnel-fit.ts).
 */
export function modelLineup(protocol: ProtocolName, items: readonly CatalogItem[], tuned?: TunedChoice): Recommender[] {
  const msr = protocol === "msr";
  const ialsOptions = tuned?.ials ?? (msr ? MSR_IALS : TIME_IALS);
  const covisitOptions = tuned?.covisit ?? (msr ? MSR_COVISIT : TIME_COVISIT);
  const covisit = new CovisitRecommender(covisitOptions);
  const ials = tuned ? new IalsRecommender(tuned.ials, false) : new IalsRecommender(ialsOptions);
  const fusion = tuned
    ? []
    : [new FusionRecommender([
        { model: ials, weight: 1 },
        { model: covisit, weight: msr ? MSR_FUSION_COVISIT_WEIGHT : TIME_FUSION_COVISIT_WEIGHT },
      ])];
  const ease = new EaseRecommender(EASE_REGULARIZATION);
  const funnelTuning = msr ? MSR_FUNNEL : TIME_FUNNEL;
  const ranking = { ...SERVED_RANKING, light: tuned?.light ?? funnelTuning.light, policy: { ...SERVED_RANKING.policy, mmrLambda: 1 } };
  const served = new ServedFunnel(
    items,
    {
      spec: { ials: ialsOptions, covisit: covisitOptions, knobs: SERVED_KNOBS, recentLimit: funnelTuning.recentLimit },
      ranking,
      training: funnelTuning.training,
      carves: (train) => validationMasks(train, protocol, RANKER_CARVES),
    },
    // Weighted iALS factors would not match the funnel's binary fold-in: with `tuned` it trains its own.
    tuned ? { covisit } : { ials, covisit },
  );
  // Relevance only (MMR λ = 1) in the main rows; the -mmr0.8 row applies the served default policy's diversity.
  const funnel = [
    new FunnelRecommender("funnel", served, { ...ranking, heavy: true }),
    new FunnelRecommender("funnel-light", served, { ...ranking, heavy: false }),
    new FunnelRecommender("funnel-mmr0.8", served, { ...ranking, heavy: true, policy: SERVED_RANKING.policy }),
    new FunnelRecommender("funnel-light-worker-weights", served, { ...ranking, light: SERVED_RANKING.light, heavy: false }),
  ];
  return [new PopularityRecommender(), new SarRecommender(), covisit, ease, ials, ...fusion, ...funnel];
}
