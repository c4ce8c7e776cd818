import { type InteractionTable } from "../train/interaction-table";
import { type Recommender } from "./recommender";

/** Training interaction counts; the harness's top-k breaks ties to the lower item id. */
export class PopularityRecommender implements Recommender {
  readonly name = "popularity";
  readonly params = {};
  private counts = new Float64Array(0);

  fit(train: InteractionTable): void {
    this.counts = new Float64Array(train.itemIds.length);
    for (const i of train.items) this.counts[i]! += 1;
  }

  scoreUser(_user: number, out: Float64Array): void {
    out.set(this.counts);
  }
}
