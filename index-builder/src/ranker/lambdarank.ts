/**
 * LambdaRank (Burges 2010, "From RankNet to LambdaRank to LambdaMART: An
 * Overview", §4-5): RankNet's pairwise cross-entropy, each pair of a
 * positive i and a negative j weighted by |ΔnDCG@k|, the change in the
 * list's nDCG@k if i and j swapped places in the order the current scores
 * give. Gains are binary (held-out or not), so nDCG@k is what the offline
 * evaluation reports.
 *
 * Burges defines the lambdas directly; with the |ΔnDCG| held at their
 * current value they are the exact gradient of
 *   L(s) = Σ_{(i,j)} |ΔnDCG_ij| · log(1 + exp(−σ(s_i − s_j))),
 * which is what `lambdaLoss` computes and the unit test differentiates.
 */

/** One pair of a list: rows (offsets within the list) of the positive and the negative, and |ΔnDCG@k| of swapping them. */
export interface LambdaPair {
  positive: number;
  negative: number;
  weight: number;
}

/** RankNet's σ (Burges 2010, eq. 1): the logistic's steepness in score units. */
export const LAMBDA_SIGMA = 1;

/**
 * The weighted pairs of one list of `m` scores (labels 0/1): every positive
 * with every negative, weighted by |ΔnDCG@k| under the order of `scores`
 * (descending, ties to the earlier row). Pairs of weight 0 (both below k)
 * are left out. Empty for a list without both classes.
 */
export function lambdaPairs(scores: ArrayLike<number>, labels: ArrayLike<number>, m: number, k: number): LambdaPair[] {
  const list = listDiscounts(scores, labels, 0, m, k);
  if (!list) return [];
  const { discount, idcg } = list;
  const pairs: LambdaPair[] = [];
  for (let i = 0; i < m; i++) {
    if (!(labels[i]! > 0)) continue;
    for (let j = 0; j < m; j++) {
      if (labels[j]! > 0) continue;
      const weight = Math.abs(discount[i]! - discount[j]!) / idcg;
      if (weight > 0) pairs.push({ positive: i, negative: j, weight });
    }
  }
  return pairs;
}

/**
 * What a pair's |ΔnDCG@k| is made of, for the list in rows start..start+m:
 * each row's discount at the position the current scores give it
 * (descending, ties to the earlier row; 0 from position k on) and the
 * list's ideal DCG. Null for a list without both classes, which has no pairs.
 * `lambdaPairs` and the trees' fused gradients (train-trees.ts) both weigh pairs by it.
 */
export function listDiscounts(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  start: number,
  m: number,
  k: number,
): { discount: Float64Array; idcg: number } | null {
  let positives = 0;
  for (let r = start; r < start + m; r++) positives += labels[r]! > 0 ? 1 : 0;
  if (positives === 0 || positives === m) return null;
  const order = Array.from({ length: m }, (_, r) => r).sort((a, b) => scores[start + b]! - scores[start + a]! || a - b);
  const discount = new Float64Array(m);
  order.forEach((r, p) => (discount[r] = positionDiscount(p, k)));
  let idcg = 0;
  for (let p = 0; p < Math.min(positives, k); p++) idcg += positionDiscount(p, k);
  return { discount, idcg };
}

/** L(s) of the pairs (see the module note), and dL/ds written into `grad` (size m, zeroed first). */
export function lambdaLoss(scores: ArrayLike<number>, pairs: readonly LambdaPair[], grad: Float64Array, sigma = LAMBDA_SIGMA): number {
  grad.fill(0);
  let loss = 0;
  for (const { positive: i, negative: j, weight } of pairs) {
    const margin = sigma * (scores[i]! - scores[j]!);
    // log(1 + e^(−margin)), stable for either sign.
    loss += weight * (Math.max(-margin, 0) + Math.log1p(Math.exp(-Math.abs(margin))));
    // Burges' λ_ij = −σ / (1 + e^(margin)), times the pair's weight.
    const lambda = (-sigma * weight) / (1 + Math.exp(margin));
    grad[i]! += lambda;
    grad[j]! -= lambda;
  }
  return loss;
}

/**
 * Replaces a list's logits z[0..m) by their lambdas (dLoss/dz with the
 * pair weights at the current order), as train-mlp.ts back-propagates
 * them; returns the list's loss.
 */
export function lambdaDeltas(z: Float64Array, labels: ArrayLike<number>, m: number, k: number): number {
  const pairs = lambdaPairs(z, labels, m, k);
  const grad = new Float64Array(m);
  const loss = lambdaLoss(z, pairs, grad);
  z.set(grad.subarray(0, m));
  return loss;
}

/** The nDCG discount of 0-based position p, 0 from position k on. */
function positionDiscount(p: number, k: number): number {
  return p < k ? 1 / Math.log2(p + 2) : 0;
}
