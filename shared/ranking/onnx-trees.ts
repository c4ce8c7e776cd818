import { checkForest, forestTrees, type ObliviousForest } from "./oblivious-trees";
import {
  GRAPH,
  ONNX_INPUT,
  ONNX_OUTPUT,
  onnxModel,
  type OnnxExportOptions,
  TENSOR_FLOAT,
  TENSOR_INT64,
  writeInt64Tensor,
  writeNode,
  writeTensor,
  writeValueInfo,
} from "./onnx-export";
import { floatTensor, int64Tensor, readOnnxGraph, refuseModel } from "./onnx-import";

/** Initializers of the forest graph, by role. */
const T = {
  features: "trees.features",
  thresholds: "trees.thresholds",
  levelShape: "trees.level_shape",
  powers: "trees.powers",
  treeShape: "trees.tree_shape",
  offsets: "trees.offsets",
  leaves: "trees.leaves",
  axes: "trees.axes",
  priorFeature: "trees.prior_feature",
  priorWeight: "trees.prior_weight",
  bias: "trees.bias",
} as const;

/**
 * The operators of the forest graph, in order: what `exportForestToOnnx`
 * writes and `forestFromOnnx` accepts. Every one is a standard ONNX operator
 * (no ai.onnx.ml), so any ONNX Runtime build runs it:
 *
 *   picked  = Gather(features, trees.features, axis 1)      [batch, trees·depth]
 *   bits    = Cast(Greater(picked, trees.thresholds), float)
 *   leaf    = Reshape(MatMul(Reshape(bits, [-1, trees, depth]), [1, 2, 4, ..]ᵀ), [-1, trees])
 *   index   = Cast(leaf + t·2^depth, int64)                  [batch, trees]
 *   score   = ReduceSum(Gather(trees.leaves, index), axis 1) + prior_weight·x[prior_feature] + bias
 */
const OPS = ["Gather", "Greater", "Cast", "Reshape", "MatMul", "Reshape", "Add", "Cast", "Gather", "ReduceSum", "Gather", "Mul", "Add", "Add"];

/** Encodes an oblivious forest as an ONNX ModelProto with input `features` float32 [batch, inputs] and output `score` float32 [batch, 1]. */
export function exportForestToOnnx(forest: ObliviousForest, options: OnnxExportOptions = {}): Uint8Array {
  checkForest(forest);
  const trees = forestTrees(forest);
  const { depth, inputs } = forest;
  const width = 2 ** depth;
  return onnxModel(options, (g) => {
    const node = (op: string, inputs: string[], output: string, ints?: Record<string, number>) => writeNode(g, op, output, inputs, output, ints);
    node("Gather", [ONNX_INPUT, T.features], "picked", { axis: 1 });
    node("Greater", ["picked", T.thresholds], "above");
    node("Cast", ["above"], "bits", { to: TENSOR_FLOAT });
    node("Reshape", ["bits", T.levelShape], "levels");
    node("MatMul", ["levels", T.powers], "leaf_column");
    node("Reshape", ["leaf_column", T.treeShape], "leaf");
    node("Add", ["leaf", T.offsets], "leaf_flat");
    node("Cast", ["leaf_flat"], "leaf_index", { to: TENSOR_INT64 });
    node("Gather", [T.leaves, "leaf_index"], "leaf_values", { axis: 0 });
    node("ReduceSum", ["leaf_values", T.axes], "tree_sum", { keepdims: 1 });
    node("Gather", [ONNX_INPUT, T.priorFeature], "prior_column", { axis: 1 });
    node("Mul", ["prior_column", T.priorWeight], "prior");
    node("Add", ["tree_sum", "prior"], "unbiased");
    node("Add", ["unbiased", T.bias], ONNX_OUTPUT);
    g.string(GRAPH.name, "ranker");
    writeInt64Tensor(g, T.features, [trees * depth], forest.features);
    writeTensor(g, T.thresholds, [trees * depth], forest.thresholds);
    writeInt64Tensor(g, T.levelShape, [3], [-1, trees, depth]);
    writeTensor(
      g,
      T.powers,
      [depth, 1],
      Array.from({ length: depth }, (_, d) => 2 ** d),
    );
    writeInt64Tensor(g, T.treeShape, [2], [-1, trees]);
    writeTensor(
      g,
      T.offsets,
      [trees],
      Array.from({ length: trees }, (_, t) => t * width),
    );
    writeTensor(g, T.leaves, [trees * width], forest.leaves);
    writeInt64Tensor(g, T.axes, [1], [1]);
    writeInt64Tensor(g, T.priorFeature, [1], [forest.prior.feature]);
    writeTensor(g, T.priorWeight, [1], [forest.prior.weight]);
    writeTensor(g, T.bias, [1], [forest.bias]);
    writeValueInfo(g, GRAPH.input, ONNX_INPUT, inputs);
    writeValueInfo(g, GRAPH.output, ONNX_OUTPUT, 1);
  });
}

/** True when the bytes hold a graph of the forest format's operators (rather than the MLP's). */
export function isForestOnnx(bytes: Uint8Array): boolean {
  const { nodes } = readOnnxGraph(bytes);
  return nodes.length === OPS.length && nodes.every((n, i) => n.opType === OPS[i]);
}

/**
 * Reads back a model written by `exportForestToOnnx`; anything else is
 * refused with AppError("invalid_manifest"). The Worker and the offline
 * replay score the TypeScript forest from the very bytes ORT runs.
 */
export function forestFromOnnx(bytes: Uint8Array, inputs: number): ObliviousForest {
  const { nodes, tensors } = readOnnxGraph(bytes);
  if (nodes.length !== OPS.length || nodes.some((n, i) => n.opType !== OPS[i])) return refuseModel("operators are not the oblivious forest format");
  const features = int64Tensor(tensors, T.features);
  const thresholds = floatTensor(tensors, T.thresholds);
  const shape = int64Tensor(tensors, T.levelShape);
  const leaves = floatTensor(tensors, T.leaves);
  const priorFeature = int64Tensor(tensors, T.priorFeature);
  const priorWeight = floatTensor(tensors, T.priorWeight);
  const bias = floatTensor(tensors, T.bias);
  if (!features || !thresholds || !shape || !leaves || !priorFeature || !priorWeight || !bias || shape.values.length !== 3) {
    return refuseModel("forest initializers are missing or mistyped");
  }
  const forest: ObliviousForest = {
    inputs,
    depth: shape.values[2]!,
    features: Int32Array.from(features.values),
    thresholds: thresholds.values,
    leaves: leaves.values,
    bias: bias.values[0] ?? 0,
    prior: { feature: priorFeature.values[0] ?? 0, weight: priorWeight.values[0] ?? 0 },
  };
  checkForest(forest);
  return forest;
}
