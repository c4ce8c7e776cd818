import { type MlpModel } from "./mlp";
import { ProtoWriter } from "./onnx-protobuf";

/** The graph's input: float32 [batch, FEATURE_COUNT]. */
export const ONNX_INPUT = "features";
/** The graph's output: float32 [batch, 1], the last layer's activation (a probability for sigmoid). */
export const ONNX_OUTPUT = "score";
/**
 * Opset 13 has every operator we emit (Gemm, Relu, Sigmoid) in its current
 * form and is well inside what onnxruntime-web 1.30 runs; IR version 7 is the
 * one that goes with it.
 */
export const ONNX_OPSET = 13;
const ONNX_IR_VERSION = 7;

// Field numbers from onnx/onnx.proto3.
const TENSOR_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, docString: 6, graph: 7, opsetImport: 8 } as const;
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const ATTRIBUTE = { name: 1, i: 3, type: 20 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;

/**
 * Encodes an MLP as an ONNX ModelProto: per layer a `Gemm` (transB=1, so the
 * weight initializer keeps the (output, input) layout of `DenseLayer`) and
 * its activation. The batch dimension is symbolic, so one model scores any
 * number of rows.
 */
export function exportMlpToOnnx(model: MlpModel, options: { producerVersion?: string; docString?: string } = {}): Uint8Array {
  const w = new ProtoWriter();
  w.varint(MODEL.irVersion, ONNX_IR_VERSION);
  w.string(MODEL.producerName, "edge-recommender");
  w.string(MODEL.producerVersion, options.producerVersion ?? "1");
  if (options.docString) w.string(MODEL.docString, options.docString);
  w.message(MODEL.opsetImport, (o) => o.string(1, "").varint(2, ONNX_OPSET));
  w.message(MODEL.graph, (g) => writeGraph(g, model));
  return w.finish();
}

function writeGraph(g: ProtoWriter, model: MlpModel): void {
  const last = model.layers.length - 1;
  let x = ONNX_INPUT;
  model.layers.forEach((layer, l) => {
    const weights = `layer${l}.weight`;
    const bias = `layer${l}.bias`;
    const linear = layer.activation === "none" && l === last ? ONNX_OUTPUT : `layer${l}.linear`;
    g.message(GRAPH.node, (n) => {
      n.string(NODE.input, x).string(NODE.input, weights).string(NODE.input, bias);
      n.string(NODE.output, linear).string(NODE.name, `gemm${l}`).string(NODE.opType, "Gemm");
      n.message(NODE.attribute, (a) => a.string(ATTRIBUTE.name, "transB").varint(ATTRIBUTE.i, 1).varint(ATTRIBUTE.type, ATTRIBUTE_INT));
    });
    x = linear;
    if (layer.activation !== "none") {
      const activated = l === last ? ONNX_OUTPUT : `layer${l}.out`;
      const op = layer.activation === "relu" ? "Relu" : "Sigmoid";
      g.message(GRAPH.node, (n) => n.string(NODE.input, x).string(NODE.output, activated).string(NODE.name, `${op.toLowerCase()}${l}`).string(NODE.opType, op));
      x = activated;
    }
  });
  g.string(GRAPH.name, "ranker");
  model.layers.forEach((layer, l) => {
    g.message(GRAPH.initializer, (t) => writeTensor(t, `layer${l}.weight`, [layer.outputs, layer.inputs], layer.weights));
    g.message(GRAPH.initializer, (t) => writeTensor(t, `layer${l}.bias`, [layer.outputs], layer.bias));
  });
  const inputs = model.layers[0]?.inputs ?? 0;
  const outputs = model.layers[last]?.outputs ?? 1;
  g.message(GRAPH.input, (v) => writeValueInfo(v, ONNX_INPUT, inputs));
  g.message(GRAPH.output, (v) => writeValueInfo(v, ONNX_OUTPUT, outputs));
}

/** TensorProto with little-endian raw_data (ONNX stores raw_data little-endian on every platform). */
function writeTensor(t: ProtoWriter, name: string, dims: number[], values: Float32Array): void {
  for (const d of dims) t.varint(TENSOR.dims, d);
  t.varint(TENSOR.dataType, TENSOR_FLOAT);
  t.string(TENSOR.name, name);
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  t.bytes(TENSOR.rawData, raw);
}

/** ValueInfoProto of a float tensor [batch, width]; "batch" is a symbolic dimension. */
function writeValueInfo(v: ProtoWriter, name: string, width: number): void {
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
}
