import { AppError } from "../errors";

/** What follows a layer's affine map. */
export type Activation = "relu" | "sigmoid" | "none";

/**
 * One fully connected layer: y = act(W·x + b), the ONNX `Gemm` with transB=1.
 * `weights` has size outputs·inputs, row-major (output, input); `bias` size outputs.
 */
export interface DenseLayer {
  inputs: number;
  outputs: number;
  weights: Float32Array;
  bias: Float32Array;
  activation: Activation;
}

/**
 * A small multilayer perceptron: the heavy ranker's model and the reference
 * the ONNX export must reproduce. The last layer has one output.
 */
export interface MlpModel {
  layers: DenseLayer[];
}

/**
 * Scores `n` rows of `rows` (size n·inputs, row-major (row, feature)) into
 * `out` (size n). Float64 accumulation, rounded per layer to float32 like
 * ONNX Runtime's tensors, so the two agree to ~1e-6.
 */
export function mlpScore(model: MlpModel, rows: Float32Array, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
  const first = model.layers[0];
  if (!first) throw new AppError("internal", "mlpScore: model has no layers");
  let widest = 1;
  for (const l of model.layers) widest = Math.max(widest, l.outputs);
  let a = new Float32Array(widest);
  let b = new Float32Array(widest);
  for (let r = 0; r < n; r++) {
    denseForward(first, rows, r * first.inputs, a);
    for (let l = 1; l < model.layers.length; l++) {
      denseForward(model.layers[l]!, a, 0, b);
      [a, b] = [b, a];
    }
    out[r] = a[0]!;
  }
  return out;
}

/** y[0..outputs) = act(W·x + b) for the input x = xs[at..at+inputs). */
export function denseForward(layer: DenseLayer, xs: Float32Array, at: number, y: Float32Array): void {
  const { inputs, outputs, weights, bias } = layer;
  for (let o = 0; o < outputs; o++) {
    let sum = bias[o]!;
    const w = o * inputs;
    for (let i = 0; i < inputs; i++) sum += weights[w + i]! * xs[at + i]!;
    y[o] = activate(layer.activation, sum);
  }
}

export function activate(activation: Activation, z: number): number {
  switch (activation) {
    case "relu":
      return z > 0 ? z : 0;
    case "sigmoid":
      return 1 / (1 + Math.exp(-z));
    case "none":
      return z;
  }
}

/** Input width of the model. */
export function mlpInputs(model: MlpModel): number {
  return model.layers[0]?.inputs ?? 0;
}
