import { type InteractionTable } from "../../train/interaction-table";
import { type Recommender } from "../recommender";
import { annKnobsOf } from "./funnel-candidates";
import { type FunnelRanking } from "./funnel-order";
import { type ServedFunnel } from "./served-funnel";

/** Items the served list holds for the eval: its k. */
const LIST_SIZE = 10;

/** How one report row orders the shared funnel's candidates. */
export type FunnelVariant = Omit<FunnelRanking, "heavy"> & { heavy: boolean };

/**
 * A report row backed by the served funnel: the list the funnel would serve
 * under `variant`, its items scored by position. Items outside the list
 * score −Infinity, so nothing else can fill it. Rows sharing one
 * `ServedFunnel` share its fitting and candidate generation.
 */
export class FunnelRecommender implements Recommender {
  readonly params: Record<string, number | string | boolean>;
  private itemIndex = new Map<string, number>();

  constructor(
    readonly name: string,
    private readonly funnel: ServedFunnel,
    private readonly variant: FunnelVariant,
  ) {
    const { spec, training } = funnel.options;
    const { quota } = spec.knobs;
    this.params = {
      embedding: `ials-${spec.ials.dims}`,
      query: Number.isFinite(spec.recentLimit) ? `fold-in of the ${spec.recentLimit} most recent training items` : "fold-in of the whole training history",
      nprobe: spec.knobs.nprobe ?? "calibrated at build",
      shortlist: spec.knobs.shortlist ?? "calibrated at build",
      quotas: `ann ${quota.ann}, covisit ${quota.covisit}, content ${quota.content}, popular ${quota.popular}`,
      light_weights: JSON.stringify({ ...variant.light.source, popularity: variant.light.popularity, affinity: variant.light.affinity }),
      mmr_lambda: variant.policy.mmrLambda,
      exploration: variant.policy.explorationRate,
      ...(variant.heavy
        ? { heavy_top_n: variant.heavyTopN, mlp: `${training.loss} [${training.hidden.join(",")}] ${training.epochs} epochs l2 ${training.l2}`, ranker_labels: "validation rows carved from train" }
        : {}),
    };
  }

  fit(train: InteractionTable): void {
    this.funnel.fit(train);
    this.itemIndex = new Map(train.itemIds.map((id, i) => [id, i]));
    const section = this.funnel.annSection();
    if (section) Object.assign(this.params, annKnobsOf(section, this.funnel.options.spec.knobs));
    if (this.variant.heavy) this.params.heavy_shipped = this.funnel.heavy !== null;
  }

  scoreUser(user: number, out: Float64Array): void {
    out.fill(-Infinity);
    const list = this.funnel.list(user, this.variant, LIST_SIZE);
    list.forEach((c, rank) => (out[this.itemIndex.get(c.itemId)!] = list.length - rank));
  }

  /** The funnel's retrieval figures and the ranker's validation comparison, on the first heavy row only. */
  stats(): Record<string, number> {
    if (!this.variant.heavy || this.variant.policy.mmrLambda !== 1) return {};
    const v = this.funnel.validation;
    const calibration = this.funnel.annSection()?.calibration;
    return {
      ...this.funnel.stats(),
      ...(calibration ? { calibration_nprobe: calibration.nprobe, calibration_recall_at_100: calibration.recallAt100, calibration_queries: calibration.queries } : {}),
      ranker_valid_ndcg_light: v.light,
      ranker_valid_ndcg_heavy: v.heavy,
      ranker_valid_users: v.users,
      ranker_rows: v.rows,
      ranker_seconds: round1(this.funnel.seconds.ranker),
      funnel_build_seconds: round1(this.funnel.seconds.funnel),
    };
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
