import { type Candidate, type ItemFacts, type UserContext } from "../../../shared/ranking/candidate";
import { FEATURE_COUNT, featureRows } from "../../../shared/ranking/features";
import { lightScores } from "../../../shared/ranking/light-rank";
import { type Dataset } from "../data/movielens";
import { perUserTimeSplit } from "../eval/time-split";
import { buildCovisitation } from "../train/covisitation";
import { trainingTable } from "../build/training-table";
import { selectRows } from "../train/interaction-table";
import { DEMO_IALS, trainIalsOnTable } from "../train/train-ials";
import { DEFAULT_OFFLINE_FUNNEL, type HistoryEvent, offlineCandidates, type OfflineFunnelOptions, type OfflineModels } from "./offline-funnel";

/**
 * Labelled candidate lists, one group per user request: the rows of group g
 * are groupStart[g]..groupStart[g+1).
 */
export interface RankerDataset {
  /** Size rows·FEATURE_COUNT, row-major (row, feature), filled by shared/ranking/features.ts. */
  features: Float32Array;
  /** Size rows: 1 when the user interacted with the candidate in the held-out window. */
  labels: Uint8Array;
  /** Size groups+1. */
  groupStart: Uint32Array;
  /** External user id of each group. */
  groupUsers: string[];
  /** Size groups: held-out items of the group's user (the ideal list of nDCG). */
  heldOut: Uint32Array;
  /** Size rows: the candidate behind each row, in the light ranker's order within its group. */
  candidates: Candidate[];
  /** Size groups: the request context of each group. */
  contexts: UserContext[];
  /** Facts of every item the candidates name. */
  facts: Map<string, ItemFacts>;
}

export interface RankerDatasetOptions {
  /** Share of each user's most recent interactions held out as labels. */
  heldOutFraction: number;
  /** Popularity decay half-life, as the index's popular list uses. */
  popularityHalfLifeDays: number;
  funnel: OfflineFunnelOptions;
  /** Candidates the heavy ranker sees per request: the light ranker's top N, as in the serving funnel. */
  heavyTopN: number;
  /** Overrides for the implicit ALS the candidates come from (tests use fewer sweeps). */
  ials: Partial<typeof DEMO_IALS>;
}

/**
 * 8 iALS sweeps instead of the index's 15: the split needs its own
 * training run (the index's vectors have seen the held-out window), and on
 * ml-latest-small 8 sweeps halve its cost while the ANN-only ordering of the
 * validation lists is as good (nDCG@10 0.132 vs 0.124).
 */
export const DEFAULT_RANKER_DATASET: RankerDatasetOptions = {
  heldOutFraction: 0.2,
  popularityHalfLifeDays: 730,
  funnel: DEFAULT_OFFLINE_FUNNEL,
  heavyTopN: 100,
  ials: { sweeps: 8 },
};

/**
 * Replays candidate generation offline on a per-user time split: iALS,
 * co-visitation and popularity are trained on each user's older
 * interactions only; each user's request happens at their first held-out
 * interaction, and the candidates they went on to interact with are the
 * positives. Nothing of the held-out window reaches the models or features.
 */
export function buildRankerDataset(dataset: Dataset, options: RankerDatasetOptions = DEFAULT_RANKER_DATASET): RankerDataset {
  // The index's own table: live events and ratings carry the weights serving uses.
  const table = trainingTable(dataset);
  const mask = perUserTimeSplit(table, options.heldOutFraction);
  const train = selectRows(table, mask, 0);
  const embeddings = trainIalsOnTable(train, { ...DEMO_IALS, ...options.ials });
  const covisit = buildCovisitation(train);

  const nItems = table.itemIds.length;
  const mass = new Float64Array(nItems);
  let asOfSec = 0;
  for (const t of train.timestampsSec) asOfSec = Math.max(asOfSec, t);
  const halfLifeSec = options.popularityHalfLifeDays * 86_400;
  for (let r = 0; r < train.items.length; r++) mass[train.items[r]!]! += Math.pow(0.5, (asOfSec - train.timestampsSec[r]!) / halfLifeSec);
  const catalog = new Map(dataset.items.map((item) => [item.itemId, item]));
  const facts: ItemFacts[] = table.itemIds.map((itemId, i) => {
    const item = catalog.get(itemId);
    return { itemId, title: item?.title ?? itemId, categories: item?.categories ?? [], year: item?.year ?? null, popularity: mass[i]!, available: true, fresh: false };
  });
  const popularOrder = [...mass.keys()].filter((i) => mass[i]! > 0).sort((a, b) => mass[b]! - mass[a]! || a - b);
  const byCategory = new Map<string, number[]>();
  for (const i of popularOrder) {
    for (const c of facts[i]!.categories) {
      const list = byCategory.get(c) ?? [];
      list.push(i);
      byCategory.set(c, list);
    }
  }
  const models: OfflineModels = { embeddings, covisit, facts, popularOrder, byCategory };

  const perUser = new Map<number, { history: HistoryEvent[]; heldOut: Set<number>; firstHeldOutMs: number }>();
  for (let r = 0; r < table.users.length; r++) {
    const u = table.users[r]!;
    const entry = perUser.get(u) ?? { history: [], heldOut: new Set<number>(), firstHeldOutMs: Infinity };
    const ms = table.timestampsSec[r]! * 1000;
    if (mask[r] === 0) entry.history.push({ item: table.items[r]!, weight: table.values[r]!, timestampMs: ms });
    else {
      entry.heldOut.add(table.items[r]!);
      entry.firstHeldOutMs = Math.min(entry.firstHeldOutMs, ms);
    }
    perUser.set(u, entry);
  }

  const itemIndex = new Map(table.itemIds.map((id, i) => [id, i]));
  const factsById = new Map(facts.map((f) => [f.itemId, f]));
  const chunks: { features: Float32Array; labels: Uint8Array }[] = [];
  const candidates: Candidate[] = [];
  const groupStart = [0];
  const groupUsers: string[] = [];
  const heldOut: number[] = [];
  const contexts: UserContext[] = [];
  for (const u of [...perUser.keys()].sort((a, b) => a - b)) {
    const { history, heldOut: truth, firstHeldOutMs } = perUser.get(u)!;
    if (truth.size === 0 || history.length === 0) continue;
    history.sort((a, b) => a.timestampMs - b.timestampMs);
    const offline = offlineCandidates(models, history, firstHeldOutMs, options.funnel);
    // As served: the light ranker orders the merged candidates and the heavy ranker sees its top N.
    const light = lightScores(offline.candidates, factsById, offline.ctx);
    const kept = offline.candidates
      .map((c, k) => ({ c, s: light[k]! }))
      .sort((a, b) => b.s - a.s)
      .slice(0, options.heavyTopN)
      .map((x) => x.c);
    const rows = featureRows(kept, (id) => factsById.get(id) ?? null, offline.ctx);
    const labels = Uint8Array.from(kept, (c) => (truth.has(itemIndex.get(c.itemId) ?? -1) ? 1 : 0));
    chunks.push({ features: rows, labels });
    candidates.push(...kept);
    groupStart.push(groupStart[groupStart.length - 1]! + kept.length);
    groupUsers.push(table.userIds[u]!);
    heldOut.push(truth.size);
    contexts.push(offline.ctx);
  }
  return { ...concat(chunks), groupStart: Uint32Array.from(groupStart), groupUsers, heldOut: Uint32Array.from(heldOut), candidates, contexts, facts: factsById };
}

function concat(chunks: { features: Float32Array; labels: Uint8Array }[]): { features: Float32Array; labels: Uint8Array } {
  const rows = chunks.reduce((n, c) => n + c.labels.length, 0);
  const features = new Float32Array(rows * FEATURE_COUNT);
  const labels = new Uint8Array(rows);
  let at = 0;
  for (const c of chunks) {
    features.set(c.features, at * FEATURE_COUNT);
    labels.set(c.labels, at);
    at += c.labels.length;
  }
  return { features, labels };
}
