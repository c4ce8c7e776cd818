import { type MlpModel } from "./mlp";
import { ProtoWriter } from "./onnx-protobuf";

/** The graph's input: float32 [batch, FEATURE_COUNT]. */
export const ONNX_INPUT = "features";
/** The graph's output: float32 [batch, 1], the last layer's activation (a probability for sigmoid). */
export const ONNX_OUTPUT = "score";
/**
 * Opset 13 has every operator we emit (Gemm, Relu, Sigmoid; for trees
 * Gather, Greater, Cast, Reshape, MatMul, Add, Mul, ReduceSum) in its current
 * form and is well inside what onnxruntime-web 1.30 runs; IR version 7 is the
 * one that goes with it.
 */
export const ONNX_OPSET = 13;
const ONNX_IR_VERSION = 7;

// Field numbers and enum values from onnx/onnx.proto3 (TensorProto.DataType: also Cast's `to`).
export const TENSOR_FLOAT = 1;
export const TENSOR_INT64 = 7;
const ATTRIBUTE_INT = 2;
const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, docString: 6, graph: 7, opsetImport: 8 } as const;
export const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const ATTRIBUTE = { name: 1, i: 3, type: 20 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;

export interface OnnxExportOptions {
  producerVersion?: string;
  docString?: string;
}

/**
 * Encodes an MLP as an ONNX ModelProto: per layer a `Gemm` (transB=1, so the
 * weight initializer keeps the (output, input) layout of `DenseLayer`) and
 * its activation. The batch dimension is symbolic, so one model scores any
 * number of rows.
 */
export function exportMlpToOnnx(model: MlpModel, options: OnnxExportOptions = {}): Uint8Array {
  return onnxModel(options, (g) => writeGraph(g, model));
}

/** A ModelProto of opset ONNX_OPSET around the graph `build` writes (nodes, name, initializers, inputs, outputs). */
export function onnxModel(options: OnnxExportOptions, build: (graph: ProtoWriter) => void): Uint8Array {
  const w = new ProtoWriter();
  w.varint(MODEL.irVersion, ONNX_IR_VERSION);
  w.string(MODEL.producerName, "edge-recommender");
  w.string(MODEL.producerVersion, options.producerVersion ?? "1");
  if (options.docString) w.string(MODEL.docString, options.docString);
  w.message(MODEL.opsetImport, (o) => o.string(1, "").varint(2, ONNX_OPSET));
  w.message(MODEL.graph, build);
  return w.finish();
}

/** One NodeProto: `op` from `inputs` to `output`, with integer attributes. */
export function writeNode(g: ProtoWriter, op: string, name: string, inputs: string[], output: string, ints: Record<string, number> = {}): void {
  g.message(GRAPH.node, (n) => {
    for (const x of inputs) n.string(NODE.input, x);
    n.string(NODE.output, output).string(NODE.name, name).string(NODE.opType, op);
    for (const [key, value] of Object.entries(ints)) {
      n.message(NODE.attribute, (a) => a.string(ATTRIBUTE.name, key).varint(ATTRIBUTE.i, value).varint(ATTRIBUTE.type, ATTRIBUTE_INT));
    }
  });
}

function writeGraph(g: ProtoWriter, model: MlpModel): void {
  const last = model.layers.length - 1;
  let x = ONNX_INPUT;
  model.layers.forEach((layer, l) => {
    const linear = layer.activation === "none" && l === last ? ONNX_OUTPUT : `layer${l}.linear`;
    writeNode(g, "Gemm", `gemm${l}`, [x, `layer${l}.weight`, `layer${l}.bias`], linear, { transB: 1 });
    x = linear;
    if (layer.activation !== "none") {
      const activated = l === last ? ONNX_OUTPUT : `layer${l}.out`;
      const op = layer.activation === "relu" ? "Relu" : "Sigmoid";
      writeNode(g, op, `${op.toLowerCase()}${l}`, [x], activated);
      x = activated;
    }
  });
  g.string(GRAPH.name, "ranker");
  model.layers.forEach((layer, l) => {
    writeTensor(g, `layer${l}.weight`, [layer.outputs, layer.inputs], layer.weights);
    writeTensor(g, `layer${l}.bias`, [layer.outputs], layer.bias);
  });
  const inputs = model.layers[0]?.inputs ?? 0;
  const outputs = model.layers[last]?.outputs ?? 1;
  writeValueInfo(g, GRAPH.input, ONNX_INPUT, inputs);
  writeValueInfo(g, GRAPH.output, ONNX_OUTPUT, outputs);
}

/** A float32 initializer (TensorProto with little-endian raw_data: ONNX stores raw_data little-endian on every platform). */
export function writeTensor(g: ProtoWriter, name: string, dims: number[], values: ArrayLike<number>): void {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  writeInitializer(g, name, dims, TENSOR_FLOAT, raw);
}

/** An int64 initializer (indices and shapes). */
export function writeInt64Tensor(g: ProtoWriter, name: string, dims: number[], values: ArrayLike<number>): void {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setBigInt64(i * 8, BigInt(values[i]!), true);
  writeInitializer(g, name, dims, TENSOR_INT64, raw);
}

function writeInitializer(g: ProtoWriter, name: string, dims: number[], dataType: number, raw: Uint8Array): void {
  g.message(GRAPH.initializer, (t) => {
    for (const d of dims) t.varint(TENSOR.dims, d);
    t.varint(TENSOR.dataType, dataType);
    t.string(TENSOR.name, name);
    t.bytes(TENSOR.rawData, raw);
  });
}

/** The graph's input or output (`field`): a float tensor [batch, width]; "batch" is a symbolic dimension. */
export function writeValueInfo(g: ProtoWriter, field: number, name: string, width: number): void {
  g.message(field, (v) => {
    v.string(1, name);
    v.message(2, (type) =>
      type.message(1, (tensor) => {
        tensor.varint(1, TENSOR_FLOAT);
        tensor.message(2, (shape) => {
          shape.message(1, (dim) => dim.string(2, "batch"));
          shape.message(1, (dim) => dim.varint(1, width));
        });
      }),
    );
  });
}
