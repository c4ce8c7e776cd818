import { distinctHistories, EASE_MAX_ITEMS, easeWeights } from "../train/ease";
import { type InteractionTable } from "../train/interaction-table";
import { type Recommender } from "./recommender";

/**
 * EASE^R (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"):
 * B = I − P·diagMat(1/diag(P)) with P = (XᵀX + λI)⁻¹ on the binary matrix X,
 * scores = X·B. A closed form, so it is a strong, deterministic reference; the
 * dense item×item inverse limits it to catalogues of a few thousand items
 * (EASE_MAX_ITEMS): `skipReason` says so before anything is allocated.
 */
export class EaseRecommender implements Recommender {
  readonly name = "ease";
  readonly params: Record<string, number>;
  /** Size nItems*nItems, row-major. */
  weights: Float64Array = new Float64Array(0);
  private nItems = 0;
  private history: number[][] = [];

  /** `regularization` is Steck's λ. */
  constructor(private readonly regularization: number) {
    this.params = { regularization };
  }

  skipReason(train: InteractionTable): string | null {
    const n = train.itemIds.length;
    if (n <= EASE_MAX_ITEMS) return null;
    const gib = (n * n * 8 * 2) / 2 ** 30;
    return `${n} items need two dense ${n}×${n} float64 matrices (${gib.toFixed(1)} GiB) for the inverse; EASE runs up to ${EASE_MAX_ITEMS} items`;
  }

  fit(train: InteractionTable): void {
    const skip = this.skipReason(train);
    if (skip) throw new Error(`ease: ${skip}`);
    this.nItems = train.itemIds.length;
    this.history = distinctHistories(train);
    this.weights = easeWeights(this.history, this.nItems, this.regularization);
  }

  scoreUser(user: number, out: Float64Array): void {
    out.fill(0);
    const n = this.nItems;
    for (const i of this.history[user] ?? []) {
      const row = i * n;
      for (let j = 0; j < n; j++) out[j]! += this.weights[row + j]!;
    }
  }
}
