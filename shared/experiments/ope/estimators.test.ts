import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../seeded-random";
import { type LoggedSample, offPolicyEstimates } from "./estimators";

const K = 5;
const CONTEXTS = 8;

function softmax(scores: number[], temperature: number): number[] {
  const e = scores.map((s) => Math.exp(s / temperature));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/**
 * A contextual bandit with known truth: click probability q(x, a) per
 * context and action; the logging policy is a softmax over noisy scores, the
 * candidate a sharper softmax over other scores. The candidate's true value
 * is Σ_x P(x) Σ_a π_e(a|x) q(x, a), computed exactly.
 */
function world(rng: SeededRandom) {
  const q = Array.from({ length: CONTEXTS }, () => Array.from({ length: K }, () => 0.02 + 0.3 * rng.next()));
  const logging = q.map((row) =>
    softmax(
      row.map((x) => x + 0.2 * rng.gaussian()),
      0.3,
    ),
  );
  const target = q.map((row) =>
    softmax(
      row.map((x) => x + 0.1 * rng.gaussian()),
      0.1,
    ),
  );
  let truth = 0;
  for (let x = 0; x < CONTEXTS; x++) for (let a = 0; a < K; a++) truth += (target[x]![a]! * q[x]![a]!) / CONTEXTS;
  return { q, logging, target, truth };
}

function draw(p: number[], u: number): number {
  for (let a = 0; a < p.length; a++) if ((u -= p[a]!) < 0) return a;
  return p.length - 1;
}

function logs(rng: SeededRandom, w: ReturnType<typeof world>, n: number): LoggedSample[] {
  // A deliberately crude reward model (one mean per action over all contexts, from a separate sample), as DR only needs it to be reasonable.
  const modelSum = new Float64Array(K);
  const modelCount = new Float64Array(K);
  for (let i = 0; i < 500; i++) {
    const x = rng.int(CONTEXTS);
    const a = rng.int(K);
    modelSum[a] = modelSum[a]! + (rng.next() < w.q[x]![a]! ? 1 : 0);
    modelCount[a] = modelCount[a]! + 1;
  }
  const qhat = Array.from(modelSum, (s, a) => s / Math.max(1, modelCount[a]!));
  return Array.from({ length: n }, () => {
    const x = rng.int(CONTEXTS);
    const a = draw(w.logging[x]!, rng.next());
    return {
      reward: rng.next() < w.q[x]![a]! ? 1 : 0,
      loggingProb: w.logging[x]![a]!,
      targetProb: w.target[x]![a]!,
      modelReward: qhat[a]!,
      modelValue: w.target[x]!.reduce((v, p, b) => v + p * qhat[b]!, 0),
    };
  });
}

describe("off-policy estimators on simulated bandit logs with known truth", () => {
  const sims = 300;
  const rng = new SeededRandom(424242);
  const covered = { ips: 0, snips: 0, dr: 0 };
  const values = { ips: [] as number[], snips: [] as number[], dr: [] as number[] };
  let essShare = 0;
  for (let s = 0; s < sims; s++) {
    const w = world(rng);
    const est = offPolicyEstimates(logs(rng, w, 2000), { bootstrap: 200, seed: s + 1 });
    for (const k of ["ips", "snips", "dr"] as const) {
      if (est[k].ci[0] <= w.truth && w.truth <= est[k].ci[1]) covered[k]++;
      values[k].push(est[k].value - w.truth);
    }
    essShare += est.effectiveSampleSize / est.samples;
  }
  const variance = (x: number[]) => {
    const m = x.reduce((a, b) => a + b, 0) / x.length;
    return x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1);
  };
  console.info(
    `OPE simulation (${sims} seeded logs of 2,000): 95% bootstrap CI coverage IPS ${covered.ips / sims}, SNIPS ${covered.snips / sims}, DR ${covered.dr / sims}; ` +
      `error variance IPS ${variance(values.ips).toExponential(2)}, SNIPS ${variance(values.snips).toExponential(2)}, DR ${variance(values.dr).toExponential(2)}; mean ESS share ${(essShare / sims).toFixed(3)}`,
  );

  it("covers the candidate policy's true value at about the nominal rate", () => {
    for (const k of ["ips", "snips", "dr"] as const) {
      expect(covered[k] / sims).toBeGreaterThanOrEqual(0.9);
      expect(covered[k] / sims).toBeLessThanOrEqual(0.985);
    }
  });

  it("SNIPS has a lower variance than IPS", () => {
    expect(variance(values.snips)).toBeLessThan(variance(values.ips));
  });

  it("weights equal to one give the on-policy mean and a full effective sample", () => {
    const same = [1, 0, 1, 1].map((reward) => ({ reward, loggingProb: 0.5, targetProb: 0.5, modelReward: 0.5, modelValue: 0.5 }));
    const est = offPolicyEstimates(same, { bootstrap: 50 });
    expect(est.ips.value).toBeCloseTo(0.75, 12);
    expect(est.snips.value).toBeCloseTo(0.75, 12);
    expect(est.dr.value).toBeCloseTo(0.75, 12);
    expect(est.effectiveSampleSize).toBeCloseTo(4, 12);
  });
});
