import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { CovisitRecommender } from "./covisit-recommender";
import { EaseRecommender } from "./ease-recommender";
import { IalsRecommender } from "./ials-recommender";
import { FusionRecommender } from "./fusion-recommender";
import { type FunnelKnobs, SERVED_KNOBS } from "../../../shared/funnel/knobs";
import { FunnelRecommender } from "./funnel/funnel-recommender";
import { ServedFunnel } from "./funnel/served-funnel";
import { OFFLINE_SOURCES } from "./funnel/retrieval-stats";
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
import { type RowWeighting } from "../data/weights";

/**
 * The models each protocol reports, in report order. EASE runs where its
 * dense inverse fits (EaseRecommender.skipReason). The fusion and funnel
 * rows reuse the fitted iALS and co-visitation instances; the funnel rows
 * share one served funnel (`items` is the catalogue its content source and
 * features read). `tuned` (an imported log) replaces the constants chosen
 * for MovieLens by what the build's tuning chose on this split's own
 * validation carve: iALS on the transformed weights, the co-visitation
 * options and the funnel's light weights; its rows come weighed already.
 * Otherwise `weighting` (chosen on validation, cli.ts) weighs the rows iALS
 * and the funnel train and fold in on; SAR and co-visitation keep the raw rows.
 */
export function modelLineup(
  protocol: ProtocolName,
  items: readonly CatalogItem[],
  tuned?: TunedChoice,
  weighting: RowWeighting = "binary",
  /** validation-split.ts randomCarveReason: the heavy ranker's label carves are random for this reason. */
  randomCarveBecause?: string,
): Recommender[] {
  const msr = protocol === "msr";
  const ialsOptions = tuned?.ials ?? (msr ? MSR_IALS : TIME_IALS);
  const covisitOptions = tuned?.covisit ?? (msr ? MSR_COVISIT : TIME_COVISIT);
  const covisit = new CovisitRecommender(covisitOptions);
  const rows: RowWeighting = tuned ? "values" : weighting;
  const ials = new IalsRecommender(ialsOptions, rows);
  const fusion = tuned
    ? []
    : [
        new FusionRecommender([
          { model: ials, weight: 1 },
          { model: covisit, weight: msr ? MSR_FUSION_COVISIT_WEIGHT : TIME_FUSION_COVISIT_WEIGHT },
        ]),
      ];
  const ease = new EaseRecommender(EASE_REGULARIZATION);
  const funnelTuning = msr ? MSR_FUNNEL : TIME_FUNNEL;
  // As served by an index that ships the tuned light weights, with exploration off: an offline list must not depend on a coin.
  const served: FunnelKnobs = { ...SERVED_KNOBS, light: tuned?.light ?? funnelTuning.light, policy: { explorationRate: 0 } };
  const relevance: FunnelKnobs = { ...served, policy: { explorationRate: 0, mmrLambda: 1 } };
  // The funnel shares the co-visitation row's fitted lists unless its tuning names lists of its own.
  const funnelCovisit = !tuned && funnelTuning.covisit ? { ...covisitOptions, ...funnelTuning.covisit } : null;
  const funnel = new ServedFunnel(
    items,
    {
      spec: { ials: ialsOptions, covisit: funnelCovisit ?? covisitOptions, recentLimit: funnelTuning.recentLimit, weighting: rows },
      knobs: { ...relevance, heavy: false },
      training: funnelTuning.training,
      carves: (train) => validationMasks(train, protocol, RANKER_CARVES, randomCarveBecause),
    },
    funnelCovisit ? { ials } : { ials, covisit },
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
  return [new PopularityRecommender(), new SarRecommender(), covisit, ease, ials, ...fusion, ...funnelRows];
}
