import { type FunnelKnobs, SERVED_KNOBS } from "../../../shared/funnel/knobs";
import { lightTop } from "../../../shared/funnel/rank";
import { gatherCandidates } from "../../../shared/funnel/run-funnel";
import { SESSION_RECENT_EVENTS } from "../../../shared/funnel/session";
import { type Candidate, type ItemFacts, type UserContext } from "../../../shared/ranking/candidate";
import { FEATURE_COUNT, featureRows } from "../../../shared/ranking/features";
import { type LightWeights } from "../../../shared/ranking/light-rank";
import { loadNodeKernel } from "../ann/node-kernel";
import { type Dataset } from "../data/movielens";
import { soundCarve } from "../eval/carve-check";
import { DEFAULT_TUNE } from "../build/tune-on-validation";
import { tableDecayedMass } from "../build/popularity";
import { buildMemoryIndex } from "../funnel/memory-index";
import { memoryFunnelPorts } from "../funnel/memory-ports";
import { offlineSession, type PastEvent } from "../funnel/offline-session";
import { trainingTable } from "../build/training-table";
import { buildCovisitation, type CovisitOptions } from "../train/covisitation";
import { type IalsOptions } from "../train/implicit-als";
import { type WeightTransform } from "../data/weights";
import { selectRows } from "../train/interaction-table";
import { DEMO_IALS, trainIalsOnTable } from "../train/train-ials";

/**
 * Labelled candidate lists, one group per user request: the rows of group g
 * are groupStart[g]..groupStart[g+1).
 */
export interface RankerDataset {
  /** Size rows·FEATURE_COUNT, row-major (row, feature), filled by shared/ranking/features.ts. */
  features: Float32Array;
  /** Size rows: 1 when the user interacted with the candidate in the held-out window. */
  labels: Uint8Array;
  /** Size rows: the served light ranker's score of each row (the order the heavy ranker must beat). */
  light: Float64Array;
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
  /** Share of each user's most recent interactions held out as labels (a random share when time cannot say which are recent). */
  heldOutFraction: number;
  /** Seeds the per-user random carve used when the time carve is unsound (eval/carve-check.ts). */
  seed?: number;
  /** Popularity decay half-life, as the index's popular list uses. */
  popularityHalfLifeDays: number;
  /** The served funnel's knobs (quotas, ANN, heavy top N); the light weights come from `lightWeights`. */
  knobs: FunnelKnobs;
  /** The light weights the index ships (manifest `ranking.light`); null: the Worker's defaults. */
  lightWeights: LightWeights | null;
  /** The implicit ALS the candidates come from: the build passes the options its tuning chose (tests use fewer sweeps). */
  ials: Partial<IalsOptions>;
  /** The co-visitation lists' options the build chose (default DEFAULT_COVISIT). */
  covisit?: CovisitOptions;
  /** The weight transform the build chose (default the dataset kind's own). */
  transform?: WeightTransform;
}

/**
 * 8 iALS sweeps instead of the index's 10: the split needs its own
 * training run (the index's vectors have seen the held-out window), and on
 * ml-latest-small 8 sweeps halve its cost while the ANN-only ordering of the
 * validation lists is as good (nDCG@10 0.132 vs 0.124).
 */
export const DEFAULT_RANKER_DATASET: RankerDatasetOptions = {
  heldOutFraction: 0.2,
  popularityHalfLifeDays: 730,
  knobs: { ...SERVED_KNOBS, heavy: false },
  lightWeights: null,
  ials: { sweeps: 8 },
};

/** Seed of the random carve, the tuner's, so both hold out the same rows of a log without usable timestamps. */
export const RANKER_CARVE_SEED = DEFAULT_TUNE.seed;

/**
 * The heavy ranker's requests replayed through the served funnel
 * (shared/funnel) on a per-user time split: iALS, co-visitation and
 * popularity are trained on each user's older interactions only and built
 * into an index in memory, exactly as a build publishes one; each user's
 * request happens at their first held-out interaction with the session the
 * Worker would hold then; the light ranker's top N are the rows, and the
 * candidates the user went on to interact with are the positives. Nothing
 * of the held-out window reaches the models or features. When time cannot
 * carve (no or constant timestamps: eval/carve-check.ts), each user's
 * held-out rows are a seeded random share instead, as the eval's funnel
 * rows and the tuner carve such a log, and the request happens after the
 * user's last row.
 */
export async function buildRankerDataset(dataset: Dataset, options: RankerDatasetOptions = DEFAULT_RANKER_DATASET): Promise<RankerDataset> {
  // The index's own table: live events and ratings carry the weights serving uses.
  const table = trainingTable(dataset, options.transform);
  const { mask, report } = soundCarve(table, options.heldOutFraction, options.seed ?? RANKER_CARVE_SEED);
  const timed = report.method === "time";
  const train = selectRows(table, mask, 0);
  const embeddings = trainIalsOnTable(train, { ...DEMO_IALS, ...options.ials });
  const covisit = buildCovisitation(train, options.covisit);

  const { mass, asOfMs } = tableDecayedMass(train, options.popularityHalfLifeDays);
  const index = buildMemoryIndex({
    version: "ranker",
    catalog: dataset.items,
    embeddings,
    covisit,
    mass,
    asOfMs,
    lightWeights: options.lightWeights,
  });
  const ports = memoryFunnelPorts(index, { kernel: loadNodeKernel() });
  const categories = new Map(dataset.items.map((item) => [item.itemId, item.categories]));

  const perUser = new Map<number, { history: PastEvent[]; heldOut: Set<string>; requestMs: number }>();
  for (let r = 0; r < table.users.length; r++) {
    const u = table.users[r]!;
    const entry = perUser.get(u) ?? { history: [], heldOut: new Set<string>(), requestMs: timed ? Infinity : -Infinity };
    const ms = table.timestampsSec[r]! * 1000;
    const itemId = table.itemIds[table.items[r]!]!;
    if (mask[r] === 0) entry.history.push({ itemId, weight: table.values[r]!, timestampMs: ms });
    else entry.heldOut.add(itemId);
    // Time carve: at the first held-out row; random carve: after every row the user has.
    if (timed && mask[r] !== 0) entry.requestMs = Math.min(entry.requestMs, ms);
    if (!timed) entry.requestMs = Math.max(entry.requestMs, ms);
    perUser.set(u, entry);
  }

  const facts = new Map<string, ItemFacts>();
  const chunks: { features: Float32Array; labels: Uint8Array; light: Float64Array }[] = [];
  const candidates: Candidate[] = [];
  const groupStart = [0];
  const groupUsers: string[] = [];
  const heldOut: number[] = [];
  const contexts: UserContext[] = [];
  for (const u of [...perUser.keys()].sort((a, b) => a - b)) {
    const { history, heldOut: truth, requestMs } = perUser.get(u)!;
    if (truth.size === 0 || history.length === 0) continue;
    history.sort((a, b) => a.timestampMs - b.timestampMs);
    const session = offlineSession(history, requestMs, (id) => categories.get(id) ?? [], SESSION_RECENT_EVENTS);
    const request = { surface: "home" as const, contextItemId: null, category: null, excludeIds: [], region: "default", listSize: 100, nowMs: requestMs };
    const g = await gatherCandidates(ports, request, session, options.knobs);
    const top = lightTop(g.light, options.knobs.heavyTopN).top;
    const kept = top.map((i) => g.candidates[i]!);
    for (const c of kept) facts.set(c.itemId, g.facts.get(c.itemId)!);
    chunks.push({
      features: featureRows(
        kept,
        (id) => g.facts.get(id) ?? null,
        g.user,
        top.map((i) => g.light[i]!),
      ),
      labels: Uint8Array.from(kept, (c) => (truth.has(c.itemId) ? 1 : 0)),
      light: Float64Array.from(top, (i) => g.light[i]!),
    });
    candidates.push(...kept);
    groupStart.push(groupStart[groupStart.length - 1]! + kept.length);
    groupUsers.push(table.userIds[u]!);
    heldOut.push(truth.size);
    contexts.push(g.user);
  }
  return { ...concat(chunks), groupStart: Uint32Array.from(groupStart), groupUsers, heldOut: Uint32Array.from(heldOut), candidates, contexts, facts };
}

function concat(chunks: { features: Float32Array; labels: Uint8Array; light: Float64Array }[]): Pick<RankerDataset, "features" | "labels" | "light"> {
  const rows = chunks.reduce((n, c) => n + c.labels.length, 0);
  const features = new Float32Array(rows * FEATURE_COUNT);
  const labels = new Uint8Array(rows);
  const light = new Float64Array(rows);
  let at = 0;
  for (const c of chunks) {
    features.set(c.features, at * FEATURE_COUNT);
    labels.set(c.labels, at);
    light.set(c.light, at);
    at += c.labels.length;
  }
  return { features, labels, light };
}
