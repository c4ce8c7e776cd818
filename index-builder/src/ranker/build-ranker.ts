import { sha256Hex } from "../../../shared/checksum";
import { FEATURE_COUNT, FEATURE_SPEC_VERSION } from "../../../shared/ranking/features";
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
import { describeTraining, type HeavyTraining, trainHeavy, treeTraining } from "./train-heavy";
import { type GroupedRows } from "./train-trees";

/** Fewer users than this in either half and the comparison means nothing: no ranker is built. */
const MIN_HALF_GROUPS = 10;

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
  /** Seeds the split of the users into the two halves that score each other (cross-fitting). */
  seed: number;
}

export const DEFAULT_RANKER_BUILD: RankerBuildOptions = {
  dataset: DEFAULT_RANKER_DATASET,
  training: treeTraining(),
  bootstrap: DEFAULT_BOOTSTRAP,
  seed: 11,
};

/** The offline comparison on validation users, one row per ordering of the same candidates. */
export interface RankerReport {
  /** Whether the model goes into the index: only when the order choice (below) picked it, or `alwaysShip`. */
  shipped: boolean;
  /** Heavy, light and the best single source's raw order, compared by a paired bootstrap over every validation user. */
  choice: OrderChoice;
  rows: number;
  positives: number;
  /** Every user with a labelled request; each is scored by a model trained on the other half (`halves`). */
  validationGroups: number;
  halves: [number, number];
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
  /** The model the index ships, trained on every user's rows, with its ONNX export and spec; null when it does not ship. */
  shipped: { model: RankerModel; onnx: Uint8Array; spec: RankerSpec } | null;
  report: RankerReport;
  /** Index blobs by name (RANKER_BLOBS); empty when the model is not shipped. */
  blobs: Map<string, { bytes: Uint8Array; contentType: string }>;
}

/**
 * Builds the heavy ranker end to end: the served funnel's candidate lists
 * with labels (ranker-dataset.ts); the heavy model (an MLP or LambdaMART
 * trees, `training`) cross-fitted as `npm run eval`'s funnel does it
 * (eval/funnel/served-funnel.ts): the users fall in two seeded halves, a
 * model trained on one half's lists scores the other's, so every user is a
 * validation user scored by a model that never saw them; the comparison
 * against a linear listwise scorer on the same features (cross-fitted too)
 * and the training-free orderings; the choice of the served order (light,
 * the best single source's raw order, or the model: each must beat the one
 * before by more than a paired bootstrap's noise over all users); and, only
 * when the model ships, its retraining on every user, the ONNX export and
 * its spec. Returns null when a half is too small to validate a model.
 */
export async function buildRanker(
  dataset: Dataset,
  options: RankerBuildOptions = DEFAULT_RANKER_BUILD,
  log: (line: string) => void = () => {},
): Promise<RankerBuild | null> {
  const t0 = performance.now();
  const data = await buildRankerDataset(dataset, options.dataset);
  const t1 = performance.now();
  const halves = splitHalves(data, options.seed);
  if (Math.min(halves[0].length, halves[1].length) < MIN_HALF_GROUPS) {
    log(`ranker: skipped, ${halves[0].length} + ${halves[1].length} users in the two halves (need ${MIN_HALF_GROUPS} in each)`);
    return null;
  }
  const everyone = data.groupUsers.map((_, g) => g);
  const n = data.labels.length;
  const rowsOf = halves.map((half) => {
    const rows = selectGroups(data, half, FEATURE_COUNT);
    return { ...rows, groupStart: rows.groupStart! };
  }) as [GroupedRows, GroupedRows];
  /** Each half's rows scored by a model fitted on the other half's (only its own rows are scored). */
  const crossFitted = (fit: (rows: GroupedRows) => RankerModel): Float64Array => {
    const scores = new Float64Array(n);
    for (const k of [0, 1] as const) {
      const own = rowsOf[k];
      const scored = rankerScore(fit(rowsOf[1 - k]!), own.features, own.labels.length);
      let at = 0;
      for (const g of halves[k]) for (let r = data.groupStart[g]!; r < data.groupStart[g + 1]!; r++) scores[r] = scored[at++]!;
    }
    return scores;
  };
  const heavyScores = crossFitted((rows) => trainHeavy(rows, FEATURE_COUNT, options.training));
  const t2 = performance.now();
  // A linear listwise scorer on the same features, for contrast.
  const linearScores = crossFitted((rows) => trainMlp(rows, FEATURE_COUNT, { ...DEFAULT_MLP_TRAINING, hidden: [], loss: "listwise" }).model);
  const quality = (scores: ArrayLike<number>) => rankingQuality(scores, data.labels, data.groupStart, data.heldOut, everyone);
  const sources = Object.fromEntries(
    SOURCES.filter((s) => data.candidates.some((c) => c.sources[s] !== undefined)).map((s) => [s, quality(sourceScores(data.candidates, s))]),
  ) as Partial<Record<Source, RankingQuality>>;
  const orderings = {
    heavy: quality(heavyScores),
    linear: quality(linearScores),
    light: quality(data.light),
    rrf: quality(rrfScores(data.candidates, data.groupStart)),
    ...sources,
  };
  const bestSource = (Object.keys(sources) as Source[]).sort((a, b) => sources[b]!.ndcgAt10 - sources[a]!.ndcgAt10)[0];
  const perUser = (scores: ArrayLike<number>) => groupNdcgAt10(scores, data.labels, data.groupStart, data.heldOut, everyone);
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
    validationGroups: everyone.length,
    halves: [halves[0].length, halves[1].length],
    candidateRecall: candidateRecall(data, everyone),
    orderings,
    model: describeTraining(options.training),
    seconds: { candidates: round((t1 - t0) / 1000), training: round((t2 - t1) / 1000) },
  };
  for (const [name, q] of Object.entries(report.orderings)) {
    log(`ranker validation ${name.padEnd(9)} nDCG@10 ${q.ndcgAt10.toFixed(4)}  AUC ${q.auc.toFixed(4)}  (${q.groups} users)`);
  }
  log(
    `ranker: ${n} candidate rows in ${report.seconds.candidates} s, ${report.model} cross-fitted over ${halves[0].length} + ${halves[1].length} users in ${report.seconds.training} s`,
  );
  for (const line of describeChoice(choice)) log(`ranker: ${line}`);
  if (options.alwaysShip && choice.order !== "heavy") log(`ranker: shipped and served anyway (alwaysShip), though validation chose ${choice.order}`);
  if (!report.shipped) return { order: choice.order, shipped: null, report, blobs: new Map() };

  // What ships learns from every user's lists, as the eval's funnel retrains the ranker it keeps.
  const model = trainHeavy(data, FEATURE_COUNT, options.training);
  const onnx = exportRankerToOnnx(model, { producerVersion: String(FEATURE_SPEC_VERSION), docString: "edge-recommender heavy ranker" });
  const spec: RankerSpec = rankerSpecOf(await sha256Hex(onnx), isForest(model) ? [FEATURE_COUNT, 1] : [FEATURE_COUNT, ...model.layers.map((l) => l.outputs)], {
    ...report,
    model: describeRanker(model),
  });
  const blobs = new Map<string, { bytes: Uint8Array; contentType: string }>([
    [RANKER_BLOBS.model, { bytes: onnx, contentType: "application/octet-stream" }],
    [RANKER_BLOBS.spec, { bytes: encodeRankerSpec(spec), contentType: "application/json" }],
  ]);
  log(`ranker: shipped ${describeRanker(model)}, trained on all ${everyone.length} users`);
  return { order: "heavy", shipped: { model, onnx, spec }, report, blobs };
}

/** The users (groups) in two seeded halves. */
export function splitHalves(data: RankerDataset, seed: number): [number[], number[]] {
  const uniform = mulberry32(seed);
  const halves: [number[], number[]] = [[], []];
  for (let g = 0; g < data.groupUsers.length; g++) halves[uniform() < 0.5 ? 0 : 1].push(g);
  return halves;
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
