import { type ScanKernel } from "../../../../shared/ann/kernel/scan-kernel";
import { type FunnelKnobs } from "../../../../shared/funnel/knobs";
import { lightTop } from "../../../../shared/funnel/rank";
import { FEATURE_COUNT, featureRows } from "../../../../shared/ranking/features";
import { type RankerModel } from "../../../../shared/ranking/ranker-model";
import { type HeavyTraining, trainHeavy } from "../../ranker/train-heavy";
import { selectGroups, type TrainingRows } from "../../ranker/train-mlp";
import { type FittedFunnel, fittedPorts, gathered } from "./funnel-fit";

/** Labelled heavy-ranker inputs, one group per user request, in user order. */
export interface FunnelRankerRows extends TrainingRows {
  groupStart: Uint32Array;
  /** Dense user of each group. */
  users: number[];
}

/**
 * The heavy ranker's training rows, built as it sees them when served: each
 * user's request through the served funnel (shared/funnel) up to the light
 * ranker, its light top `knobs.heavyTopN`, the feature rows of
 * shared/ranking/features.ts, and label 1 where the user went on to
 * interact with the candidate (`truth`). Users without a truth set are skipped.
 */
export async function funnelRankerRows(
  fitted: FittedFunnel,
  kernel: ScanKernel,
  truth: ReadonlyMap<number, ReadonlySet<string>>,
  knobs: FunnelKnobs,
): Promise<FunnelRankerRows> {
  const ports = fittedPorts(fitted, kernel, null);
  const features: Float32Array[] = [];
  const labels: number[] = [];
  const groupStart = [0];
  const users: number[] = [];
  for (const u of [...truth.keys()].sort((a, b) => a - b)) {
    const items = truth.get(u)!;
    const g = items.size > 0 ? await gathered(fitted, ports, u, knobs) : null;
    if (!g) continue;
    const picked = lightTop(g.light, knobs.heavyTopN).top;
    const top = picked.map((i) => g.candidates[i]!);
    features.push(
      featureRows(
        top,
        (id) => g.facts.get(id) ?? null,
        g.user,
        picked.map((i) => g.light[i]!),
      ),
    );
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

/** Trains the heavy ranker on the rows of `groups` (indices into `rows`' groups; all by default). */
export function trainFunnelRanker(rows: FunnelRankerRows, training: HeavyTraining, groups?: readonly number[]): RankerModel {
  const picked = groups ? selectGroups(rows, groups, FEATURE_COUNT) : rows;
  return trainHeavy({ ...picked, groupStart: picked.groupStart ?? rows.groupStart }, FEATURE_COUNT, training);
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
