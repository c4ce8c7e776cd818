import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { CovisitRecommender } from "./covisit-recommender";
import { EaseRecommender } from "./ease-recommender";
import { IalsRecommender } from "./ials-recommender";
import { type FunnelKnobs, SERVED_KNOBS } from "../../../shared/funnel/knobs";
import { FunnelRecommender } from "./funnel/funnel-recommender";
import { ServedFunnel } from "./funnel/served-funnel";
import { OFFLINE_SOURCES } from "./funnel/retrieval-stats";
import { EASE_REGULARIZATION, FUNNEL } from "./tuned-params";
import { PopularityRecommender } from "./popularity-recommender";
import { type Recommender } from "./recommender";
import { SarRecommender } from "./sar";
import { validationCarve } from "./validation-split";
import { type TunedChoice } from "../build/tuning-choice";

/**
 * The models an evaluation reports, in report order, under the choices the
 * build's tuning made on the split's own validation carve (`tuned`): iALS
 * on the transformed weights (the rows come weighed already), the
 * co-visitation options and the funnel's light weights. EASE runs where its
 * dense inverse fits (EaseRecommender.skipReason). The funnel rows share one
 * served funnel (`items` is the catalogue its content source and features
 * read), which reuses the fitted iALS and co-visitation instances; its heavy
 * ranker learns from the same kind of validation carve tuning used.
 */
export function modelLineup(
  items: readonly CatalogItem[],
  tuned: TunedChoice,
  /** validation-split.ts randomCarveReason: the heavy ranker's label carves are random for this reason. */
  randomCarveBecause?: string,
): Recommender[] {
  const covisit = new CovisitRecommender(tuned.covisit);
  const ials = new IalsRecommender(tuned.ials, "values");
  const ease = new EaseRecommender(EASE_REGULARIZATION);
  // As served by an index that ships the tuned light weights, with exploration off: an offline list must not depend on a coin.
  const served: FunnelKnobs = { ...SERVED_KNOBS, light: tuned.light, policy: { explorationRate: 0 } };
  const relevance: FunnelKnobs = { ...served, policy: { explorationRate: 0, mmrLambda: 1 } };
  const funnel = new ServedFunnel(
    items,
    {
      spec: { ials: tuned.ials, covisit: tuned.covisit, recentLimit: FUNNEL.recentLimit, weighting: "values" },
      knobs: { ...relevance, heavy: false },
      training: FUNNEL.training,
      // The carve tuning used: each user's most recent 20%, or a seeded random 20% (validation-split.ts).
      carves: (train) => [validationCarve(train, randomCarveBecause).mask],
    },
    { ials, covisit },
  );
  // `funnel` is the served policy (MMR λ DEFAULT_POLICY.mmrLambda) in the order validation chose; the -relevance rows rank by relevance only (λ 1).
  const funnelRows = [
    new FunnelRecommender("funnel", funnel, served, "served", true),
    new FunnelRecommender("funnel-relevance", funnel, relevance, "served"),
    new FunnelRecommender("funnel-heavy", funnel, served, "heavy"),
    new FunnelRecommender("funnel-light", funnel, served, "light"),
    ...OFFLINE_SOURCES.map((s) => new FunnelRecommender(`funnel-source-${s}`, funnel, served, `source:${s}`)),
    new FunnelRecommender("funnel-light-relevance", funnel, relevance, "light"),
    // The Worker's own light weights for a user with a vector (WARM_LIGHT_WEIGHTS), for an index that ships none.
    new FunnelRecommender("funnel-light-worker-weights", funnel, { ...served, light: null }, "light"),
  ];
  return [new PopularityRecommender(), new SarRecommender(), covisit, ease, ials, ...funnelRows];
}
