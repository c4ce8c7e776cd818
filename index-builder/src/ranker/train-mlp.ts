import { AppError } from "../../../shared/errors";
import { type DenseLayer, type MlpModel } from "../../../shared/ranking/mlp";
import { mulberry32, normalSource } from "../train/seeded-random";
import { lambdaDeltas } from "./lambdarank";

export interface MlpTrainOptions {
  /** Widths of the ReLU hidden layers; [] trains a linear scorer. */
  hidden: number[];
  /**
   * "pointwise": binary cross-entropy per row. "listwise": softmax
   * cross-entropy over each group's rows (ListNet top-one, Cao et al. 2007),
   * which only rewards ordering within a request, what nDCG measures.
   * "lambdarank": pairwise RankNet loss weighted by |ΔnDCG@`ndcgAt`|
   * (Burges 2010; ./lambdarank.ts), aimed at the top of the list.
   */
  loss: "pointwise" | "listwise" | "lambdarank";
  /** The k of nDCG@k that LambdaRank's pair weights use (default 10). */
  ndcgAt?: number;
  /** Rows per step (pointwise) or groups per step (listwise). */
  batchSize: number;
  epochs: number;
  /** Adam step size (Kingma & Ba 2015, "alpha"). */
  learningRate: number;
  /** L2 penalty on weights (not biases), added to the mean loss. */
  l2: number;
  seed: number;
}

/**
 * A linear scorer under LambdaRank@10: on the funnel's validation rows it led
 * the light order where the [32,16] and [16] networks trailed it (docs/movielens-hand-tuning.md).
 */
export const DEFAULT_MLP_TRAINING: MlpTrainOptions = {
  hidden: [],
  loss: "lambdarank",
  ndcgAt: 10,
  epochs: 20,
  batchSize: 8,
  learningRate: 0.01,
  l2: 1e-4,
  seed: 7,
};

/** What training saw, for the report. */
export interface MlpTrainReport {
  /** Mean logistic loss of each epoch, over the rows as they were trained on. */
  epochLoss: number[];
  /** Features that were constant in training: their input weights are zero, so they are neutral at serving. */
  constantFeatures: number[];
}

/** Training rows: features size n·inputs row-major, labels size n, and for the listwise loss the groups (size groups+1). */
export interface TrainingRows {
  features: Float32Array;
  labels: Uint8Array;
  groupStart?: Uint32Array;
}

/** The rows of the chosen groups (request lists), in the given order, as rows of their own; `width` features a row. */
export function selectGroups(rows: TrainingRows & { groupStart: Uint32Array }, groups: readonly number[], width: number): TrainingRows {
  const total = groups.reduce((s, g) => s + rows.groupStart[g + 1]! - rows.groupStart[g]!, 0);
  const features = new Float32Array(total * width);
  const labels = new Uint8Array(total);
  const groupStart = new Uint32Array(groups.length + 1);
  let at = 0;
  groups.forEach((g, k) => {
    const [start, end] = [rows.groupStart[g]!, rows.groupStart[g + 1]!];
    features.set(rows.features.subarray(start * width, end * width), at * width);
    labels.set(rows.labels.subarray(start, end), at);
    at += end - start;
    groupStart[k + 1] = at;
  });
  return { features, labels, groupStart };
}

/**
 * Trains an MLP scorer by mini-batch Adam on the chosen loss. Inputs are
 * standardised with the training rows' mean and deviation during training,
 * and the standardisation is then folded into the first layer, so the
 * returned model takes raw feature rows and ends in a sigmoid of the logit.
 * A column that never varies gets zero weights: a source the offline data
 * cannot produce (trending, editorial, ...) neither helps nor hurts at serving.
 */
export function trainMlp(data: TrainingRows, inputs: number, options: MlpTrainOptions = DEFAULT_MLP_TRAINING): { model: MlpModel; report: MlpTrainReport } {
  const { features, labels } = data;
  const n = labels.length;
  const { mean, scale, constant } = standardisation(features, n, inputs);
  const widths = [inputs, ...options.hidden, 1];
  const uniform = mulberry32(options.seed);
  const normal = normalSource(uniform);
  const layers = widths.slice(1).map((outputs, l) => {
    const ins = widths[l]!;
    // He initialisation for ReLU layers (He et al. 2015).
    const std = Math.sqrt(2 / ins);
    const w = Float64Array.from({ length: outputs * ins }, () => normal() * std);
    if (l === 0) for (let o = 0; o < outputs; o++) for (const c of constant) w[o * ins + c] = 0;
    return { ins, outs: outputs, w, b: new Float64Array(outputs) };
  });
  const adam = layers.map((l) => ({ w: new AdamState(l.w.length), b: new AdamState(l.b.length) }));
  const grads = layers.map((l) => ({ w: new Float64Array(l.w.length), b: new Float64Array(l.b.length) }));
  const acts = widths.map((w) => new Float64Array(w));
  const deltas = widths.map((w) => new Float64Array(w));
  const top = layers.length;
  const forward = (r: number): number => {
    const x = acts[0]!;
    for (let i = 0; i < inputs; i++) x[i] = (features[r * inputs + i]! - mean[i]!) * scale[i]!;
    layers.forEach((layer, l) => forwardLayer(layer, acts[l]!, acts[l + 1]!, l < top - 1));
    return acts[top]![0]!;
  };
  const units = trainingUnits(data, options.loss);
  const logits = new Float64Array(Math.max(1, ...units.map(([a, b]) => b - a)));
  const epochLoss: number[] = [];
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    shuffle(units, uniform);
    let lossSum = 0;
    for (let first = 0; first < units.length; first += options.batchSize) {
      const batch = units.slice(first, first + options.batchSize);
      for (const g of grads) {
        g.w.fill(0);
        g.b.fill(0);
      }
      for (const [start, end] of batch) {
        for (let r = start; r < end; r++) logits[r - start] = forward(r);
        const unitLoss =
          options.loss === "pointwise"
            ? logisticDeltas(logits, labels[start]!)
            : options.loss === "lambdarank"
              ? lambdaDeltas(logits, labels.subarray(start, end), end - start, options.ndcgAt ?? 10)
              : softmaxDeltas(logits, labels, start, end);
        lossSum += unitLoss;
        for (let r = start; r < end; r++) {
          forward(r);
          deltas[top]![0] = logits[r - start]!;
          for (let l = top - 1; l >= 0; l--) backwardLayer(layers[l]!, grads[l]!, acts[l]!, deltas[l + 1]!, deltas[l]!, l > 0);
        }
      }
      step++;
      const inv = 1 / batch.length;
      layers.forEach((layer, l) => {
        const g = grads[l]!;
        for (let i = 0; i < g.w.length; i++) g.w[i] = g.w[i]! * inv + options.l2 * layer.w[i]!;
        for (let i = 0; i < g.b.length; i++) g.b[i] = g.b[i]! * inv;
        adam[l]!.w.step(layer.w, g.w, options.learningRate, step);
        adam[l]!.b.step(layer.b, g.b, options.learningRate, step);
      });
    }
    epochLoss.push(lossSum / Math.max(1, units.length));
  }
  return { model: foldStandardisation(layers, mean, scale), report: { epochLoss, constantFeatures: constant } };
}

/** Row ranges trained as one term of the loss: single rows, or the groups that have both a positive and a negative. */
function trainingUnits(data: TrainingRows, loss: MlpTrainOptions["loss"]): [number, number][] {
  if (loss === "pointwise") return Array.from({ length: data.labels.length }, (_, r) => [r, r + 1]);
  const groups = data.groupStart;
  if (!groups) throw new AppError("internal", `${loss} training needs groupStart`);
  const units: [number, number][] = [];
  for (let g = 0; g + 1 < groups.length; g++) {
    const start = groups[g]!;
    const end = groups[g + 1]!;
    let positives = 0;
    for (let r = start; r < end; r++) positives += data.labels[r]!;
    if (positives > 0 && positives < end - start) units.push([start, end]);
  }
  return units;
}

/** Replaces the logit in `z[0]` by dLoss/dz of binary cross-entropy; returns the loss. */
function logisticDeltas(z: Float64Array, y: number): number {
  const logit = z[0]!;
  z[0] = 1 / (1 + Math.exp(-logit)) - y;
  return Math.max(logit, 0) - logit * y + Math.log1p(Math.exp(-Math.abs(logit)));
}

/** Replaces the group's logits (z[0..end-start)) by dLoss/dz of −Σ_pos log softmax(z)/P; returns the loss. */
function softmaxDeltas(z: Float64Array, labels: Uint8Array, start: number, end: number): number {
  const m = end - start;
  let max = -Infinity;
  for (let k = 0; k < m; k++) max = Math.max(max, z[k]!);
  let sum = 0;
  for (let k = 0; k < m; k++) sum += Math.exp(z[k]! - max);
  const logSum = max + Math.log(sum);
  let positives = 0;
  for (let k = 0; k < m; k++) positives += labels[start + k]!;
  let loss = 0;
  for (let k = 0; k < m; k++) {
    const y = labels[start + k]! / positives;
    loss -= y * (z[k]! - logSum);
    z[k] = Math.exp(z[k]! - logSum) - y;
  }
  return loss;
}

interface TrainLayer {
  ins: number;
  outs: number;
  /** Size outs·ins, row-major (output, input). */
  w: Float64Array;
  b: Float64Array;
}

function forwardLayer(layer: TrainLayer, x: Float64Array, y: Float64Array, relu: boolean): void {
  for (let o = 0; o < layer.outs; o++) {
    let s = layer.b[o]!;
    const base = o * layer.ins;
    for (let i = 0; i < layer.ins; i++) s += layer.w[base + i]! * x[i]!;
    y[o] = relu && s < 0 ? 0 : s;
  }
}

/** Accumulates dL/dW, dL/db from `delta` (dL/dz of this layer) and writes dL/dz of the layer below into `below`. */
function backwardLayer(
  layer: TrainLayer,
  grad: { w: Float64Array; b: Float64Array },
  x: Float64Array,
  delta: Float64Array,
  below: Float64Array,
  belowIsRelu: boolean,
): void {
  if (belowIsRelu) below.fill(0, 0, layer.ins);
  for (let o = 0; o < layer.outs; o++) {
    const d = delta[o]!;
    if (d === 0) continue;
    grad.b[o]! += d;
    const base = o * layer.ins;
    for (let i = 0; i < layer.ins; i++) {
      grad.w[base + i]! += d * x[i]!;
      if (belowIsRelu) below[i]! += d * layer.w[base + i]!;
    }
  }
  // x holds the ReLU output of the layer below: its derivative is 0 where the output is 0.
  if (belowIsRelu) for (let i = 0; i < layer.ins; i++) if (x[i]! <= 0) below[i] = 0;
}

/** Adam moment estimates for one parameter array (Kingma & Ba 2015, Algorithm 1, default betas). */
class AdamState {
  private readonly m: Float64Array;
  private readonly v: Float64Array;

  constructor(size: number) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  step(params: Float64Array, grad: Float64Array, lr: number, t: number): void {
    const b1 = 0.9;
    const b2 = 0.999;
    const c1 = 1 - Math.pow(b1, t);
    const c2 = 1 - Math.pow(b2, t);
    for (let i = 0; i < params.length; i++) {
      const g = grad[i]!;
      const m = (this.m[i] = b1 * this.m[i]! + (1 - b1) * g);
      const v = (this.v[i] = b2 * this.v[i]! + (1 - b2) * g * g);
      params[i]! -= (lr * (m / c1)) / (Math.sqrt(v / c2) + 1e-8);
    }
  }
}

/** Per column: mean and 1/deviation; constant columns get scale 0 and are listed. */
function standardisation(features: Float32Array, n: number, inputs: number): { mean: Float64Array; scale: Float64Array; constant: number[] } {
  const mean = new Float64Array(inputs);
  const sq = new Float64Array(inputs);
  for (let r = 0; r < n; r++) for (let i = 0; i < inputs; i++) mean[i]! += features[r * inputs + i]!;
  for (let i = 0; i < inputs; i++) mean[i]! /= Math.max(1, n);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < inputs; i++) {
      const d = features[r * inputs + i]! - mean[i]!;
      sq[i]! += d * d;
    }
  }
  const scale = new Float64Array(inputs);
  const constant: number[] = [];
  for (let i = 0; i < inputs; i++) {
    const std = Math.sqrt(sq[i]! / Math.max(1, n));
    if (std < 1e-6) constant.push(i);
    else scale[i] = 1 / std;
  }
  return { mean, scale, constant };
}

/** W' = W·diag(scale), b' = b − W'·mean: the first layer then takes raw features. */
function foldStandardisation(layers: TrainLayer[], mean: Float64Array, scale: Float64Array): MlpModel {
  const out: DenseLayer[] = layers.map((layer, l) => {
    const weights = new Float32Array(layer.w.length);
    const bias = new Float32Array(layer.outs);
    for (let o = 0; o < layer.outs; o++) {
      let b = layer.b[o]!;
      for (let i = 0; i < layer.ins; i++) {
        const w = l === 0 ? layer.w[o * layer.ins + i]! * scale[i]! : layer.w[o * layer.ins + i]!;
        weights[o * layer.ins + i] = w;
        if (l === 0) b -= w * mean[i]!;
      }
      bias[o] = b;
    }
    return { inputs: layer.ins, outputs: layer.outs, weights, bias, activation: l === layers.length - 1 ? "sigmoid" : "relu" };
  });
  return { layers: out };
}

function shuffle<T>(order: T[], uniform: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}
