import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../seeded-random";
import { plackettLuceMarginals, samplePlackettLuce } from "./softmax-exploration";

/** P(order) by the product of each pick's share of what is left: the definition, over all n! orders. */
function bruteForceMarginals(scores: number[], temperature: number): Float64Array {
  const n = scores.length;
  const w = scores.map((s) => Math.exp(s / temperature));
  const out = new Float64Array(n * n);
  const walk = (prefix: number[], p: number) => {
    if (prefix.length === n) {
      prefix.forEach((item, k) => (out[item * n + k] = out[item * n + k]! + p));
      return;
    }
    const rest = w.reduce((a, x, i) => (prefix.includes(i) ? a : a + x), 0);
    for (let i = 0; i < n; i++) if (!prefix.includes(i)) walk([...prefix, i], (p * w[i]!) / rest);
  };
  walk([], 1);
  return out;
}

describe("Plackett–Luce (softmax) exploration", () => {
  it("computes the exact position marginals: equal to the sum over all orders, rows and columns summing to 1", () => {
    const scores = [2.1, 1.7, 1.65, 0.3, -0.5, 1.0];
    const exact = plackettLuceMarginals(scores, 0.7);
    const brute = bruteForceMarginals(scores, 0.7);
    exact.forEach((p, i) => expect(p).toBeCloseTo(brute[i]!, 12));
    for (let i = 0; i < 6; i++) {
      let row = 0;
      let col = 0;
      for (let k = 0; k < 6; k++) {
        row += exact[i * 6 + k]!;
        col += exact[k * 6 + i]!;
      }
      expect(row).toBeCloseTo(1, 12);
      expect(col).toBeCloseTo(1, 12);
    }
  });

  it("samples orders at the frequencies its propensities state", () => {
    const scores = [1, 0.5, 0.2, 0];
    const rng = new SeededRandom(3);
    const counts = new Float64Array(16);
    const trials = 40_000;
    let first: { order: number[]; propensities: number[] } | null = null;
    for (let t = 0; t < trials; t++) {
      const s = samplePlackettLuce(scores, 0.5, () => rng.next());
      first ??= s;
      s.order.forEach((item, k) => counts[item * 4 + k]!++);
    }
    const marginals = plackettLuceMarginals(scores, 0.5);
    counts.forEach((c, i) => expect(Math.abs(c / trials - marginals[i]!)).toBeLessThan(0.01));
    first!.order.forEach((item, k) => expect(first!.propensities[k]).toBe(marginals[item * 4 + k]));
  });

  it("tends to the greedy order as the temperature falls", () => {
    const m = plackettLuceMarginals([3, 2, 1], 0.01);
    expect(m[0]).toBeCloseTo(1, 6);
    expect(m[1 * 3 + 1]).toBeCloseTo(1, 6);
  });
});
