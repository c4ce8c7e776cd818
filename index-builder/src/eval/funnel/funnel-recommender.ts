import { type InteractionTable } from "../../train/interaction-table";
import { type Recommender } from "../recommender";
import { type ServedFunnel } from "./served-funnel";

/** Items the served list holds for the eval: its k. */
const LIST_SIZE = 10;

/**
 * A report row backed by the served funnel: the list the funnel would serve
 * (with or without the heavy ranker), its items scored by position. Items
 * outside the list score −Infinity, so nothing else can fill it.
 */
export class FunnelRecommender implements Recommender {
  readonly params: Record<string, number | string | boolean>;
  private itemIndex = new Map<string, number>();

  constructor(
    readonly name: string,
    private readonly funnel: ServedFunnel,
    private readonly heavy: boolean,
  ) {
    const { spec, ranking, training } = funnel.options;
    const { quota } = spec.knobs;
    this.params = {
      embedding: `ials-${spec.ials.dims}`,
      query: Number.isFinite(spec.recentLimit) ? `fold-in of the ${spec.recentLimit} most recent training items` : "fold-in of the whole training history",
      nprobe: spec.knobs.nprobe,
      shortlist: spec.knobs.shortlist,
      quotas: `ann ${quota.ann}, covisit ${quota.covisit}, content ${quota.content}, popular ${quota.popular}`,
      light_weights: JSON.stringify(ranking.light.source),
      mmr_lambda: ranking.policy.mmrLambda,
      exploration: ranking.policy.explorationRate,
      ...(heavy ? { heavy_top_n: ranking.heavyTopN, mlp: `${training.loss} [${training.hidden.join(",")}] ${training.epochs} epochs`, ranker_labels: "validation rows carved from train" } : {}),
    };
  }

  fit(train: InteractionTable): void {
    this.funnel.fit(train);
    this.itemIndex = new Map(train.itemIds.map((id, i) => [id, i]));
  }

  scoreUser(user: number, out: Float64Array): void {
    out.fill(-Infinity);
    const list = this.funnel.list(user, this.heavy, LIST_SIZE);
    list.forEach((c, rank) => (out[this.itemIndex.get(c.itemId)!] = list.length - rank));
  }

  stats(): Record<string, number> {
    return this.heavy ? { ...this.funnel.stats(), ranker_seconds: round1(this.funnel.seconds.ranker), funnel_build_seconds: round1(this.funnel.seconds.funnel) } : {};
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
