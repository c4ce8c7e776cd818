import { FEATURE_COUNT } from "./features";
import { mlpScore, type MlpModel } from "./mlp";
import { forestScore, type ObliviousForest } from "./oblivious-trees";
import { exportMlpToOnnx, type OnnxExportOptions } from "./onnx-export";
import { mlpFromOnnx } from "./onnx-import";
import { exportForestToOnnx, forestFromOnnx, isForestOnnx } from "./onnx-trees";

/**
 * The heavy ranker's model: a small MLP (mlp.ts) or an oblivious forest
 * (oblivious-trees.ts). Either is exported to ONNX with input `features`
 * float32 [batch, FEATURE_COUNT] and output `score` float32 [batch, 1], so
 * the Worker runs whichever an index ships through the same ORT session code.
 */
export type RankerModel = MlpModel | ObliviousForest;

export function isForest(model: RankerModel): model is ObliviousForest {
  return "leaves" in model;
}

/** Scores `n` feature rows with the TypeScript model (the reference the ONNX graph reproduces). */
export function rankerScore(model: RankerModel, rows: Float32Array, n: number): Float32Array {
  return isForest(model) ? forestScore(model, rows, n) : mlpScore(model, rows, n);
}

export function exportRankerToOnnx(model: RankerModel, options: OnnxExportOptions = {}): Uint8Array {
  return isForest(model) ? exportForestToOnnx(model, options) : exportMlpToOnnx(model, options);
}

/** Reads either format back from the bytes an index ships; throws AppError("invalid_manifest") for anything else. */
export function rankerFromOnnx(bytes: Uint8Array): RankerModel {
  return isForestOnnx(bytes) ? forestFromOnnx(bytes, FEATURE_COUNT) : mlpFromOnnx(bytes);
}

/** A short description for specs and reports: the MLP's layer widths, or the forest's trees × depth. */
export function describeRanker(model: RankerModel): string {
  if (isForest(model)) return `oblivious forest ${model.features.length / model.depth} trees × depth ${model.depth}`;
  return `mlp ${[model.layers[0]?.inputs ?? 0, ...model.layers.map((l) => l.outputs)].join("-")}`;
}
