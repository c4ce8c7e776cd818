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
  const graph = only(readProtoFields(bytes), 7, "graph");
  const fields = readProtoFields(graph);
  const tensors = new Map<string, { dims: number[]; values: Float32Array }>();
  for (const f of fields) if (f.field === 5 && f.wireType === 2) readTensor(f.bytes, tensors);
  const layers: DenseLayer[] = [];
  for (const f of fields) {
    if (f.field !== 1 || f.wireType !== 2) continue;
    const node = readNode(f.bytes);
    if (node.opType === "Gemm") {
      const [, weightName, biasName] = node.inputs;
      const weight = tensors.get(weightName ?? "");
      const bias = tensors.get(biasName ?? "");
      if (!node.transB || !weight || !bias || weight.dims.length !== 2 || bias.values.length !== weight.dims[0]) {
        return bad("Gemm must have transB=1 and float weight [out, in] and bias [out] initializers");
      }
      layers.push({ inputs: weight.dims[1]!, outputs: weight.dims[0]!, weights: weight.values, bias: bias.values, activation: "none" });
    } else if (node.opType === "Relu" || node.opType === "Sigmoid") {
      const layer = layers[layers.length - 1];
      if (!layer || layer.activation !== "none") return bad(`${node.opType} must follow a Gemm`);
      layer.activation = node.opType.toLowerCase() as Activation;
    } else return bad(`operator ${node.opType} is not part of the MLP format`);
  }
  if (layers.length === 0 || layers.some((l, i) => i > 0 && l.inputs !== layers[i - 1]!.outputs)) return bad("layers do not chain");
  return { layers };
}

function readNode(bytes: Uint8Array): { opType: string; inputs: string[]; transB: boolean } {
  const node = { opType: "", inputs: [] as string[], transB: false };
  for (const f of readProtoFields(bytes)) {
    if (f.wireType !== 2) continue;
    if (f.field === 1) node.inputs.push(text(f.bytes));
    else if (f.field === 4) node.opType = text(f.bytes);
    else if (f.field === 5) {
      const attr = readProtoFields(f.bytes);
      const name = attr.find((a) => a.field === 1);
      const value = attr.find((a) => a.field === 3);
      if (name?.wireType === 2 && text(name.bytes) === "transB" && value?.wireType === 0) node.transB = value.value === 1n;
    }
  }
  return node;
}

function readTensor(bytes: Uint8Array, into: Map<string, { dims: number[]; values: Float32Array }>): void {
  const dims: number[] = [];
  let name = "";
  let raw: Uint8Array | null = null;
  let dataType = 0n;
  for (const f of readProtoFields(bytes)) {
    if (f.field === 1 && f.wireType === 0) dims.push(Number(f.value));
    else if (f.field === 2 && f.wireType === 0) dataType = f.value;
    else if (f.field === 8 && f.wireType === 2) name = text(f.bytes);
    else if (f.field === 9 && f.wireType === 2) raw = f.bytes;
  }
  const count = dims.reduce((n, d) => n * d, 1);
  if (dataType !== 1n || !raw || raw.byteLength !== 4 * count) bad(`initializer ${name} must be float32 raw_data`);
  const view = new DataView(raw!.buffer, raw!.byteOffset, raw!.byteLength);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = view.getFloat32(4 * i, true);
  into.set(name, { dims, values });
}

function only(fields: ProtoField[], field: number, what: string): Uint8Array {
  const f = fields.find((x) => x.field === field);
  if (!f || f.wireType !== 2) return bad(`model has no ${what}`);
  return f.bytes;
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function bad(problem: string): never {
  throw new AppError("invalid_manifest", `ranker model: ${problem}`);
}
