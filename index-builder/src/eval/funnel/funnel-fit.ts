import { type IvfPqParams } from "../../../../shared/ann/ivfpq-index";
import { type ScanKernel } from "../../../../shared/ann/kernel/scan-kernel";
import { type CatalogItem } from "../../../../shared/catalog/catalog-item";
import { type CovisitLists } from "../../../../shared/covisit/covisit-lists";
import { type FunnelKnobs } from "../../../../shared/funnel/knobs";
import { type FunnelPorts } from "../../../../shared/funnel/ports";
import { type FunnelRequest, type Gathered, gatherCandidates, runFunnel } from "../../../../shared/funnel/run-funnel";
import { type FunnelSession } from "../../../../shared/funnel/session";
import { type RankerModel } from "../../../../shared/ranking/ranker-model";
import { DEFAULT_POLICY } from "../../../../shared/ranking/policy/policy-config";
import { type RankedEntry } from "../../../../shared/ranking/ranked-list";
import { DEFAULT_POPULARITY, tableDecayedMass } from "../../build/popularity";
import { buildMemoryIndex, type MemoryIndex } from "../../funnel/memory-index";
import { memoryFunnelPorts } from "../../funnel/memory-ports";
import { offlineSession } from "../../funnel/offline-session";
import { buildCovisitation, type CovisitOptions, DEFAULT_COVISIT } from "../../train/covisitation";
import { gramMatrix, type IalsFactors, type IalsOptions, trainImplicitAls } from "../../train/implicit-als";
import { type InteractionTable } from "../../train/interaction-table";
import { type RowWeighting, weighTable } from "../../data/weights";
import { type TrainedEmbeddings, userItemMatrix } from "../../train/train-ials";

/** Everything that decides the index and the sessions, apart from the data. */
export interface FunnelSpec {
  ials: IalsOptions;
  covisit: Partial<CovisitOptions>;
  /** Recent events folded in and used as co-visitation seeds (the Worker's session keeps 50; Infinity: the whole history). */
  recentLimit: number;
  /** IVF-PQ parameter overrides (tuning only; default `defaultAnnParams`). */
  ann?: Partial<IvfPqParams>;
  /** How the training rows weigh in iALS and in the sessions' fold-in (default "binary"). */
  weighting?: RowWeighting;
}

/** A fitted funnel: the index built from one training table, and each user's session at their newest training row. */
export interface FittedFunnel {
  index: MemoryIndex;
  embeddings: TrainedEmbeddings;
  sessions: Map<number, { session: FunnelSession; nowMs: number }>;
}

/**
 * Trains what the builder would publish on `train` (rows weighed by
 * `spec.weighting`, as the eval's iALS), builds that version's blobs in
 * memory, and replays each user's session with the same weights. `reuse` passes factors or lists already fitted on this
 * very table (the standalone rows' models).
 */
export function fitFunnel(
  train: InteractionTable,
  catalog: readonly CatalogItem[],
  spec: FunnelSpec,
  reuse: { factors?: IalsFactors | null; covisit?: CovisitLists | null } = {},
): FittedFunnel {
  const weighed = weighTable(train, spec.weighting ?? "binary");
  const factors = reuse.factors ?? trainImplicitAls(userItemMatrix(weighed), spec.ials);
  const covisit = reuse.covisit ?? buildCovisitation(train, { ...DEFAULT_COVISIT, ...spec.covisit });
  const embeddings: TrainedEmbeddings = {
    dims: factors.dims,
    itemIds: train.itemIds,
    itemVectors: Float32Array.from(factors.itemVectors),
    userIds: train.userIds,
    // The trained user vectors are what the ANN calibration queries with: the full-history fold-in reproduces them.
    userVectors: Float32Array.from(factors.userVectors),
    gram: Float32Array.from(gramMatrix(factors.itemVectors, factors.dims)),
    params: { alpha: spec.ials.alpha, regularization: spec.ials.regularization, regExponent: spec.ials.regExponent },
  };
  // Popularity as the builder measures it: time-decayed mass back from the newest training row.
  const { mass, asOfMs } = tableDecayedMass(train, DEFAULT_POPULARITY.halfLifeDays);
  const index = buildMemoryIndex({ version: "eval", catalog, embeddings, covisit, mass, asOfMs, ann: spec.ann });
  return { index, embeddings, sessions: tableSessions(weighed, catalog, spec.recentLimit) };
}

/** Each user's session at their newest row of `table`, every row an event of the row's value (the weight iALS trained on). */
export function tableSessions(
  table: InteractionTable,
  catalog: readonly CatalogItem[],
  recentLimit: number,
): Map<number, { session: FunnelSession; nowMs: number }> {
  const categories = new Map(catalog.map((item) => [item.itemId, item.categories]));
  const rowsOf = new Map<number, number[]>();
  for (let r = 0; r < table.users.length; r++) {
    const rows = rowsOf.get(table.users[r]!) ?? [];
    rows.push(r);
    rowsOf.set(table.users[r]!, rows);
  }
  const out = new Map<number, { session: FunnelSession; nowMs: number }>();
  for (const [user, rows] of rowsOf) {
    rows.sort((a, b) => table.timestampsSec[a]! - table.timestampsSec[b]! || a - b);
    const events = rows.map((r) => ({ itemId: table.itemIds[table.items[r]!]!, weight: table.values[r]!, timestampMs: table.timestampsSec[r]! * 1000 }));
    const nowMs = events[events.length - 1]!.timestampMs;
    out.set(user, { session: offlineSession(events, nowMs, (id) => categories.get(id) ?? [], recentLimit), nowMs });
  }
  return out;
}

/** The offline request: the home surface, no context, the default region, at the session's time. */
export function homeRequest(nowMs: number, listSize: number): FunnelRequest {
  return { surface: "home", contextItemId: null, category: null, excludeIds: [], region: "default", listSize, nowMs };
}

/** The funnel's ports over a fitted index; exploration is left to the knobs (offline runs turn it off). */
export function fittedPorts(fitted: FittedFunnel, kernel: ScanKernel, ranker: RankerModel | null): FunnelPorts {
  return memoryFunnelPorts(fitted.index, { kernel, ranker, policy: DEFAULT_POLICY });
}

/** The first `k` entries the served funnel lists for a user; empty for a user without a session. */
export async function servedEntries(fitted: FittedFunnel, ports: FunnelPorts, user: number, knobs: FunnelKnobs, k: number): Promise<RankedEntry[]> {
  const s = fitted.sessions.get(user);
  if (!s) return [];
  // Exploration off (knobs.policy), so the coin is never read.
  return (await runFunnel(ports, homeRequest(s.nowMs, k), s.session, knobs, () => 1)).entries;
}

/** A user's merged candidates and their light scores, as the funnel gathers them; null without a session. */
export async function gathered(
  fitted: FittedFunnel,
  ports: FunnelPorts,
  user: number,
  knobs: FunnelKnobs,
): Promise<(Gathered & { light: Float64Array }) | null> {
  const s = fitted.sessions.get(user);
  return s ? gatherCandidates(ports, homeRequest(s.nowMs, 100), s.session, knobs) : null;
}
