import { choleskySolveInPlace } from "./cholesky";

/**
 * What the index ships so a user vector can be computed at request time from
 * the user's recent items: the implicit-ALS item factors, their Gram matrix
 * and the loss parameters they were trained with.
 */
export interface FoldInModel {
  dims: number;
  /** Item factors Y, size nItems*dims, row-major; row i is dense item index i. */
  itemVectors: Float32Array;
  /** YᵀY, size dims*dims, row-major (symmetric). */
  gram: Float32Array | Float64Array;
  params: ConfidenceParams;
  /**
   * Items in the trained model (the N of the frequency-scaled regularization)
   * when `itemVectors` holds only some rows, as at serving time where just the
   * history's vectors are read; defaults to the rows of `itemVectors`.
   */
  itemCount?: number;
}

/** The implicit-ALS loss parameters, shared by training and fold-in. */
export interface ConfidenceParams {
  /** Confidence slope: an entry of weight w counts 1 + alpha*|w| (Hu et al. 2008, "alpha"). */
  alpha: number;
  /** L2 strength lambda. */
  regularization: number;
  /**
   * Frequency scaling of lambda (Rendle et al. 2022, "Revisiting iALS", nu):
   * a row uses lambda*(N + alpha*Σ|w|)^regExponent, N the number of rows on
   * the other side: the row's total confidence mass. 0 = plain HKV.
   */
  regExponent: number;
}

/** One item of a user's history: dense item index and summed signed event weight. */
export interface WeightedItem {
  item: number;
  weight: number;
}

/** Confidence minus one and preference of an entry of signed weight w. */
export function confidenceOf(weight: number, alpha: number): { extra: number; preference: number } {
  return { extra: alpha * Math.abs(weight), preference: weight > 0 ? 1 : 0 };
}

/** lambda for one row: `weightSum` = Σ|w| over its entries, `otherSide` = rows of the other factor matrix. */
export function rowRegularization(params: ConfidenceParams, weightSum: number, otherSide: number): number {
  return params.regExponent === 0 ? params.regularization : params.regularization * Math.pow(otherSide + params.alpha * weightSum, params.regExponent);
}

/**
 * The exact least-squares user vector for a history (Hu et al. 2008, eq. 4):
 * (YᵀY + Yᵀ(Cᵤ−I)Y + λᵤI) x = YᵀCᵤpᵤ, one dims×dims Cholesky solve costing
 * O(n·dims² + dims³). Items outside the model are ignored. Returns null for an
 * empty history (a cold-start user: the caller falls back, it is not an error).
 * Writes into `out` (size dims) when given.
 */
export function foldInUser(model: FoldInModel, history: readonly WeightedItem[], out?: Float32Array): Float32Array | null {
  const d = model.dims;
  const nItems = model.itemVectors.length / d;
  const y = model.itemVectors;
  const a = new Float64Array(d * d);
  const b = new Float64Array(d);
  // An element loop: V8's TypedArray.set across element types is far slower here.
  const gram = model.gram;
  for (let k = 0; k < d * d; k++) a[k] = gram[k]!;
  let observed = 0;
  let weightSum = 0;
  for (const { item, weight } of mergeDuplicates(history)) {
    if (!(item >= 0 && item < nItems) || weight === 0) continue;
    observed++;
    weightSum += Math.abs(weight);
    const { extra, preference } = confidenceOf(weight, model.params.alpha);
    const base = item * d;
    for (let i = 0; i < d; i++) {
      const yi = y[base + i]!;
      const s = extra * yi;
      const row = i * d;
      // Only the lower triangle: that is all the Cholesky factorization reads.
      for (let j = 0; j <= i; j++) a[row + j]! += s * y[base + j]!;
      if (preference) b[i]! += (1 + extra) * yi;
    }
  }
  if (observed === 0) return null;
  const lambda = rowRegularization(model.params, weightSum, model.itemCount ?? nItems);
  for (let i = 0; i < d; i++) a[i * d + i]! += lambda;
  if (!choleskySolveInPlace(a, b, d)) return null;
  const x = out ?? new Float32Array(d);
  for (let i = 0; i < d; i++) x[i] = b[i]!;
  return x;
}

/** Sums the weights of repeated items: a history may list one item per event. */
function mergeDuplicates(history: readonly WeightedItem[]): readonly WeightedItem[] {
  const seen = new Set<number>();
  let duplicated = false;
  for (const { item } of history) {
    if (seen.has(item)) duplicated = true;
    seen.add(item);
  }
  if (!duplicated) return history;
  const sums = new Map<number, number>();
  for (const { item, weight } of history) sums.set(item, (sums.get(item) ?? 0) + weight);
  return [...sums].map(([item, weight]) => ({ item, weight }));
}
