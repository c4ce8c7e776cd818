import { type FunnelKnobs } from "../../../../shared/funnel/knobs";
import { ANN_CALIBRATION_K } from "../../../../shared/ranking/ann-request";
import { orderSource, type RankingOrder } from "../../../../shared/ranking/ranking-order";
import { type InteractionTable } from "../../train/interaction-table";
import { type Recommender } from "../recommender";
import { type ServedFunnel } from "./served-funnel";
import { describeTraining } from "../../ranker/train-heavy";
import { DEFAULT_COVISIT, describeLists } from "../../train/covisitation";

/** Items the served list holds for the eval: its k. */
const LIST_SIZE = 10;

/**
 * A report row backed by the served funnel: the list shared/funnel's
 * `runFunnel` serves under `knobs`, its items scored by position. Items
 * outside the list score −Infinity, so nothing else can fill it. Rows
 * sharing one `ServedFunnel` share its fitting.
 */
export class FunnelRecommender implements Recommender {
  readonly params: Record<string, number | string | boolean>;
  private itemIndex = new Map<string, number>();
  private readonly lists = new Map<number, string[]>();

  constructor(
    readonly name: string,
    private readonly funnel: ServedFunnel,
    private readonly knobs: FunnelKnobs,
    /** The order of the list: "served" is the one validation chose (what an index would ship). */
    private readonly order: RankingOrder | "served",
    /** Whether this row reports the funnel's retrieval figures and the ranker's validation comparison (one row does). */
    private readonly reportsStats = false,
  ) {
    const { spec, training } = funnel.options;
    const { quota, light, policy } = knobs;
    this.params = {
      embedding: `ials-${spec.ials.dims}`,
      query: Number.isFinite(spec.recentLimit) ? `fold-in of the ${spec.recentLimit} most recent training items` : "fold-in of the whole training history",
      nprobe: knobs.ann.nprobe ?? "calibrated at build",
      shortlist: knobs.ann.shortlist ?? "calibrated at build",
      covisit_lists: describeLists({ ...DEFAULT_COVISIT, ...spec.covisit }),
      quotas: `ann ${quota.ann}, covisit ${quota.covisit}, content ${quota.content}, popular ${quota.popular}`,
      order: order === "served" ? "chosen on validation" : order,
      light_weights: orderSource(order === "served" ? "light" : order)
        ? "that source alone"
        : light
          ? JSON.stringify({ ...light.source, popularity: light.popularity, affinity: light.affinity })
          : "WARM_LIGHT_WEIGHTS",
      mmr_lambda: policy.mmrLambda ?? "served default",
      exploration: policy.explorationRate ?? "served default",
      ...(order === "served" || order === "heavy"
        ? {
            heavy_top_n: knobs.heavyTopN,
            heavy_model: describeTraining(training),
            ranker_labels: "validation rows carved from train",
          }
        : {}),
    };
  }

  async fit(train: InteractionTable): Promise<void> {
    await this.funnel.fit(train);
    this.itemIndex = new Map(train.itemIds.map((id, i) => [id, i]));
    this.lists.clear();
    const section = this.funnel.annSection();
    if (section?.calibration)
      Object.assign(this.params, {
        nprobe: section.calibration.nprobe,
        // The calibrated shortlist is for 100 results; a request for k keeps its margin beyond k (annShortlist).
        shortlist:
          this.params.shortlist === "calibrated at build"
            ? `${section.calibration.shortlist} for ${ANN_CALIBRATION_K} results, k + ${section.calibration.shortlist - ANN_CALIBRATION_K} beyond`
            : this.params.shortlist,
      });
    if (this.order === "served") this.params.order = this.funnel.choice?.order ?? "light";
  }

  async prepare(users: readonly number[]): Promise<void> {
    for (const user of users)
      this.lists.set(
        user,
        (await this.funnel.list(user, this.knobs, this.order, LIST_SIZE)).map((e) => e.itemId),
      );
  }

  scoreUser(user: number, out: Float64Array): void {
    out.fill(-Infinity);
    const list = this.lists.get(user) ?? [];
    list.forEach((itemId, rank) => (out[this.itemIndex.get(itemId)!] = list.length - rank));
  }

  /** The funnel's retrieval figures and the ranker's validation comparison. */
  stats(): Record<string, number> {
    if (!this.reportsStats) return {};
    const v = this.funnel.validation;
    const duels = Object.fromEntries(
      (this.funnel.choice?.duels ?? []).flatMap((d) => [
        [`choice_${d.challenger}_vs_${d.incumbent}_lead`, round4(d.interval.lead)],
        [`choice_${d.challenger}_vs_${d.incumbent}_ci_lo`, round4(d.interval.lo)],
        [`choice_${d.challenger}_vs_${d.incumbent}_ci_hi`, round4(d.interval.hi)],
      ]),
    );
    const calibration = this.funnel.annSection()?.calibration;
    return {
      ...this.funnel.stats(),
      ...(calibration
        ? { calibration_nprobe: calibration.nprobe, calibration_recall_at_100: calibration.recallAt100, calibration_queries: calibration.queries }
        : {}),
      ranker_valid_ndcg_light: v.light,
      ranker_valid_ndcg_heavy: v.heavy,
      ranker_valid_ndcg_best_source: v.bestSource,
      ...duels,
      ranker_valid_users: v.users,
      ranker_rows: v.rows,
      ranker_seconds: round1(this.funnel.seconds.ranker),
      funnel_build_seconds: round1(this.funnel.seconds.funnel),
    };
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
