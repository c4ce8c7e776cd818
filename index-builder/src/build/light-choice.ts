import { type BootstrapInterval, DEFAULT_BOOTSTRAP, type BootstrapOptions, pairedBootstrap } from "../ranker/order-choice";
import { mulberry32 } from "../train/seeded-random";

/** How the light weights were chosen from a grid: the best point, and whether its lead over the baseline holds out of sample. */
export interface LightGridChoice {
  /** Index of the grid point with the best mean over every user. */
  best: number;
  /** Index of the grid point shipped: `best` when it earned its place, else `baseline`. */
  chosen: number;
  /**
   * Paired bootstrap of the cross-fitted lead over the baseline: each half of
   * the users is scored by the point the other half chose, so the interval
   * prices the search itself (the best of many noisy means looks better than
   * it is on the users that picked it).
   */
  crossFitted: BootstrapInterval;
  /** Whether `best` replaced the baseline: the interval's lower bound is above 0. */
  kept: boolean;
}

/**
 * Picks light weights from a grid so that a choice made on validation
 * noise never ships: `perUser[p][u]` is user u's validation nDCG@10 under
 * grid point p (every row the same users in the same order), `baseline` the
 * point to keep unless another beats it (the ANN order, the simplest). Users
 * are halved at random (`seed`); each half's best point scores the other
 * half; the best point over all users replaces the baseline only when the
 * paired bootstrap interval of that cross-fitted lead lies above zero. The
 * same rule as the ranking orders' (order-choice.ts), applied to the search
 * that produced the contender (Hastie, Tibshirani, Friedman, "The Elements of
 * Statistical Learning", 2nd ed., §7.10.2, on selecting with the data that
 * then assesses the selection).
 */
export function chooseLightPoint(
  perUser: readonly Float64Array[],
  baseline: number,
  seed: number,
  bootstrap: BootstrapOptions = DEFAULT_BOOTSTRAP,
): LightGridChoice {
  if (!(baseline >= 0 && baseline < perUser.length)) throw new RangeError(`baseline ${baseline} outside a grid of ${perUser.length}`);
  const n = perUser[baseline]!.length;
  if (perUser.some((row) => row.length !== n)) throw new RangeError("every grid point must score the same users");
  const half = halves(n, seed);
  const sumOn = (row: Float64Array, members: (u: number) => boolean) => {
    let sum = 0;
    for (let u = 0; u < n; u++) if (members(u)) sum += row[u]!;
    return sum;
  };
  // The baseline holds unless a point is strictly better on these users.
  const bestOn = (members: (u: number) => boolean): number => {
    let best = baseline;
    let bestSum = sumOn(perUser[baseline]!, members);
    perUser.forEach((row, p) => {
      const sum = sumOn(row, members);
      if (sum > bestSum + 1e-12) [best, bestSum] = [p, sum];
    });
    return best;
  };
  const best = bestOn(() => true);
  const onA = bestOn((u) => half[u] === 0);
  const onB = bestOn((u) => half[u] === 1);
  const crossFittedScores = Float64Array.from({ length: n }, (_, u) => perUser[half[u] === 0 ? onB : onA]![u]!);
  const crossFitted = pairedBootstrap(crossFittedScores, perUser[baseline]!, bootstrap);
  const kept = best !== baseline && crossFitted.lo > 0;
  return { best, chosen: kept ? best : baseline, crossFitted, kept };
}

/** A seeded random halving of n users: 0 or 1 each, sizes differing by at most one. */
function halves(n: number, seed: number): Uint8Array {
  const order = Array.from({ length: n }, (_, u) => u);
  const uniform = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const half = new Uint8Array(n);
  order.forEach((u, k) => (half[u] = k % 2));
  return half;
}
