import { type InteractionTable } from "../train/interaction-table";
import { type Recommender } from "./recommender";

/**
 * A weighted sum of other models' scores, each standardised per user (mean 0,
 * unit deviation over the catalogue) so that scales do not matter: the
 * offline stand-in for fusing candidate sources before the ranker.
 */
export class FusionRecommender implements Recommender {
  readonly name: string;
  readonly params: Record<string, number | string>;
  private scratch = new Float64Array(0);

  constructor(
    private readonly parts: readonly { model: Recommender; weight: number }[],
    name?: string,
  ) {
    this.name = name ?? parts.map((p) => p.model.name).join("+");
    this.params = Object.fromEntries(parts.map((p) => [`weight_${p.model.name}`, p.weight]));
  }

  fit(train: InteractionTable): void {
    for (const { model } of this.parts) model.fit(train);
    this.scratch = new Float64Array(train.itemIds.length);
  }

  scoreUser(user: number, out: Float64Array): void {
    out.fill(0);
    const s = this.scratch;
    for (const { model, weight } of this.parts) {
      model.scoreUser(user, s);
      let mean = 0;
      let count = 0;
      for (const v of s) {
        if (v > -1e29) {
          mean += v;
          count++;
        }
      }
      mean /= Math.max(1, count);
      let variance = 0;
      for (const v of s) if (v > -1e29) variance += (v - mean) ** 2;
      const scale = weight / (Math.sqrt(variance / Math.max(1, count)) || 1);
      // Items a source has no evidence for (covisit's −1e30) get that source's mean.
      for (let i = 0; i < out.length; i++) out[i]! += s[i]! > -1e29 ? (s[i]! - mean) * scale : 0;
    }
  }
}
