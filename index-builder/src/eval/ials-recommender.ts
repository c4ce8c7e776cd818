import { type RowWeighting, weighTable } from "../data/weights";
import { DEFAULT_IALS, type IalsFactors, type IalsOptions, trainImplicitAls } from "../train/implicit-als";
import { type InteractionTable } from "../train/interaction-table";
import { userItemMatrix } from "../train/train-ials";
import { type Recommender } from "./recommender";

/** Implicit ALS with exact scoring: every item's dot product with the user vector. */
export class IalsRecommender implements Recommender {
  readonly name: string;
  readonly params: Record<string, number>;
  factors: IalsFactors | null = null;
  private fittedOn: InteractionTable | null = null;
  private readonly options: IalsOptions;

  /**
   * `weighting`: "binary" treats every training row as weight 1 (the MSR
   * protocol counts every rating, even 1 star, as relevant); "values" takes
   * the table's values as signed weights; a transform weighs the values
   * (ratings, counts) as data/weights.ts says.
   */
  constructor(
    options: Partial<IalsOptions> = {},
    private readonly weighting: RowWeighting = "binary",
    name?: string,
  ) {
    this.options = { ...DEFAULT_IALS, ...options };
    this.name = name ?? `ials-${this.options.dims}`;
    const { dims, sweeps, cgSteps, seed, alpha, regularization, regExponent, initScale } = this.options;
    this.params = { dims, sweeps, cgSteps, seed, alpha, regularization, regExponent, initScale };
  }

  fit(train: InteractionTable): void {
    // A fusion row reuses the instance its standalone row already fitted on the same table.
    if (this.fittedOn === train) return;
    this.fittedOn = train;
    const table = weighTable(train, this.weighting);
    this.factors = trainImplicitAls(userItemMatrix(table), this.options);
  }

  scoreUser(user: number, out: Float64Array): void {
    const f = this.factors;
    if (!f) throw new Error("IalsRecommender.scoreUser before fit");
    const d = f.dims;
    const x = f.userVectors.subarray(user * d, user * d + d);
    const y = f.itemVectors;
    for (let i = 0; i < out.length; i++) {
      let s = 0;
      const base = i * d;
      for (let j = 0; j < d; j++) s += x[j]! * y[base + j]!;
      out[i] = s;
    }
  }
}
