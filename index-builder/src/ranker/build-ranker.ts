import { sha256Hex } from "../../../shared/checksum";
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_SPEC_VERSION } from "../../../shared/ranking/features";
import { mlpScore, type MlpModel } from "../../../shared/ranking/mlp";
import { exportMlpToOnnx, ONNX_INPUT, ONNX_OUTPUT } from "../../../shared/ranking/onnx-export";
import { encodeRankerSpec, RANKER_BLOBS, RANKER_SPEC_FORMAT, type RankerSpec } from "../../../shared/ranking/onnx-ranker";
import { type Dataset } from "../data/movielens";
import { mulberry32 } from "../train/seeded-random";
import { annScores, rrfScores } from "./light-orderings";
import { buildRankerDataset, DEFAULT_RANKER_DATASET, type RankerDataset, type RankerDatasetOptions } from "./ranker-dataset";
import { rankingQuality, type RankingQuality } from "./ranking-quality";
import { DEFAULT_MLP_TRAINING, type MlpTrainOptions, selectGroups, trainMlp } from "./train-mlp";

/** Fewer validation users than this and the comparison means nothing: no ranker is built. */
const MIN_VALIDATION_GROUPS = 20;

export interface RankerBuildOptions {
  dataset: RankerDatasetOptions;
  training: MlpTrainOptions;
  /** Share of users whose requests are kept out of training and used to compare orderings. */
  validationShare: number;
  seed: number;
}

export const DEFAULT_RANKER_BUILD: RankerBuildOptions = { dataset: DEFAULT_RANKER_DATASET, training: DEFAULT_MLP_TRAINING, validationShare: 0.2, seed: 11 };

/** The offline comparison on validation users, one row per ordering of the same candidates. */
export interface RankerReport {
  /** Whether the model goes into the index: only when it beats the light ranker's nDCG@10 on validation. */
  shipped: boolean;
  rows: number;
  positives: number;
  trainGroups: number;
  validationGroups: number;
  /** Mean held-out items per validation user that candidate generation retrieved, over all held out. */
  candidateRecall: number;
  orderings: Record<"mlp" | "linear" | "light" | "rrf" | "ann", RankingQuality>;
  epochLoss: number[];
  constantFeatures: string[];
  seconds: { candidates: number; training: number };
}

export interface RankerBuild {
  model: MlpModel;
  onnx: Uint8Array;
  spec: RankerSpec;
  report: RankerReport;
  /** Index blobs by name (RANKER_BLOBS); empty when the model is not shipped. */
  blobs: Map<string, { bytes: Uint8Array; contentType: string }>;
}

/**
 * Builds the heavy ranker end to end: the served funnel's candidate lists
 * with labels (ranker-dataset.ts), an MLP trained on the training users' lists, the
 * comparison on the validation users against a logistic regression on the
 * same features and the training-free orderings, then the ONNX export and
 * its spec. Returns null when the data is too small to validate a model.
 */
export async function buildRanker(dataset: Dataset, options: RankerBuildOptions = DEFAULT_RANKER_BUILD, log: (line: string) => void = () => {}): Promise<RankerBuild | null> {
  const t0 = performance.now();
  const data = await buildRankerDataset(dataset, options.dataset);
  const t1 = performance.now();
  const { train, validation } = splitGroups(data, options.validationShare, options.seed);
  if (validation.length < MIN_VALIDATION_GROUPS) {
    log(`ranker: skipped, ${validation.length} validation users (need ${MIN_VALIDATION_GROUPS})`);
    return null;
  }
  const trainRows = selectGroups(data, train, FEATURE_COUNT);
  const mlp = trainMlp(trainRows, FEATURE_COUNT, options.training);
  const t2 = performance.now();
  const linear = trainMlp(trainRows, FEATURE_COUNT, { ...options.training, hidden: [] });
  const n = data.labels.length;
  const quality = (scores: ArrayLike<number>) => rankingQuality(scores, data.labels, data.groupStart, data.heldOut, validation);
  const orderings = {
    mlp: quality(mlpScore(mlp.model, data.features, n)),
    linear: quality(mlpScore(linear.model, data.features, n)),
    light: quality(data.light),
    rrf: quality(rrfScores(data.candidates, data.groupStart)),
    ann: quality(annScores(data.candidates)),
  };
  const report: RankerReport = {
    shipped: orderings.mlp.ndcgAt10 > orderings.light.ndcgAt10,
    rows: n,
    positives: data.labels.reduce((s, y) => s + y, 0),
    trainGroups: train.length,
    validationGroups: validation.length,
    candidateRecall: candidateRecall(data, validation),
    orderings,
    epochLoss: mlp.report.epochLoss.map(round),
    constantFeatures: mlp.report.constantFeatures.map((i) => FEATURE_NAMES[i]!),
    seconds: { candidates: round((t1 - t0) / 1000), training: round((t2 - t1) / 1000) },
  };
  for (const [name, q] of Object.entries(report.orderings)) {
    log(`ranker validation ${name.padEnd(6)} nDCG@10 ${q.ndcgAt10.toFixed(4)}  AUC ${q.auc.toFixed(4)}  (${q.groups} users)`);
  }
  log(`ranker: ${n} candidate rows in ${report.seconds.candidates} s, MLP trained in ${report.seconds.training} s`);
  if (!report.shipped) log("ranker: not shipped, it does not beat the light ranker on validation");

  const onnx = exportMlpToOnnx(mlp.model, { producerVersion: String(FEATURE_SPEC_VERSION), docString: "edge-recommender heavy ranker" });
  const spec: RankerSpec = {
    formatVersion: RANKER_SPEC_FORMAT,
    featureSpecVersion: FEATURE_SPEC_VERSION,
    featureNames: [...FEATURE_NAMES],
    input: ONNX_INPUT,
    output: ONNX_OUTPUT,
    modelSha256: await sha256Hex(onnx),
    widths: [FEATURE_COUNT, ...options.training.hidden, 1],
    validation: { ...report },
  };
  const blobs = new Map<string, { bytes: Uint8Array; contentType: string }>(report.shipped ? [
    [RANKER_BLOBS.model, { bytes: onnx, contentType: "application/octet-stream" }],
    [RANKER_BLOBS.spec, { bytes: encodeRankerSpec(spec), contentType: "application/json" }],
  ] : []);
  return { model: mlp.model, onnx, spec, report, blobs };
}

/** A seeded share of the groups (users) for validation; the rest train. */
function splitGroups(data: RankerDataset, share: number, seed: number): { train: number[]; validation: number[] } {
  const uniform = mulberry32(seed);
  const train: number[] = [];
  const validation: number[] = [];
  for (let g = 0; g < data.groupUsers.length; g++) (uniform() < share ? validation : train).push(g);
  return { train, validation };
}

function candidateRecall(data: RankerDataset, groups: readonly number[]): number {
  let sum = 0;
  for (const g of groups) {
    let hits = 0;
    for (let r = data.groupStart[g]!; r < data.groupStart[g + 1]!; r++) hits += data.labels[r]!;
    sum += hits / data.heldOut[g]!;
  }
  return groups.length ? round(sum / groups.length) : 0;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
