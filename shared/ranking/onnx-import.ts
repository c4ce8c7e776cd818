import { AppError } from "../errors";
import { type Activation, type DenseLayer, type MlpModel } from "./mlp";
import { type ProtoField, readProtoFields } from "./onnx-protobuf";

/**
 * Reads back a model written by `exportMlpToOnnx` (a chain of Gemm with
 * transB=1, each optionally followed by Relu or Sigmoid). It is not a general
 * ONNX reader: anything else is refused with `AppError("invalid_manifest")`.
 * It lets the Worker score with the TypeScript MLP from the very bytes ORT
 * runs, and lets tests check the export round-trips.
 */
export function mlpFromOnnx(bytes: Uint8Array): MlpModel {
  const { nodes, tensors } = readOnnxGraph(bytes);
  const layers: DenseLayer[] = [];
  for (const node of nodes) {
    if (node.opType === "Gemm") {
      const [, weightName, biasName] = node.inputs;
      const weight = floatTensor(tensors, weightName);
      const bias = floatTensor(tensors, biasName);
      if (node.ints.transB !== 1 || !weight || !bias || weight.dims.length !== 2 || bias.values.length !== weight.dims[0]) {
        return refuseModel("Gemm must have transB=1 and float weight [out, in] and bias [out] initializers");
      }
      layers.push({ inputs: weight.dims[1]!, outputs: weight.dims[0]!, weights: weight.values, bias: bias.values, activation: "none" });
    } else if (node.opType === "Relu" || node.opType === "Sigmoid") {
      const layer = layers[layers.length - 1];
      if (!layer || layer.activation !== "none") return refuseModel(`${node.opType} must follow a Gemm`);
      layer.activation = node.opType.toLowerCase() as Activation;
    } else return refuseModel(`operator ${node.opType} is not part of the MLP format`);
  }
  if (layers.length === 0 || layers.some((l, i) => i > 0 && l.inputs !== layers[i - 1]!.outputs)) return refuseModel("layers do not chain");
  return { layers };
}

/** One NodeProto as the readers need it: operator, inputs, outputs and integer attributes. */
export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  ints: Record<string, number>;
}

/** An initializer: its dims, ONNX data type (1 float32, 7 int64) and little-endian raw_data. */
export interface OnnxTensor {
  dims: number[];
  dataType: number;
  raw: Uint8Array;
}

/** The nodes (in order) and initializers (by name) of a ModelProto's graph; throws AppError("invalid_manifest") when there is none. */
export function readOnnxGraph(bytes: Uint8Array): { nodes: OnnxNode[]; tensors: Map<string, OnnxTensor> } {
  const fields = readProtoFields(only(readProtoFields(bytes), 7, "graph"));
  const tensors = new Map<string, OnnxTensor>();
  const nodes: OnnxNode[] = [];
  for (const f of fields) {
    if (f.wireType !== 2) continue;
    if (f.field === 5) readTensor(f.bytes, tensors);
    else if (f.field === 1) nodes.push(readNode(f.bytes));
  }
  return { nodes, tensors };
}

function readNode(bytes: Uint8Array): OnnxNode {
  const node: OnnxNode = { opType: "", inputs: [], outputs: [], ints: {} };
  for (const f of readProtoFields(bytes)) {
    if (f.wireType !== 2) continue;
    if (f.field === 1) node.inputs.push(text(f.bytes));
    else if (f.field === 2) node.outputs.push(text(f.bytes));
    else if (f.field === 4) node.opType = text(f.bytes);
    else if (f.field === 5) {
      const attr = readProtoFields(f.bytes);
      const name = attr.find((a) => a.field === 1);
      const value = attr.find((a) => a.field === 3);
      if (name?.wireType === 2 && value?.wireType === 0) node.ints[text(name.bytes)] = Number(BigInt.asIntN(64, value.value));
    }
  }
  return node;
}

function readTensor(bytes: Uint8Array, into: Map<string, OnnxTensor>): void {
  const dims: number[] = [];
  let name = "";
  let raw: Uint8Array | null = null;
  let dataType = 0;
  for (const f of readProtoFields(bytes)) {
    if (f.field === 1 && f.wireType === 0) dims.push(Number(f.value));
    else if (f.field === 2 && f.wireType === 0) dataType = Number(f.value);
    else if (f.field === 8 && f.wireType === 2) name = text(f.bytes);
    else if (f.field === 9 && f.wireType === 2) raw = f.bytes;
  }
  const count = dims.reduce((n, d) => n * d, 1);
  const width = dataType === 1 ? 4 : dataType === 7 ? 8 : 0;
  if (!width || !raw || raw.byteLength !== width * count) refuseModel(`initializer ${name} must be float32 or int64 raw_data`);
  into.set(name, { dims, dataType, raw: raw! });
}

/** The float32 initializer `name` as values, or null when there is none of that name and type. */
export function floatTensor(tensors: Map<string, OnnxTensor>, name: string | undefined): { dims: number[]; values: Float32Array } | null {
  const t = tensors.get(name ?? "");
  if (!t || t.dataType !== 1) return null;
  const view = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
  return { dims: t.dims, values: Float32Array.from({ length: t.raw.byteLength / 4 }, (_, i) => view.getFloat32(4 * i, true)) };
}

/** The int64 initializer `name` as numbers, or null when there is none of that name and type. */
export function int64Tensor(tensors: Map<string, OnnxTensor>, name: string | undefined): { dims: number[]; values: number[] } | null {
  const t = tensors.get(name ?? "");
  if (!t || t.dataType !== 7) return null;
  const view = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
  return { dims: t.dims, values: Array.from({ length: t.raw.byteLength / 8 }, (_, i) => Number(view.getBigInt64(8 * i, true))) };
}

function only(fields: ProtoField[], field: number, what: string): Uint8Array {
  const f = fields.find((x) => x.field === field);
  if (!f || f.wireType !== 2) return refuseModel(`model has no ${what}`);
  return f.bytes;
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

export function refuseModel(problem: string): never {
  throw new AppError("invalid_manifest", `ranker model: ${problem}`);
}
