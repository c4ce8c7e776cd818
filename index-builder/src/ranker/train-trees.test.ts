import { describe, expect, it } from "vitest";
import { forestScore } from "../../../shared/ranking/oblivious-trees";
import { mulberry32 } from "../train/seeded-random";
import { lambdaLoss, lambdaPairs } from "./lambdarank";
import { rankingQuality } from "./ranking-quality";
import { binFeatures, DEFAULT_TREE_TRAINING, lambdaGradients, trainTrees } from "./train-trees";

/** `groups` lists of 30 rows × 6 columns; the label is 1 when x0 + x3·x4 > 0.9 (an interaction a linear scorer misses); x1 says nothing. */
function lists(seed: number, groups: number) {
  const next = mulberry32(seed);
  const width = 6;
  const m = 30;
  const n = groups * m;
  const features = Float32Array.from({ length: n * width }, () => Math.round(next() * 64) / 64);
  const labels = Uint8Array.from({ length: n }, (_, r) => (features[r * width]! + features[r * width + 3]! * features[r * width + 4]! > 0.9 ? 1 : 0));
  const groupStart = Uint32Array.from({ length: groups + 1 }, (_, g) => g * m);
  const heldOut = Uint32Array.from({ length: groups }, (_, g) =>
    Math.max(
      1,
      labels.subarray(g * m, (g + 1) * m).reduce((s, y) => s + y, 0),
    ),
  );
  return { features, labels, groupStart, heldOut, width, n };
}

describe("LambdaMART oblivious trees", () => {
  it("bins each column so that bin > c is exactly value > threshold c", () => {
    const { features, n, width } = lists(1, 20);
    const { thresholds, bins } = binFeatures(features, n, width, 16);
    for (let f = 0; f < width; f++) {
      expect(thresholds[f]!.length).toBeLessThanOrEqual(15);
      for (let r = 0; r < n; r++) {
        for (let c = 0; c < thresholds[f]!.length; c++) expect(bins[f]![r]! > c).toBe(features[r * width + f]! > thresholds[f]![c]!);
      }
    }
  });

  it("takes LambdaRank's lambdas as gradients, with positive second derivatives", () => {
    const next = mulberry32(2);
    const scores = Float64Array.from({ length: 40 }, () => next() * 4 - 2);
    const labels = Uint8Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const grad = new Float64Array(40);
    const hess = new Float64Array(40);
    const loss = lambdaGradients(scores, labels, 0, 40, 10, grad, hess);
    const reference = new Float64Array(40);
    expect(loss).toBeCloseTo(lambdaLoss(scores, lambdaPairs(scores, labels, 40, 10), reference), 12);
    for (let i = 0; i < 40; i++) expect(grad[i]).toBeCloseTo(reference[i]!, 12);
    expect(hess.every((h) => h >= 0)).toBe(true);
    expect(hess.some((h) => h > 0)).toBe(true);
  });

  it("learns an interaction on training lists and ranks held-out lists by it", () => {
    const train = lists(3, 120);
    const held = lists(4, 60);
    const losses: number[] = [];
    const { forest, report } = trainTrees(train, train.width, { ...DEFAULT_TREE_TRAINING, trees: 60, depth: 3, learningRate: 0.2 }, (f, t) => {
      if (t === 60) expect(f.leaves).toHaveLength(60 * 8);
    });
    losses.push(...report.loss);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.6);
    // The noise column is (almost) never split on; the three that decide the label are.
    expect(report.featureUse[0]! + report.featureUse[3]! + report.featureUse[4]!).toBeGreaterThan(report.featureUse[1]! * 5);
    const scores = forestScore(forest, held.features, held.n);
    const quality = rankingQuality(scores, held.labels, held.groupStart, held.heldOut);
    const noise = rankingQuality(
      Float32Array.from({ length: held.n }, (_, r) => held.features[r * held.width + 1]!),
      held.labels,
      held.groupStart,
      held.heldOut,
    );
    expect(quality.ndcgAt10).toBeGreaterThan(0.9);
    expect(quality.ndcgAt10).toBeGreaterThan(noise.ndcgAt10 + 0.3);
  });

  it("starts from the prior column: with no tree the scores are its order, and a useless level tests a threshold nothing exceeds", () => {
    const train = lists(5, 10);
    const prior = { feature: 1, weight: 3 };
    const { forest } = trainTrees(train, train.width, { ...DEFAULT_TREE_TRAINING, trees: 0, prior });
    const scores = forestScore(forest, train.features, train.n);
    for (let r = 0; r < train.n; r++) expect(scores[r]).toBeCloseTo(3 * train.features[r * train.width + 1]!, 6);
    // Labels all 0: no list teaches anything, so no split has gain; every level is inert and every leaf 0.
    const silent = { ...train, labels: new Uint8Array(train.n) };
    const flat = trainTrees(silent, train.width, { ...DEFAULT_TREE_TRAINING, trees: 2, depth: 2 }).forest;
    expect([...flat.thresholds].every((t) => t === Infinity)).toBe(true);
    expect([...flat.leaves].every((v) => v === 0)).toBe(true);
  });
});
