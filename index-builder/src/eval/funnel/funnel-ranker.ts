import { type ItemFacts } from "../../../../shared/ranking/candidate";
import { FEATURE_COUNT, featureRows } from "../../../../shared/ranking/features";
import { type MlpModel } from "../../../../shared/ranking/mlp";
import { type MlpTrainOptions, selectGroups, trainMlp, type TrainingRows } from "../../ranker/train-mlp";
import { type FunnelCandidates } from "./funnel-candidates";
import { type FunnelRanking, heavyInputs } from "./funnel-order";

/** Labelled heavy-ranker inputs, one group per user request, in user order. */
export interface FunnelRankerRows extends TrainingRows {
  groupStart: Uint32Array;
  /** Dense user of each group. */
  users: number[];
}

/**
 * The heavy ranker's training rows, built as it sees them when served: each
 * request's light top N (`ranking.heavyTopN`), its feature rows from
 * shared/ranking/features.ts, label 1 where the user went on to interact
 * with the candidate (`truth`). Users without a truth set are skipped.
 */
export function funnelRankerRows(
  requests: ReadonlyMap<number, FunnelCandidates>,
  truth: ReadonlyMap<number, ReadonlySet<string>>,
  facts: ReadonlyMap<string, ItemFacts>,
  ranking: FunnelRanking,
): FunnelRankerRows {
  const features: Float32Array[] = [];
  const labels: number[] = [];
  const groupStart = [0];
  const users: number[] = [];
  for (const u of [...requests.keys()].sort((a, b) => a - b)) {
    const items = truth.get(u);
    if (!items || items.size === 0) continue;
    const request = requests.get(u)!;
    const { top } = heavyInputs(request, facts, ranking);
    features.push(featureRows(top, (id) => facts.get(id) ?? null, request.ctx));
    for (const c of top) labels.push(items.has(c.itemId) ? 1 : 0);
    groupStart.push(labels.length);
    users.push(u);
  }
  const all = new Float32Array(labels.length * FEATURE_COUNT);
  let at = 0;
  for (const f of features) {
    all.set(f, at);
    at += f.length;
  }
  return { features: all, labels: Uint8Array.from(labels), groupStart: Uint32Array.from(groupStart), users };
}

/** Trains the heavy ranker's MLP on the rows of `groups` (indices into `rows`' groups; all by default). */
export function trainFunnelRanker(rows: FunnelRankerRows, options: MlpTrainOptions, groups?: readonly number[]): MlpModel {
  return trainMlp(groups ? selectGroups(rows, groups, FEATURE_COUNT) : rows, FEATURE_COUNT, options).model;
}

/** Several carves' rows as one set, groups in the given order. */
export function concatRankerRows(parts: readonly FunnelRankerRows[]): FunnelRankerRows {
  const total = parts.reduce((n, p) => n + p.labels.length, 0);
  const features = new Float32Array(total * FEATURE_COUNT);
  const labels = new Uint8Array(total);
  const groupStart = [0];
  const users: number[] = [];
  let at = 0;
  for (const part of parts) {
    features.set(part.features, at * FEATURE_COUNT);
    labels.set(part.labels, at);
    for (let g = 1; g < part.groupStart.length; g++) groupStart.push(at + part.groupStart[g]!);
    users.push(...part.users);
    at += part.labels.length;
  }
  return { features, labels, groupStart: Uint32Array.from(groupStart), users };
}
