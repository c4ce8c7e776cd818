import { SERVED_KNOBS, type FunnelKnobs } from "../../../shared/funnel/knobs";
import { type FunnelResult, runFunnel } from "../../../shared/funnel/run-funnel";
import { DEFAULT_POLICY } from "../../../shared/ranking/policy/policy-config";
import { loadNodeKernel } from "../ann/node-kernel";
import { homeRequest } from "../eval/funnel/funnel-fit";
import { rankingMetrics } from "../eval/metrics";
import { memoryFunnelPorts } from "../funnel/memory-ports";
import { offlineSession } from "../funnel/offline-session";
import { type Holdout, weightOf } from "./holdout";
import { userHistories, versionTransform } from "../publish/seed-histories";
import { memoryIndexOf, rankerOfVersion, type VersionBlobs } from "./load-version";

/** Recent events the Worker's session folds in (its Durable Object keeps 50). */
const SESSION_RECENT = 50;

/**
 * The served knobs with exploration off: each version ranks in the order its
 * manifest names (ranking.order: heavy, light or one source's), its heavy
 * model scored in process from the very ONNX bytes it ships (shared/ranking/ranker-model.ts
 * computes what ONNX Runtime does), as the Worker's funnel would.
 */
export const GATE_KNOBS: FunnelKnobs = { ...SERVED_KNOBS, policy: { explorationRate: 0 } };

/** One version's figures on the holdout. */
export interface VersionEvaluation {
  version: string;
  ndcgAt10: number;
  recallAt10: number;
  /** Distinct items in any list / items in the index. */
  coverage: number;
  users: number;
  /** Evaluated users with a training history (the rest are cold starts). */
  warmUsers: number;
  /** Mean recall@100 of the ANN index against brute force, as its build calibrated it; null without one. */
  annRecallAt100: number | null;
  /** Stages that degraded on some list, with how many lists. */
  degraded: Record<string, number>;
  /** The order the manifest names (null: heavy when it ships a model, else light). */
  order: string | null;
  /** Which order ranked each list, with how many lists (a cold-start list is light whatever the order). */
  rankers: Record<string, number>;
  /**
   * Whether the version trained on the held-out events: for the time cut,
   * whether its newest interaction is not before the cut; for pair-hash,
   * unless it was built on the split (the pipeline's own build, or a version
   * whose manifest records that it was evaluated under the same split).
   */
  sawHoldout: boolean;
}

/**
 * Runs the served funnel (shared/funnel through the builder's in-memory
 * ports over the version's very blobs) for every holdout user and scores
 * the lists against what they did after the cut.
 */
export async function evaluateVersion(
  version: VersionBlobs,
  holdout: Holdout,
  categoriesOf: (itemId: string) => readonly string[],
  trainedWithout?: boolean,
): Promise<VersionEvaluation> {
  const ids = new Map<string, number>();
  const idOf = (itemId: string) => {
    let id = ids.get(itemId);
    if (id === undefined) ids.set(itemId, (id = ids.size));
    return id;
  };
  const lists = new Map<number, number[]>();
  const relevant = new Map<number, Set<number>>();
  const degraded: Record<string, number> = {};
  const rankers: Record<string, number> = {};
  let user = 0;
  let warmUsers = 0;
  for await (const { events, truth, result } of servedLists(version, holdout, categoriesOf)) {
    if (events.length > 0) warmUsers++;
    for (const stage of result.degraded) degraded[stage] = (degraded[stage] ?? 0) + 1;
    rankers[result.ranker] = (rankers[result.ranker] ?? 0) + 1;
    lists.set(
      user,
      result.entries.map((e) => idOf(e.itemId)),
    );
    relevant.set(user, new Set([...truth].map(idOf)));
    user++;
  }
  const metrics = rankingMetrics(lists, relevant, holdout.protocol.k, version.manifest.counts.items);
  return {
    version: version.manifest.version,
    ndcgAt10: round(metrics.ndcgAtK),
    recallAt10: round(metrics.recallAtK),
    coverage: round(metrics.coverage),
    users: metrics.users,
    warmUsers,
    annRecallAt100: version.manifest.ann?.calibration?.recallAt100 ?? null,
    degraded,
    order: version.manifest.ranking?.order ?? null,
    rankers,
    sawHoldout: sawHoldout(version, holdout, trainedWithout),
  };
}

/** One evaluated user's session events (oldest first), their held-out items, and the list the served funnel gives them. */
export interface ServedList {
  userId: string;
  events: { itemId: string; weight: number; timestampMs: number }[];
  truth: Set<string>;
  result: FunnelResult;
}

/**
 * The served funnel's home list for each holdout user, at the time of their
 * newest session event, as the Worker would answer it: what evaluateVersion
 * scores (and what the end-to-end suite asks the Worker for, to compare).
 */
export async function* servedLists(version: VersionBlobs, holdout: Holdout, categoriesOf: (itemId: string) => readonly string[]): AsyncGenerator<ServedList> {
  const index = memoryIndexOf(version);
  const ranker = rankerOfVersion(version);
  const ports = memoryFunnelPorts(index, { kernel: loadNodeKernel(), ranker: ranker && !("degraded" in ranker) ? ranker : null, policy: DEFAULT_POLICY });
  // A model the Worker could not use: its funnel keeps the light scores and names why, and so does this one.
  if (ranker && "degraded" in ranker) ports.ranker = { load: async () => ranker };
  const sessions = await servedHistories(version, holdout);
  for (const [userId, truth] of holdout.relevant) {
    const events = sessions.get(userId) ?? [];
    const nowMs = events.length > 0 ? events[events.length - 1]!.timestampMs : holdout.cutMs;
    const session = offlineSession(events, nowMs, categoriesOf, SESSION_RECENT);
    yield { userId, events, truth, result: await runFunnel(ports, homeRequest(nowMs, holdout.protocol.k), session, GATE_KNOBS, () => 1) };
  }
}

/**
 * Each evaluated user's session events, oldest first, as the Worker holds
 * them for this version: the dataset's rows as seeded histories (publish/seed-histories.ts:
 * pairs weighed by the transform the version trained with, the newest
 * 2,000), then the live events, weighed by their type.
 */
async function servedHistories(version: VersionBlobs, holdout: Holdout): Promise<Map<string, { itemId: string; weight: number; timestampMs: number }[]>> {
  const rows = [...holdout.history.values()].flat();
  const seeded = await userHistories({ ...holdout.train, interactions: rows }, versionTransform(version.manifest, holdout.train));
  const out = new Map(seeded.users.map((u) => [u.userId, u.items.map((x) => ({ itemId: x.itemId, weight: x.weight, timestampMs: x.timestampMs ?? 0 }))]));
  for (const [userId, events] of holdout.history) {
    const live = events.filter((x) => x.type).map((x) => ({ itemId: x.itemId, weight: weightOf(x), timestampMs: x.timestampMs }));
    if (live.length > 0) out.set(userId, [...(out.get(userId) ?? []), ...live]);
  }
  return out;
}

/** VersionEvaluation.sawHoldout. */
export function sawHoldout(version: Pick<VersionBlobs, "manifest">, holdout: Holdout, trainedWithout: boolean | undefined): boolean {
  if (holdout.protocol.kind === "global-time-cut") return Date.parse(version.manifest.source.newestInteractionAt) >= holdout.cutMs;
  if (trainedWithout !== undefined) return !trainedWithout;
  const recorded = version.manifest.evaluation;
  return !(recorded?.protocol.kind === "pair-hash" && recorded.protocol.heldOutFraction === holdout.protocol.heldOutFraction && recorded.sawHoldout === false);
}

function round(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}
