import { normalQuantile, twoSidedP } from "./normal";

/** Per-user totals of one variant: numerator (say clicks) and denominator (impressions); `covariate` is the pre-period value for CUPED. */
export interface UnitTotals {
  numerator: Float64Array;
  denominator: Float64Array;
  covariate?: Float64Array;
}

/** A ratio metric of one variant with its delta-method standard error. */
export interface RatioEstimate {
  units: number;
  numerator: number;
  denominator: number;
  /** Σ numerator / Σ denominator (for CTR: clicks per impression), CUPED-adjusted when `cuped`. */
  value: number;
  stdError: number;
  ci: [number, number];
  cuped: boolean;
}

export interface LiftEstimate {
  absolute: number;
  absoluteCi: [number, number];
  relative: number;
  relativeCi: [number, number];
  pValue: number;
}

const mean = (x: Float64Array) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return x.length ? s / x.length : 0;
};

/**
 * The delta method for a ratio of per-user means (Deng, Knoblich & Lu 2018,
 * "Applying the Delta Method in Metric Analytics"): with the user as the
 * unit, R = ȳ/n̄ and Var(R) ≈ Var(L)/N where L_i = (y_i − R·n_i)/n̄ is R's
 * linearization. Users are independent; their impressions are not, which
 * is why the impression is not the unit.
 */
export function linearize(t: UnitTotals): { ratio: number; linear: Float64Array; denominatorMean: number } {
  const n = t.numerator.length;
  const ym = mean(t.numerator);
  const nm = mean(t.denominator);
  const ratio = nm > 0 ? ym / nm : 0;
  const linear = new Float64Array(n);
  for (let i = 0; i < n; i++) linear[i] = nm > 0 ? (t.numerator[i]! - ratio * t.denominator[i]!) / nm : 0;
  return { ratio, linear, denominatorMean: nm };
}

/**
 * Estimates each variant's ratio, CUPED-adjusted when every variant carries a
 * covariate with variance: CUPED (Deng, Xu, Kohavi & Walker 2013) subtracts
 * θ(X̄_v − X̄) with θ = Cov(L, X)/Var(X) pooled over all users, which leaves
 * the estimate unbiased (X is fixed before exposure) and shrinks its variance
 * by the squared correlation.
 */
export function estimateRatios(variants: readonly UnitTotals[], confidence = 0.95): RatioEstimate[] {
  const z = normalQuantile(0.5 + confidence / 2);
  const lin = variants.map(linearize);
  let theta = 0;
  let xMean = 0;
  let cuped = variants.length > 0 && variants.every((v) => v.covariate && v.covariate.length === v.numerator.length);
  if (cuped) {
    let n = 0;
    for (const v of variants) {
      for (const x of v.covariate!) xMean += x;
      n += v.covariate!.length;
    }
    xMean = n ? xMean / n : 0;
    let sxx = 0;
    let sxl = 0;
    variants.forEach((v, k) => {
      const l = lin[k]!.linear;
      v.covariate!.forEach((x, i) => {
        sxx += (x - xMean) * (x - xMean);
        sxl += (x - xMean) * l[i]!;
      });
    });
    if (sxx > 0) theta = sxl / sxx;
    else cuped = false;
  }
  return variants.map((v, k) => {
    const { ratio, linear } = lin[k]!;
    const units = linear.length;
    let value = ratio;
    const adjusted = new Float64Array(linear);
    if (cuped) {
      const xv = mean(v.covariate!);
      value = ratio - theta * (xv - xMean);
      for (let i = 0; i < units; i++) adjusted[i] = linear[i]! - theta * (v.covariate![i]! - xv);
    }
    const se = units > 1 ? Math.sqrt(sampleVariance(adjusted) / units) : NaN;
    let num = 0;
    let den = 0;
    for (let i = 0; i < units; i++) {
      num += v.numerator[i]!;
      den += v.denominator[i]!;
    }
    return { units, numerator: num, denominator: den, value, stdError: se, ci: [value - z * se, value + z * se], cuped };
  });
}

/**
 * Treatment against control: the absolute difference with se √(V_t + V_c)
 * (independent groups), and the relative lift R_t/R_c − 1 with the delta
 * method's se √(V_t/R_c² + R_t²·V_c/R_c⁴).
 */
export function lift(treatment: RatioEstimate, control: RatioEstimate, confidence = 0.95): LiftEstimate {
  const z = normalQuantile(0.5 + confidence / 2);
  const vt = treatment.stdError ** 2;
  const vc = control.stdError ** 2;
  const absolute = treatment.value - control.value;
  const seAbs = Math.sqrt(vt + vc);
  const rc = control.value;
  const relative = rc !== 0 ? treatment.value / rc - 1 : NaN;
  const seRel = rc !== 0 ? Math.sqrt(vt / (rc * rc) + (treatment.value * treatment.value * vc) / rc ** 4) : NaN;
  return {
    absolute,
    absoluteCi: [absolute - z * seAbs, absolute + z * seAbs],
    relative,
    relativeCi: [relative - z * seRel, relative + z * seRel],
    pValue: seAbs > 0 ? twoSidedP(absolute / seAbs) : 1,
  };
}

export function sampleVariance(x: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2) return 0;
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i]!;
  m /= n;
  let s = 0;
  for (let i = 0; i < n; i++) s += (x[i]! - m) ** 2;
  return s / (n - 1);
}
