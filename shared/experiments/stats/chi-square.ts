/**
 * P(X >= stat) for X chi-square with `df` degrees of freedom: the regularized
 * upper incomplete gamma Q(df/2, stat/2), by its series below a+1 and its
 * continued fraction above (Numerical Recipes 6.2).
 */
export function chiSquareSurvival(stat: number, df: number): number {
  if (!(stat > 0)) return 1;
  const a = df / 2;
  const x = stat / 2;
  return x < a + 1 ? 1 - lowerSeries(a, x) : upperFraction(a, x);
}

function lowerSeries(a: number, x: number): number {
  let sum = 1 / a;
  let term = sum;
  for (let n = 1; n < 1000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

function upperFraction(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** ln Γ(z) for z > 0 (Lanczos, g = 7, n = 9). */
export function logGamma(z: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  z -= 1;
  let x = g[0]!;
  for (let i = 1; i < 9; i++) x += g[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(x);
}

/** Below this p-value a sample ratio mismatch voids a report. */
export const SRM_ALPHA = 0.001;

export interface SrmResult {
  chiSquare: number;
  df: number;
  pValue: number;
  /** p < SRM_ALPHA: the split is not what was configured; do not read the metrics. */
  mismatch: boolean;
  observed: Record<string, number>;
  expected: Record<string, number>;
}

/**
 * Sample-ratio-mismatch test: Pearson's chi-square of observed units per
 * variant against `expected` counts (what the configured shares predict).
 * Variants expected to get nobody are left out (they add no degree of freedom).
 */
export function srmTest(observed: Record<string, number>, expected: Record<string, number>): SrmResult {
  let stat = 0;
  let cells = 0;
  for (const [variant, e] of Object.entries(expected)) {
    if (!(e > 0)) continue;
    const o = observed[variant] ?? 0;
    stat += ((o - e) * (o - e)) / e;
    cells++;
  }
  const df = Math.max(1, cells - 1);
  const pValue = cells < 2 ? 1 : chiSquareSurvival(stat, df);
  return { chiSquare: stat, df, pValue, mismatch: pValue < SRM_ALPHA, observed, expected };
}
