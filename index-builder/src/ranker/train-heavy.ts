import { FEATURE_NAMES } from "../../../shared/ranking/features";
import { type RankerModel } from "../../../shared/ranking/ranker-model";
import { type MlpTrainOptions, trainMlp } from "./train-mlp";
import { DEFAULT_TREE_TRAINING, type GroupedRows, type TreeTrainOptions, trainTrees } from "./train-trees";

/** How the heavy ranker is trained: an MLP (train-mlp.ts) or LambdaMART oblivious trees (train-trees.ts). */
export type HeavyTraining = { model: "mlp"; mlp: MlpTrainOptions } | { model: "trees"; trees: TreeTrainOptions };

/** LambdaMART trees boosted from the light order's rank column at `priorWeight` (0: from zero). */
export function treeTraining(options: Partial<Omit<TreeTrainOptions, "prior">> & { priorWeight?: number } = {}): HeavyTraining {
  const { priorWeight = 0, ...rest } = options;
  return { model: "trees", trees: { ...DEFAULT_TREE_TRAINING, ...rest, prior: { feature: FEATURE_NAMES.indexOf("light_rank"), weight: priorWeight } } };
}

/** Trains the heavy model `training` names on grouped feature rows (FEATURE_COUNT wide: `inputs`). */
export function trainHeavy(rows: GroupedRows, inputs: number, training: HeavyTraining): RankerModel {
  return training.model === "trees" ? trainTrees(rows, inputs, training.trees).forest : trainMlp(rows, inputs, training.mlp).model;
}

/** One line for reports: the model and the options that matter. */
export function describeTraining(training: HeavyTraining): string {
  if (training.model === "trees") {
    const t = training.trees;
    return `lambdamart oblivious trees ${t.trees}×depth ${t.depth} lr ${t.learningRate} l2 ${t.l2} max step ${t.maxStep} bins ${t.bins} @${t.ndcgAt} groups ${t.groupSample} prior ${t.prior.weight}`;
  }
  const m = training.mlp;
  return `${m.loss}${m.loss === "lambdarank" ? `@${m.ndcgAt ?? 10}` : ""} [${m.hidden.join(",")}] ${m.epochs} epochs lr ${m.learningRate} l2 ${m.l2}`;
}
