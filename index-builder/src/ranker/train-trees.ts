import { AppError } from "../../../shared/errors";
import { MAX_TREE_DEPTH, type ObliviousForest } from "../../../shared/ranking/oblivious-trees";
import { mulberry32 } from "../train/seeded-random";
import { LAMBDA_SIGMA, listDiscounts } from "./lambdarank";

/**
 * LambdaMART (Burges 2010, "From RankNet to LambdaRank to LambdaMART: An
 * Overview", §7): gradient-boosted trees whose gradients are LambdaRank's
 * lambdas, each leaf value a Newton step −ΣG/(ΣH + λ) with the second
 * derivatives of the same pairwise loss. The trees are oblivious (one
 * feature and threshold per level, as CatBoost grows them, Prokhorenkova et
 * al. 2018), chosen level by level to maximise the usual second-order gain
 * Σ_leaves G²/(H + λ) over quantile thresholds of each feature.
 */
export interface TreeTrainOptions {
  trees: number;
  depth: number;
  /** Shrinkage of every leaf value. */
  learningRate: number;
  /** λ of the leaf values' L2 penalty (in hessian units). */
  l2: number;
  /** Candidate thresholds per feature: at most this many quantiles of its training values. */
  bins: number;
  /** The k of the |ΔnDCG@k| that weighs each pair (pairs below k on both sides weigh 0). */
  ndcgAt: number;
  /** Share of the training lists each tree sees (stochastic gradient boosting, Friedman 2002); 1: all. */
  groupSample: number;
  /** Largest |Newton step| of a leaf before shrinkage (LightGBM's max_delta_step): where the pairs are far apart the hessian vanishes and −G/H would explode. */
  maxStep: number;
  /** A split is taken only when every leaf it makes has at least this hessian mass (else the level is the last). */
  minLeafHessian: number;
  /** The column the trees start from (weight·x[feature]) and its weight; weight 0 starts from zero. */
  prior: { feature: number; weight: number };
  seed: number;
}

/**
 * Chosen on the eval's validation carves (docs/movielens-hand-tuning.md, cross-fitted over two halves of the
 * validation users): depth 4, 150 trees at shrinkage 0.02 stayed closest to the light order on
 * ML-100K and ahead of it (within noise) on ml-latest-small.
 */
export const DEFAULT_TREE_TRAINING: TreeTrainOptions = {
  trees: 150,
  depth: 4,
  learningRate: 0.02,
  l2: 10,
  bins: 64,
  ndcgAt: 10,
  groupSample: 1,
  maxStep: 1,
  minLeafHessian: 0,
  prior: { feature: 0, weight: 0 },
  seed: 7,
};

/** Rows grouped by request: rows of group g are groupStart[g]..groupStart[g+1). */
export interface GroupedRows {
  features: Float32Array;
  labels: Uint8Array;
  groupStart: Uint32Array;
}

export interface TreeTrainReport {
  /** Mean pairwise loss over the training lists before each tree (the first: at score 0). */
  loss: number[];
  /** Times each feature was chosen for a level, by column. */
  featureUse: number[];
}

/**
 * Trains an oblivious forest by LambdaMART on the lists of `data`; lists
 * without both a positive and a negative teach nothing and are skipped.
 * `onTree` sees the forest after each tree (for choosing the tree count on
 * held-out lists).
 */
export function trainTrees(
  data: GroupedRows,
  inputs: number,
  options: TreeTrainOptions = DEFAULT_TREE_TRAINING,
  onTree?: (forest: ObliviousForest, trees: number) => void,
): { forest: ObliviousForest; report: TreeTrainReport } {
  const { depth } = options;
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_TREE_DEPTH) throw new AppError("internal", `tree depth ${depth} is not 1..${MAX_TREE_DEPTH}`);
  const n = data.labels.length;
  const { thresholds, bins } = binFeatures(data.features, n, inputs, options.bins);
  const groups = teachingGroups(data);
  const { prior } = options;
  const scores = Float64Array.from({ length: n }, (_, r) => Math.fround(prior.weight * data.features[r * inputs + prior.feature]!));
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const leafOf = new Uint32Array(n);
  const width = 2 ** depth;
  const maxBins = Math.max(1, ...thresholds.map((t) => t.length + 1));
  const histG = new Float64Array(width * inputs * maxBins);
  const histH = new Float64Array(width * inputs * maxBins);
  const features: number[] = [];
  const cuts: number[] = [];
  const leaves: number[] = [];
  const loss: number[] = [];
  const featureUse = new Array<number>(inputs).fill(0);
  const uniform = mulberry32(options.seed);
  const active = new Uint8Array(n);
  for (let t = 0; t < options.trees; t++) {
    grad.fill(0);
    hess.fill(0);
    active.fill(0);
    let lossSum = 0;
    for (const [start, end] of groups) {
      if (options.groupSample < 1 && uniform() >= options.groupSample) continue;
      lossSum += lambdaGradients(scores, data.labels, start, end, options.ndcgAt, grad, hess);
      active.fill(1, start, end);
    }
    loss.push(lossSum / Math.max(1, groups.length));
    leafOf.fill(0);
    const tree = { features: [] as number[], cuts: [] as number[] };
    for (let d = 0; d < depth; d++) {
      const split = bestSplit(d, inputs, thresholds, bins, leafOf, active, grad, hess, histG, histH, maxBins, options);
      // No split helps (or every one leaves a leaf too light): the remaining levels test a threshold nothing exceeds.
      const feature = split?.feature ?? 0;
      const cut = split ? split.cut : Infinity;
      tree.features.push(feature);
      tree.cuts.push(split ? thresholds[feature]![cut]! : Number.MAX_VALUE);
      if (split) {
        featureUse[feature]!++;
        for (let r = 0; r < n; r++) if (bins[feature]![r]! > cut) leafOf[r]! |= 1 << d;
      }
    }
    const sumG = new Float64Array(width);
    const sumH = new Float64Array(width);
    for (let r = 0; r < n; r++) {
      if (!active[r]) continue;
      sumG[leafOf[r]!]! += grad[r]!;
      sumH[leafOf[r]!]! += hess[r]!;
    }
    const values = Array.from({ length: width }, (_, l) => Math.fround(options.learningRate * clamp(-sumG[l]! / (sumH[l]! + options.l2), options.maxStep)));
    // Every row moves by its leaf's value as float32 stores it, so training scores are the model's.
    for (let r = 0; r < n; r++) scores[r]! += values[leafOf[r]!]!;
    features.push(...tree.features);
    cuts.push(...tree.cuts);
    leaves.push(...values);
    if (onTree) onTree(forestOf(inputs, depth, features, cuts, leaves, prior), t + 1);
  }
  return { forest: forestOf(inputs, depth, features, cuts, leaves, prior), report: { loss, featureUse } };
}

function clamp(x: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, x));
}

function forestOf(inputs: number, depth: number, features: number[], cuts: number[], leaves: number[], prior: TreeTrainOptions["prior"]): ObliviousForest {
  return {
    inputs,
    depth,
    features: Int32Array.from(features),
    thresholds: Float32Array.from(cuts),
    leaves: Float32Array.from(leaves),
    bias: 0,
    prior: { ...prior },
  };
}

/** Lists with both a positive and a negative, as [start, end). */
function teachingGroups(data: GroupedRows): [number, number][] {
  const out: [number, number][] = [];
  for (let g = 0; g + 1 < data.groupStart.length; g++) {
    const start = data.groupStart[g]!;
    const end = data.groupStart[g + 1]!;
    let positives = 0;
    for (let r = start; r < end; r++) positives += data.labels[r]! > 0 ? 1 : 0;
    if (positives > 0 && positives < end - start) out.push([start, end]);
  }
  return out;
}

/**
 * Adds one list's lambdas and their second derivatives into grad and hess
 * (rows start..end): for a pair of a positive i and a negative j with
 * weight w = |ΔnDCG@k| and ρ = 1/(1 + e^(σ(s_i − s_j))), g_i −= σwρ,
 * g_j += σwρ, h_i and h_j += σ²wρ(1 − ρ). Returns the list's loss.
 */
export function lambdaGradients(
  scores: Float64Array,
  labels: Uint8Array,
  start: number,
  end: number,
  k: number,
  grad: Float64Array,
  hess: Float64Array,
): number {
  // lambdarank.ts's pair weights (listDiscounts) with lambdaLoss fused in, without a pair object per pair (a tree visits ~10^6 pairs).
  const m = end - start;
  const list = listDiscounts(scores, labels, start, m, k);
  if (!list) return 0;
  const { discount, idcg } = list;
  const sigma = LAMBDA_SIGMA;
  let loss = 0;
  for (let i = 0; i < m; i++) {
    if (!(labels[start + i]! > 0)) continue;
    for (let j = 0; j < m; j++) {
      if (labels[start + j]! > 0) continue;
      const weight = Math.abs(discount[i]! - discount[j]!) / idcg;
      if (weight === 0) continue;
      const margin = sigma * (scores[start + i]! - scores[start + j]!);
      loss += weight * (Math.max(-margin, 0) + Math.log1p(Math.exp(-Math.abs(margin))));
      const rho = 1 / (1 + Math.exp(margin));
      const g = sigma * weight * rho;
      const h = sigma * sigma * weight * rho * (1 - rho);
      grad[start + i]! -= g;
      grad[start + j]! += g;
      hess[start + i]! += h;
      hess[start + j]! += h;
    }
  }
  return loss;
}

/**
 * Per feature, up to `maxBins` − 1 thresholds (float32 values of the column,
 * at evenly spaced quantiles, deduplicated, the largest left out: nothing
 * exceeds it), and each row's bin: how many thresholds its value exceeds.
 * So "bin > c" is exactly "value > thresholds[c]", the served test.
 */
export function binFeatures(features: Float32Array, n: number, inputs: number, maxBins: number): { thresholds: Float32Array[]; bins: Uint8Array[] } {
  if (maxBins < 2 || maxBins > 256) throw new AppError("internal", `bins ${maxBins} is not 2..256`);
  const thresholds: Float32Array[] = [];
  const bins: Uint8Array[] = [];
  const column = new Float32Array(n);
  for (let f = 0; f < inputs; f++) {
    for (let r = 0; r < n; r++) column[r] = features[r * inputs + f]!;
    const sorted = Float32Array.from(column).sort();
    const cuts: number[] = [];
    for (let q = 1; q < maxBins; q++) {
      const v = sorted[Math.min(n - 1, Math.floor((q * n) / maxBins))]!;
      if (v < sorted[n - 1]! && (cuts.length === 0 || v > cuts[cuts.length - 1]!)) cuts.push(v);
    }
    const t = Float32Array.from(cuts);
    const b = new Uint8Array(n);
    for (let r = 0; r < n; r++) b[r] = upperBound(t, column[r]!);
    thresholds.push(t);
    bins.push(b);
  }
  return { thresholds, bins };
}

/** Number of entries of the ascending `t` that `x` exceeds. */
function upperBound(t: Float32Array, x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x > t[mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The (feature, threshold index) of level `d` with the largest Σ_leaves G²/(H + λ), or null when none improves on not splitting. */
function bestSplit(
  d: number,
  inputs: number,
  thresholds: Float32Array[],
  bins: Uint8Array[],
  leafOf: Uint32Array,
  active: Uint8Array,
  grad: Float64Array,
  hess: Float64Array,
  histG: Float64Array,
  histH: Float64Array,
  maxBins: number,
  options: TreeTrainOptions,
): { feature: number; cut: number } | null {
  const leavesNow = 2 ** d;
  const n = leafOf.length;
  histG.fill(0, 0, leavesNow * inputs * maxBins);
  histH.fill(0, 0, leavesNow * inputs * maxBins);
  for (let f = 0; f < inputs; f++) {
    const b = bins[f]!;
    for (let r = 0; r < n; r++) {
      if (!active[r]) continue;
      const at = (leafOf[r]! * inputs + f) * maxBins + b[r]!;
      histG[at]! += grad[r]!;
      histH[at]! += hess[r]!;
    }
  }
  const lambda = options.l2;
  const gainOf = (g: number, h: number) => (g * g) / (h + lambda);
  let base = 0;
  const totalG = new Float64Array(leavesNow);
  const totalH = new Float64Array(leavesNow);
  {
    // Any feature's bins sum to the leaf's totals.
    for (let l = 0; l < leavesNow; l++) {
      for (let b = 0; b < maxBins; b++) {
        totalG[l]! += histG[l * inputs * maxBins + b]!;
        totalH[l]! += histH[l * inputs * maxBins + b]!;
      }
      base += gainOf(totalG[l]!, totalH[l]!);
    }
  }
  let best: { feature: number; cut: number; gain: number } | null = null;
  const leftG = new Float64Array(leavesNow);
  const leftH = new Float64Array(leavesNow);
  for (let f = 0; f < inputs; f++) {
    leftG.fill(0);
    leftH.fill(0);
    for (let c = 0; c < thresholds[f]!.length; c++) {
      let gain = 0;
      let light = false;
      for (let l = 0; l < leavesNow; l++) {
        const at = (l * inputs + f) * maxBins + c;
        leftG[l]! += histG[at]!;
        leftH[l]! += histH[at]!;
        const rightH = totalH[l]! - leftH[l]!;
        if (leftH[l]! < options.minLeafHessian || rightH < options.minLeafHessian) light = true;
        gain += gainOf(leftG[l]!, leftH[l]!) + gainOf(totalG[l]! - leftG[l]!, rightH);
      }
      if (!light && gain > base + 1e-12 && (!best || gain > best.gain)) best = { feature: f, cut: c, gain };
    }
  }
  return best ? { feature: best.feature, cut: best.cut } : null;
}
