import { describe, expect, it } from "vitest";
import { FEATURE_COUNT } from "./features";
import { forestScore, type ObliviousForest } from "./oblivious-trees";
import { exportMlpToOnnx } from "./onnx-export";
import { exportForestToOnnx, forestFromOnnx, isForestOnnx } from "./onnx-trees";
import { rankerFromOnnx, rankerScore } from "./ranker-model";

/** Two trees over 3 columns: depth 2, so leaf = [x_f0 > t0] + 2·[x_f1 > t1]. */
const forest: ObliviousForest = {
  inputs: 3,
  depth: 2,
  features: Int32Array.of(0, 1, 2, 0),
  thresholds: Float32Array.of(0.5, 1, -1, 2),
  leaves: Float32Array.of(1, 2, 3, 4, 10, 20, 30, 40),
  bias: 0.25,
  prior: { feature: 2, weight: 2 },
};

describe("oblivious forest", () => {
  it("scores bias + prior + each tree's leaf, the leaf's bit d set when the level's feature exceeds its threshold", () => {
    const rows = Float32Array.of(
      // x0 0.5 is not above 0.5; x1 1 is not above 1: leaf 0 (1). Tree 2: x2 0 > −1 -> bit 0; x0 0.5 > 2 no: leaf 1 (20).
      0.5,
      1,
      0,
      // x0 0.6, x1 1.5: leaf 3 (4). Tree 2: x2 −2 not above −1, x0 0.6 not above 2: leaf 0 (10).
      0.6,
      1.5,
      -2,
      // Tree 1 leaf 1 (2); tree 2: x2 3 > −1, x0 5 > 2: leaf 3 (40).
      5,
      0,
      3,
    );
    expect([...forestScore(forest, rows, 3)]).toEqual([0.25 + 0 + 1 + 20, 0.25 - 4 + 4 + 10, 0.25 + 6 + 2 + 40]);
  });

  it("round-trips through the ONNX reader, which tells it from an MLP", () => {
    const bytes = exportForestToOnnx({ ...forest, inputs: FEATURE_COUNT });
    expect(isForestOnnx(bytes)).toBe(true);
    expect(forestFromOnnx(bytes, FEATURE_COUNT)).toEqual({ ...forest, inputs: FEATURE_COUNT });
    const mlp = {
      layers: [
        { inputs: FEATURE_COUNT, outputs: 1, weights: new Float32Array(FEATURE_COUNT).fill(0.5), bias: Float32Array.of(1), activation: "none" as const },
      ],
    };
    const mlpBytes = exportMlpToOnnx(mlp);
    expect(isForestOnnx(mlpBytes)).toBe(false);
    expect(rankerFromOnnx(mlpBytes)).toEqual(mlp);
    expect(rankerFromOnnx(bytes)).toEqual({ ...forest, inputs: FEATURE_COUNT });
    const rows = Float32Array.from({ length: 2 * FEATURE_COUNT }, (_, i) => (i % 5) - 2);
    expect(rankerScore(rankerFromOnnx(bytes), rows, 2)).toEqual(forestScore({ ...forest, inputs: FEATURE_COUNT }, rows, 2));
  });

  it("refuses a forest whose arrays disagree or name a column a row does not have", () => {
    expect(() => exportForestToOnnx({ ...forest, features: Int32Array.of(0, 3, 2, 0) })).toThrow(/not a column/);
    expect(() => exportForestToOnnx({ ...forest, prior: { feature: 3, weight: 1 } })).toThrow(/not a column/);
    expect(() => exportForestToOnnx({ ...forest, leaves: forest.leaves.subarray(0, 6) })).toThrow(/leaves/);
    expect(() =>
      exportForestToOnnx({ ...forest, depth: 9, features: new Int32Array(9), thresholds: new Float32Array(9), leaves: new Float32Array(512) }),
    ).toThrow(/depth/);
    // A forest graph read for narrower rows than its columns: refused rather than reading past a row.
    expect(() => forestFromOnnx(exportForestToOnnx(forest), 2)).toThrow(/not a column/);
    expect(() => forestFromOnnx(exportMlpToOnnx({ layers: [] }), 3)).toThrow(/forest format/);
  });
});
