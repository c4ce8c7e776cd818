import { describe, expect, it } from "vitest";
import { FEATURE_COUNT } from "../../../shared/ranking/features";
import { mlpScore } from "../../../shared/ranking/mlp";
import { exportMlpToOnnx, ONNX_INPUT, ONNX_OUTPUT } from "../../../shared/ranking/onnx-export";
import { forestScore } from "../../../shared/ranking/oblivious-trees";
import { exportForestToOnnx } from "../../../shared/ranking/onnx-trees";
import { mulberry32 } from "../train/seeded-random";
import { trainMlp } from "./train-mlp";
import { treeTraining } from "./train-heavy";
import { trainTrees } from "./train-trees";

describe("ONNX export scored by onnxruntime-web in Node", () => {
  it.each([[[32, 16]], [[]]])("reproduces the TypeScript MLP (hidden %j) on a batch", async (hidden: number[]) => {
    // A trained model (folded standardisation, real weight ranges) rather than a hand-made one.
    const next = mulberry32(5);
    const n = 400;
    const features = Float32Array.from({ length: n * FEATURE_COUNT }, () => next() * 4 - 1);
    const labels = Uint8Array.from({ length: n }, (_, r) => (features[r * FEATURE_COUNT]! + features[r * FEATURE_COUNT + 3]! > 1 ? 1 : 0));
    const { model } = trainMlp({ features, labels }, FEATURE_COUNT, {
      hidden,
      loss: "pointwise",
      batchSize: 32,
      epochs: 2,
      learningRate: 0.01,
      l2: 0,
      seed: 1,
    });

    // The Node build of onnxruntime-web runs the same WebAssembly backend; one thread, no worker proxy.
    const ort = await import("onnxruntime-web");
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    const session = await ort.InferenceSession.create(exportMlpToOnnx(model), { executionProviders: ["wasm"] });
    expect(session.inputNames).toEqual([ONNX_INPUT]);
    expect(session.outputNames).toEqual([ONNX_OUTPUT]);
    const output = await session.run({ [ONNX_INPUT]: new ort.Tensor("float32", features, [n, FEATURE_COUNT]) });
    const scores = output[ONNX_OUTPUT]!.data as Float32Array;
    expect(output[ONNX_OUTPUT]!.dims).toEqual([n, 1]);
    const reference = mlpScore(model, features, n);
    let diff = 0;
    for (let r = 0; r < n; r++) diff = Math.max(diff, Math.abs(scores[r]! - reference[r]!));
    expect(diff).toBeLessThan(1e-5);
    await session.release();
  });

  it.each([
    [1, 3, 0],
    [2, 5, 2.5],
    [3, 8, -1],
  ])(
    "reproduces a trained LambdaMART forest (seed %i, depth %i, prior weight %d) on a batch, values on thresholds included",
    async (seed, depth, priorWeight) => {
      const next = mulberry32(seed);
      const n = 600;
      // Coarse values, so many rows sit exactly on a threshold.
      const features = Float32Array.from({ length: n * FEATURE_COUNT }, () => Math.floor(next() * 16) / 8 - 1);
      const labels = Uint8Array.from({ length: n }, (_, r) => (features[r * FEATURE_COUNT + 2]! * features[r * FEATURE_COUNT + 9]! > 0.1 ? 1 : 0));
      const groupStart = Uint32Array.from({ length: n / 40 + 1 }, (_, g) => g * 40);
      const training = treeTraining({ trees: 30, depth, learningRate: 0.2, priorWeight });
      if (training.model !== "trees") throw new Error("tree training expected");
      const { forest } = trainTrees({ features, labels, groupStart }, FEATURE_COUNT, training.trees);
      const ort = await import("onnxruntime-web");
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.proxy = false;
      const session = await ort.InferenceSession.create(exportForestToOnnx(forest), { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
      const output = await session.run({ [ONNX_INPUT]: new ort.Tensor("float32", features, [n, FEATURE_COUNT]) });
      expect(output[ONNX_OUTPUT]!.dims).toEqual([n, 1]);
      const scores = output[ONNX_OUTPUT]!.data as Float32Array;
      const reference = forestScore(forest, features, n);
      let diff = 0;
      for (let r = 0; r < n; r++) diff = Math.max(diff, Math.abs(scores[r]! - reference[r]!));
      expect(diff).toBeLessThan(1e-5);
      await session.release();
    },
  );
});
