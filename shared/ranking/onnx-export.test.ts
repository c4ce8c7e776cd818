import { describe, expect, it } from "vitest";
import { type DenseLayer, mlpScore, type MlpModel } from "./mlp";
import { exportMlpToOnnx } from "./onnx-export";
import { mlpFromOnnx } from "./onnx-import";
import { ProtoWriter, readProtoFields } from "./onnx-protobuf";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

function randomMlp(widths: number[], seed: number): MlpModel {
  const next = lcg(seed);
  const layers: DenseLayer[] = widths.slice(1).map((outputs, l) => ({
    inputs: widths[l]!,
    outputs,
    weights: Float32Array.from({ length: outputs * widths[l]! }, next),
    bias: Float32Array.from({ length: outputs }, next),
    activation: l === widths.length - 2 ? "sigmoid" : "relu",
  }));
  return { layers };
}

describe("ONNX export", () => {
  it("round-trips through the reader to the same model", () => {
    const model = randomMlp([28, 32, 16, 1], 1);
    expect(mlpFromOnnx(exportMlpToOnnx(model))).toEqual(model);
  });

  it("writes protobuf varints, negative ones in ten bytes", () => {
    const bytes = new ProtoWriter().varint(1, 300).varint(2, -1).string(3, "ab").finish();
    expect([...bytes.subarray(0, 3)]).toEqual([0x08, 0xac, 0x02]);
    const fields = readProtoFields(bytes);
    expect(fields.map((f) => f.field)).toEqual([1, 2, 3]);
    expect(fields[1]).toMatchObject({ wireType: 0, value: 2n ** 64n - 1n });
  });

  it("matches a hand-computed score", () => {
    const model: MlpModel = {
      layers: [
        { inputs: 2, outputs: 2, weights: Float32Array.of(1, -1, 0.5, 0.5), bias: Float32Array.of(0, -1), activation: "relu" },
        { inputs: 2, outputs: 1, weights: Float32Array.of(2, 1), bias: Float32Array.of(-1), activation: "sigmoid" },
      ],
    };
    // x = (3, 1): hidden = relu(2, 1) = (2, 1); logit = 4 + 1 - 1 = 4.
    expect(mlpScore(model, Float32Array.of(3, 1), 1)[0]).toBeCloseTo(1 / (1 + Math.exp(-4)), 6);
  });

  it("refuses a model that is not an MLP chain", () => {
    expect(() => mlpFromOnnx(Uint8Array.of(0x3a, 0x02, 0x22, 0x00))).toThrow(/ranker model/);
  });
});
