import { sha256Hex } from "../../../shared/checksum";
import { FEATURE_COUNT, FEATURE_SPEC_VERSION } from "../../../shared/ranking/features";
import { mlpScore } from "../../../shared/ranking/mlp";
import { describeRanker, exportRankerToOnnx, isForest, type RankerModel, rankerScore } from "../../../shared/ranking/ranker-model";
import { type Source, SOURCES } from "../../../shared/ranking/candidate";
import { type RankingOrder } from "../../../shared/ranking/ranking-order";
import { encodeRankerSpec, RANKER_BLOBS, rankerSpecOf, type RankerSpec } from "../../../shared/ranking/onnx-ranker";
import { type Dataset } from "../data/movielens";
import { mulberry32 } from "../train/seeded-random";
import { rrfScores, sourceScores } from "./light-orderings";
import { type BootstrapOptions, chooseOrder, DEFAULT_BOOTSTRAP, describeChoice, type OrderChoice } from "./order-choice";
import { buildRankerDataset, DEFAULT_RANKER_DATASET, type RankerDataset, type RankerDatasetOptions } from "./ranker-dataset";
import { groupNdcgAt10, rankingQuality, type RankingQuality } from "./ranking-quality";
import { DEFAULT_MLP_TRAINING, selectGroups, trainMlp } from "./train-mlp";
import { type HeavyTraining, trainHeavy, treeTraining } from "./train-heavy";

/** Fewer validation users than this and the comparison means nothing: no ranker is built. */
const MIN_VALIDATION_GROUPS = 20;

export interface RankerBuildOptions {
  dataset: RankerDatasetOptions;
  /** The heavy model and its training: an MLP or LambdaMART oblivious trees. */
  training: HeavyTraining;
  /** How the heavy, light and best-source orders are compared on the validation users. */
  bootstrap: BootstrapOptions;
  /**
   * Ship the model and serve it whatever validation chose (the report still
   * records the choice): for test indexes that must exercise the ONNX path.
   */
  alwaysShip?: boolean;
  /** Share of users whose requests are kept out of training and used to compare orderings. */
  validationShare: number;
  seed: number;
}

export const DEFAULT_RANKER_BUILD: RankerBuildOptions = {
  dataset: DEFAULT_RANKER_DATASET,
  training: treeTraining(),
  bootstrap: DEFAULT_BOOTSTRAP,
  validationShare: 0.2,
  seed: 11,
};

/** The offline comparison on validation users, one row per ordering of the same candidates. */
export interface RankerReport {
  /** Whether the model goes into the index: only when the order choice (below) picked it, or `alwaysShip`. */
  shipped: boolean;
  /** Heavy, light and the best single source's raw order, compared by a paired bootstrap over validation users. */
  choice: OrderChoice;
  rows: number;
  positives: number;
  trainGroups: number;
  validationGroups: number;
  /** Mean held-out items per validation user that candidate generation retrieved, over all held out. */
  candidateRecall: number;
  /** `heavy`: the model trained (`model` says which); `linear`: a listwise linear scorer on the same features, for contrast. */
  orderings: Record<"heavy" | "linear" | "light" | "rrf", RankingQuality> & Partial<Record<Source, RankingQuality>>;
  /** What the heavy model is (MLP widths, or trees × depth). */
  model: string;
  seconds: { candidates: number; training: number };
}

export interface RankerBuild {
  /** What the index serves to a user with a vector (manifest `ranking.order`). */
  order: RankingOrder;
  model: RankerModel;
  onnx: Uint8Array;
  spec: RankerSpec;
  report: RankerReport;
  /** Index blobs by name (RANKER_BLOBS); empty when the model is not shipped. */
  blobs: Map<string, { bytes: Uint8Array; contentType: string }>;
}

/**
 * Builds the heavy ranker end to end: the served funnel's candidate lists
 * with labels (ranker-dataset.ts), the heavy model (an MLP or LambdaMART trees, `training`) trained on the training users' lists, the
 * comparison on the validation users against a logistic regression on the
 * same features and the training-free orderings, the choice of the served
 * order (light, the best single source's raw order, or the model: each
 * must beat the one before by more than a paired bootstrap's noise), then
 * the ONNX export and its spec. Returns null when the data is too small to
 * validate a model.
 */
export async function buildRanker(
  dataset: Dataset,
  options: RankerBuildOptions = DEFAULT_RANKER_BUILD,
  log: (line: string) => void = () => {},
): Promise<RankerBuild | null> {
  const t0 = performance.now();
  const data = await buildRankerDataset(dataset, options.dataset);
  const t1 = performance.now();
  const { train, validation } = splitGroups(data, options.validationShare, options.seed);
  if (validation.length < MIN_VALIDATION_GROUPS) {
    log(`ranker: skipped, ${validation.length} validation users (need ${MIN_VALIDATION_GROUPS})`);
    return null;
  }
  const trainRows = selectGroups(data, train, FEATURE_COUNT);
  const heavy = trainHeavy({ ...trainRows, groupStart: trainRows.groupStart! }, FEATURE_COUNT, options.training);
  const t2 = performance.now();
  // A linear listwise scorer on the same features, for contrast.
  const linear = trainMlp(trainRows, FEATURE_COUNT, { ...DEFAULT_MLP_TRAINING, hidden: [], loss: "listwise" });
  const n = data.labels.length;
  const quality = (scores: ArrayLike<number>) => rankingQuality(scores, data.labels, data.groupStart, data.heldOut, validation);
  const heavyScores = rankerScore(heavy, data.features, n);
  const sources = Object.fromEntries(
    SOURCES.filter((s) => data.candidates.some((c) => c.sources[s] !== undefined)).map((s) => [s, quality(sourceScores(data.candidates, s))]),
  ) as Partial<Record<Source, RankingQuality>>;
  const orderings = {
    heavy: quality(heavyScores),
    linear: quality(mlpScore(linear.model, data.features, n)),
    light: quality(data.light),
    rrf: quality(rrfScores(data.candidates, data.groupStart)),
    ...sources,
  };
  const bestSource = (Object.keys(sources) as Source[]).sort((a, b) => sources[b]!.ndcgAt10 - sources[a]!.ndcgAt10)[0];
  const perUser = (scores: ArrayLike<number>) => groupNdcgAt10(scores, data.labels, data.groupStart, data.heldOut, validation);
  const choice = chooseOrder(
    [
      { order: "light", perUser: perUser(data.light) },
      ...(bestSource ? [{ order: `source:${bestSource}` as const, perUser: perUser(sourceScores(data.candidates, bestSource)) }] : []),
      { order: "heavy", perUser: perUser(heavyScores) },
    ],
    options.bootstrap,
  );
  const report: RankerReport = {
    shipped: choice.order === "heavy" || options.alwaysShip === true,
    choice,
    rows: n,
    positives: data.labels.reduce((s, y) => s + y, 0),
    trainGroups: train.length,
    validationGroups: validation.length,
    candidateRecall: candidateRecall(data, validation),
    orderings,
    model: describeRanker(heavy),
    seconds: { candidates: round((t1 - t0) / 1000), training: round((t2 - t1) / 1000) },
  };
  for (const [name, q] of Object.entries(report.orderings)) {
    log(`ranker validation ${name.padEnd(9)} nDCG@10 ${q.ndcgAt10.toFixed(4)}  AUC ${q.auc.toFixed(4)}  (${q.groups} users)`);
  }
  log(`ranker: ${n} candidate rows in ${report.seconds.candidates} s, ${report.model} trained in ${report.seconds.training} s`);
  for (const line of describeChoice(choice)) log(`ranker: ${line}`);
  if (options.alwaysShip && choice.order !== "heavy") log(`ranker: shipped and served anyway (alwaysShip), though validation chose ${choice.order}`);

  const onnx = exportRankerToOnnx(heavy, { producerVersion: String(FEATURE_SPEC_VERSION), docString: "edge-recommender heavy ranker" });
  const spec: RankerSpec = rankerSpecOf(await sha256Hex(onnx), isForest(heavy) ? [FEATURE_COUNT, 1] : [FEATURE_COUNT, ...heavy.layers.map((l) => l.outputs)], {
    ...report,
  });
  const blobs = new Map<string, { bytes: Uint8Array; contentType: string }>(
    report.shipped
      ? [
          [RANKER_BLOBS.model, { bytes: onnx, contentType: "application/octet-stream" }],
          [RANKER_BLOBS.spec, { bytes: encodeRankerSpec(spec), contentType: "application/json" }],
        ]
      : [],
  );
  return { order: report.shipped ? "heavy" : choice.order, model: heavy, onnx, spec, report, blobs };
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
