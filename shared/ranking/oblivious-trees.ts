import { AppError } from "../errors";

/**
 * An ensemble of oblivious (symmetric) decision trees, the heavy ranker's
 * tree model: every node of a tree's level d tests the same feature against
 * the same threshold, so a row's leaf is the number whose bit d is
 * [x[feature(t, d)] > threshold(t, d)], and the score is `bias` plus the sum
 * of each tree's leaf value. That form needs no branching, so the ONNX export
 * (onnx-trees.ts) computes it with Gather, Greater, Cast, MatMul by powers of
 * two and a Gather of leaf values: standard operators onnxruntime-web runs.
 */
export interface ObliviousForest {
  /** Width of a feature row. */
  inputs: number;
  /** Levels of every tree (1..MAX_TREE_DEPTH); a tree has 2^depth leaves. */
  depth: number;
  /** Size trees·depth: the feature tested at level d of tree t, at t·depth + d. */
  features: Int32Array;
  /** Size trees·depth: a row goes to the bit-1 side of level d when its feature is greater than this. */
  thresholds: Float32Array;
  /** Size trees·2^depth: leaf values of tree t at t·2^depth + leaf. */
  leaves: Float32Array;
  /** Added to every score. */
  bias: number;
  /**
   * A linear start the trees correct: `weight`·x[`feature`] is added to every
   * score (LambdaMART boosted from an existing order, here the light ranker's
   * rank, rather than from zero). Weight 0: none.
   */
  prior: { feature: number; weight: number };
}

/** 2^8 leaves a tree: deeper oblivious trees overfit a few hundred requests and grow the model 2× a level. */
export const MAX_TREE_DEPTH = 8;

/** Number of trees of `forest`. */
export function forestTrees(forest: ObliviousForest): number {
  return forest.depth > 0 ? forest.features.length / forest.depth : 0;
}

/** Throws unless the arrays agree with each other and every feature index is a column of a row. */
export function checkForest(forest: ObliviousForest): void {
  const { inputs, depth, features, thresholds, leaves } = forest;
  const bad = (why: string) => {
    throw new AppError("invalid_manifest", `oblivious forest: ${why}`);
  };
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_TREE_DEPTH) bad(`depth ${depth} is not 1..${MAX_TREE_DEPTH}`);
  if (features.length % depth !== 0 || thresholds.length !== features.length) bad("features and thresholds must have trees·depth entries");
  if (leaves.length !== (features.length / depth) * 2 ** depth) bad("leaves must have trees·2^depth entries");
  for (const f of [...features, forest.prior.feature]) if (!Number.isInteger(f) || f < 0 || f >= inputs) bad(`feature ${f} is not a column of ${inputs}`);
}

/**
 * Scores `n` rows of `rows` (size n·inputs, row-major) into `out` (size n).
 * The comparisons are float32 against float32, exact as in ONNX Runtime;
 * the leaf values are summed in float64 and rounded once, so the two agree
 * to float32 rounding of the sum.
 */
export function forestScore(forest: ObliviousForest, rows: Float32Array, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
  const { inputs, depth, features, thresholds, leaves } = forest;
  const trees = forestTrees(forest);
  const width = 2 ** depth;
  for (let r = 0; r < n; r++) {
    const at = r * inputs;
    let sum = forest.bias + Math.fround(forest.prior.weight * rows[at + forest.prior.feature]!);
    for (let t = 0; t < trees; t++) {
      let leaf = 0;
      const base = t * depth;
      for (let d = 0; d < depth; d++) if (rows[at + features[base + d]!]! > thresholds[base + d]!) leaf |= 1 << d;
      sum += leaves[t * width + leaf]!;
    }
    out[r] = sum;
  }
  return out;
}
