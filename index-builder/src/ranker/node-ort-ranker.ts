import { type HeavyModel } from "../../../shared/funnel/ports";
import { FEATURE_COUNT } from "../../../shared/ranking/features";
import { ONNX_INPUT, ONNX_OUTPUT } from "../../../shared/ranking/onnx-export";

/**
 * The heavy ranker scored by onnxruntime-web in Node: the WebAssembly
 * backend the Worker runs, with the Worker's session options, so its
 * float32 scores are the ones the Worker served (the TypeScript MLP agrees
 * only to ~1e-5, which can swap two items whose MMR values are that close).
 * What an offline replay of served lists needs.
 */
export async function nodeOrtRanker(modelBytes: Uint8Array): Promise<HeavyModel> {
  const ort = await import("onnxruntime-web");
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const session = await ort.InferenceSession.create(modelBytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  return {
    state: () => "ready",
    score: async (rows, n) => {
      if (n === 0) return new Float32Array(0);
      const output = await session.run({ [ONNX_INPUT]: new ort.Tensor("float32", rows.subarray(0, n * FEATURE_COUNT), [n, FEATURE_COUNT]) });
      return Float32Array.from(output[ONNX_OUTPUT]!.data as Float32Array);
    },
  };
}
