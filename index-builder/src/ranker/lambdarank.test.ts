import { describe, expect, it } from "vitest";
import { mulberry32 } from "../train/seeded-random";
import { lambdaDeltas, lambdaLoss, lambdaPairs } from "./lambdarank";
import { rankingQuality } from "./ranking-quality";

/** nDCG@k of one list ordered by `scores`, computed from scratch (ranking-quality.ts). */
function ndcg(scores: number[], labels: number[], k: number): number {
  const positives = labels.filter((y) => y > 0).length;
  const q = rankingQuality(scores, Uint8Array.from(labels), Uint32Array.from([0, labels.length]), Uint32Array.from([positives]));
  if (k === 10) return q.ndcgAt10;
  throw new Error("reference implemented for k = 10");
}

function randomList(seed: number, m: number) {
  const next = mulberry32(seed);
  const scores = Array.from({ length: m }, () => next() * 4 - 2);
  const labels = Array.from({ length: m }, () => (next() < 0.25 ? 1 : 0));
  labels[0] = 1;
  labels[1] = 0;
  return { scores, labels };
}

describe("LambdaRank", () => {
  it("weighs each pair by the nDCG@10 change of actually swapping the two scores", () => {
    for (const seed of [1, 2, 3]) {
      const { scores, labels } = randomList(seed, 25);
      const base = ndcg(scores, labels, 10);
      const pairs = lambdaPairs(scores, labels, scores.length, 10);
      const byPair = new Map(pairs.map((p) => [`${p.positive},${p.negative}`, p.weight]));
      for (let i = 0; i < scores.length; i++) {
        for (let j = 0; j < scores.length; j++) {
          if (labels[i] !== 1 || labels[j] !== 0) continue;
          const swapped = [...scores];
          [swapped[i], swapped[j]] = [scores[j]!, scores[i]!];
          const expected = Math.abs(ndcg(swapped, labels, 10) - base);
          expect(byPair.get(`${i},${j}`) ?? 0).toBeCloseTo(expected, 10);
        }
      }
    }
  });

  it("has lambdas equal to the central finite difference of the weighted RankNet loss", () => {
    const { scores, labels } = randomList(7, 30);
    const pairs = lambdaPairs(scores, labels, scores.length, 10);
    expect(pairs.length).toBeGreaterThan(0);
    const grad = new Float64Array(scores.length);
    lambdaLoss(scores, pairs, grad);
    const h = 1e-6;
    const scratch = new Float64Array(scores.length);
    for (let r = 0; r < scores.length; r++) {
      const up = [...scores];
      const down = [...scores];
      up[r]! += h;
      down[r]! -= h;
      const numeric = (lambdaLoss(up, pairs, scratch) - lambdaLoss(down, pairs, scratch)) / (2 * h);
      expect(grad[r]).toBeCloseTo(numeric, 6);
    }
    // Positives are pushed up, negatives down; lambdas of a list sum to zero.
    labels.forEach((y, r) => expect(Math.sign(grad[r]!)).not.toBe(y === 1 ? 1 : -1));
    expect(grad.reduce((s, g) => s + g, 0)).toBeCloseTo(0, 10);
  });

  it("gives no gradient to a list without both classes", () => {
    const z = Float64Array.from([0.3, -1, 2]);
    expect(lambdaDeltas(z, [1, 1, 1], 3, 10)).toBe(0);
    expect([...z]).toEqual([0, 0, 0]);
  });

  it("descends: steps against the lambdas raise the list's nDCG@10", () => {
    const { scores, labels } = randomList(11, 40);
    const before = ndcg(scores, labels, 10);
    const z = Float64Array.from(scores);
    for (let step = 0; step < 200; step++) {
      const g = Float64Array.from(z);
      lambdaDeltas(g, labels, z.length, 10);
      for (let r = 0; r < z.length; r++) z[r]! -= 0.5 * g[r]!;
    }
    expect(ndcg([...z], labels, 10)).toBeGreaterThan(before);
    expect(ndcg([...z], labels, 10)).toBeCloseTo(1, 6);
  });
});
