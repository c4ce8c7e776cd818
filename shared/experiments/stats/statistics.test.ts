import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../seeded-random";
import { chiSquareSurvival, srmTest } from "./chi-square";
import { normalCdf, normalQuantile } from "./normal";
import { estimateRatios, lift, type UnitTotals } from "./ratio-metric";

/**
 * A simulated experiment with known truth: each user has a click probability
 * p_i = base·exp(0.8g − 0.32) (mean exactly `base`), sees 1 + Poisson(4)
 * lists, and clicks each with p_i·(1 + trueLift) in treatment. The
 * population CTR is then base·(1 + trueLift): the relative lift is known.
 * The covariate is the user's clicks in a pre-period of 40 lists.
 */
function simulate(rng: SeededRandom, users: number, base: number, trueLift: number): UnitTotals {
  const numerator = new Float64Array(users);
  const denominator = new Float64Array(users);
  const covariate = new Float64Array(users);
  for (let u = 0; u < users; u++) {
    const p = base * Math.exp(0.8 * rng.gaussian() - 0.32);
    const shown = 1 + poisson(rng, 4);
    let clicks = 0;
    for (let k = 0; k < shown; k++) if (rng.next() < p * (1 + trueLift)) clicks++;
    let pre = 0;
    for (let k = 0; k < 40; k++) if (rng.next() < p) pre++;
    numerator[u] = clicks;
    denominator[u] = shown;
    covariate[u] = pre;
  }
  return { numerator, denominator, covariate };
}

function poisson(rng: SeededRandom, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let prod = rng.next();
  while (prod > limit) {
    k++;
    prod *= rng.next();
  }
  return k;
}

const withoutCovariate = (t: UnitTotals): UnitTotals => ({ numerator: t.numerator, denominator: t.denominator });
const covers = (ci: [number, number], truth: number) => ci[0] <= truth && truth <= ci[1];

describe("normal and chi-square distributions", () => {
  it("match known quantiles", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    // Table values: chi2(1) at 3.841 -> 0.05; chi2(2) survival is exp(-x/2); chi2(5) at 20.515 -> 0.001.
    expect(chiSquareSurvival(3.841459, 1)).toBeCloseTo(0.05, 5);
    expect(chiSquareSurvival(7, 2)).toBeCloseTo(Math.exp(-3.5), 10);
    expect(chiSquareSurvival(20.515, 5)).toBeCloseTo(0.001, 5);
    expect(chiSquareSurvival(0.5, 3)).toBeCloseTo(0.918891, 5);
  });
});

describe("per-user CTR with delta-method CIs, on 1,000 simulated experiments with known truth", () => {
  const sims = 1000;
  const base = 0.05;
  const trueLift = 0.1;
  const rng = new SeededRandom(20261204);
  let absCovered = 0;
  let relCovered = 0;
  let cupedCovered = 0;
  let detected = 0;
  let aaFalse = 0;
  let seRatio = 0;
  for (let s = 0; s < sims; s++) {
    const control = simulate(rng, 2000, base, 0);
    const treatment = simulate(rng, 2000, base, trueLift);
    const [c, t] = estimateRatios([withoutCovariate(control), withoutCovariate(treatment)]);
    const l = lift(t!, c!);
    if (covers(l.absoluteCi, base * trueLift)) absCovered++;
    if (covers(l.relativeCi, trueLift)) relCovered++;
    if (l.absoluteCi[0] > 0) detected++;
    const [cc, tc] = estimateRatios([control, treatment]);
    const lc = lift(tc!, cc!);
    if (covers(lc.relativeCi, trueLift)) cupedCovered++;
    seRatio += tc!.stdError / t!.stdError;
    // A/A: two groups from the same distribution.
    const [a1, a2] = estimateRatios([withoutCovariate(simulate(rng, 2000, base, 0)), withoutCovariate(control)]);
    if (!covers(lift(a2!, a1!).absoluteCi, 0)) aaFalse++;
  }
  console.info(
    `statistics simulation (${sims} seeded experiments): CI coverage abs ${absCovered / sims}, rel ${relCovered / sims}, CUPED rel ${cupedCovered / sims}; ` +
      `CUPED se / plain se ${(seRatio / sims).toFixed(3)}; A/A false positives ${aaFalse / sims}; +10% detected ${detected / sims}`,
  );

  it("the 95% CI covers the true absolute and relative lift 93-97% of the time", () => {
    expect(absCovered / sims).toBeGreaterThanOrEqual(0.93);
    expect(absCovered / sims).toBeLessThanOrEqual(0.97);
    expect(relCovered / sims).toBeGreaterThanOrEqual(0.93);
    expect(relCovered / sims).toBeLessThanOrEqual(0.97);
  });

  it("CUPED keeps the coverage and narrows the interval", () => {
    expect(cupedCovered / sims).toBeGreaterThanOrEqual(0.93);
    expect(cupedCovered / sims).toBeLessThanOrEqual(0.97);
    expect(seRatio / sims).toBeLessThan(0.95);
  });

  it("A/A: the CI excludes zero at about the nominal 5%", () => {
    expect(aaFalse / sims).toBeGreaterThanOrEqual(0.03);
    expect(aaFalse / sims).toBeLessThanOrEqual(0.07);
  });

  it("a real +10% lift is detected more often than chance", () => {
    expect(detected / sims).toBeGreaterThan(0.1);
  });
});

describe("sample ratio mismatch", () => {
  const rng = new SeededRandom(45_55);
  const split = (users: number, share: number) => {
    let a = 0;
    for (let i = 0; i < users; i++) if (rng.next() < share) a++;
    return { a, b: users - a };
  };

  it("flags a 45/55 split configured as 50/50, every time", () => {
    for (let s = 0; s < 200; s++) {
      const observed = split(10_000, 0.45);
      expect(srmTest(observed, { a: 5000, b: 5000 }).mismatch).toBe(true);
    }
  });

  it("flags a correct 50/50 split at about its 0.1% level", () => {
    let flagged = 0;
    for (let s = 0; s < 2000; s++) if (srmTest(split(10_000, 0.5), { a: 5000, b: 5000 }).mismatch) flagged++;
    expect(flagged / 2000).toBeLessThanOrEqual(0.005);
  });

  it("uses k - 1 degrees of freedom and skips variants expected to get nobody", () => {
    const r = srmTest({ a: 100, b: 100, c: 0 }, { a: 100, b: 100, c: 0 });
    expect(r).toMatchObject({ chiSquare: 0, df: 1, pValue: 1, mismatch: false });
  });
});
