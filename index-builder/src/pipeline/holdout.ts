import { eventWeight, ratingWeight } from "../../../shared/embeddings/event-weights";
import { fnv1a32 } from "../../../shared/fnv1a";
import { type Dataset, type Interaction } from "../data/movielens";

/**
 * The gate's evaluation protocol, the same on every run and recorded in the
 * manifest: a global time cut at the `heldOutFraction` quantile of event
 * times; events at or after it are held out, the build trains on the rest.
 * Evaluated users are those with a positive held-out event, at most
 * `maxUsers` of them (the lowest hashes of their ids, so the sample is
 * stable), each asked for a home list as of their newest training event
 * (users without one are cold starts).
 *
 * Data whose times cannot make that cut (a log without timestamps, or one
 * whose cut time holds most rows: `timeCutProblem`) gets `pair-hash`
 * instead: a (user, item) pair is held out when a hash of it falls in the
 * lowest `heldOutFraction` of its range. The split depends on nothing but
 * the pair, so every run holds out the same pairs, and a version the
 * pipeline built under it never trained on them either.
 */
export interface HoldoutProtocol {
  kind: "global-time-cut" | "pair-hash";
  heldOutFraction: number;
  maxUsers: number;
  k: number;
}

export const DEFAULT_HOLDOUT: HoldoutProtocol = { kind: "global-time-cut", heldOutFraction: 0.05, maxUsers: 400, k: 10 };

export interface Holdout {
  protocol: HoldoutProtocol;
  /** Epoch ms of the cut: events at or after it are held out (pair-hash: the newest event's time, when cold users are asked). */
  cutMs: number;
  /** Why the time cut was not used, for a `pair-hash` holdout chosen by `gateHoldout`. */
  fallback?: string;
  train: Dataset;
  /** Evaluated user -> their positively weighted held-out items. */
  relevant: Map<string, Set<string>>;
  /** Evaluated user -> their training events, oldest first. */
  history: Map<string, Interaction[]>;
}

/** Most of the rows the time cut may hold out before it is refused (ties at the cut's time hold out every tied row). */
export const MAX_HELD_OUT_SHARE = 0.5;

/**
 * The gate's holdout: `protocol`'s, unless it is the time cut and the data's
 * times cannot make one (`timeCutProblem`); then `pair-hash` with the same
 * fraction and users, with the reason in `fallback`, for the pipeline to say.
 */
export function gateHoldout(dataset: Dataset, protocol: HoldoutProtocol = DEFAULT_HOLDOUT): Holdout {
  if (protocol.kind === "pair-hash") return pairHashHoldout(dataset, protocol);
  const problem = timeCutProblem(dataset, protocol);
  if (problem === null) return timeHoldout(dataset, protocol);
  return { ...pairHashHoldout(dataset, { ...protocol, kind: "pair-hash" }), fallback: problem };
}

/** Why the protocol's time cut would not be a holdout (no rows, one time for all, most rows tied at the cut), or null. */
export function timeCutProblem(dataset: Dataset, protocol: HoldoutProtocol): string | null {
  const times = dataset.interactions.map((x) => x.timestampMs);
  if (times.length === 0) return "no rows";
  if (new Set(times).size < 2) return "no or constant timestamps (every row has the same time)";
  const cutMs = cutOf(times, protocol);
  const held = times.filter((t) => t >= cutMs).length / times.length;
  if (held > MAX_HELD_OUT_SHARE) {
    return `${(held * 100).toFixed(1)}% of rows are at or after the cut (${new Date(cutMs).toISOString()}), not ${protocol.heldOutFraction * 100}%: too many share its time`;
  }
  return null;
}

function cutOf(times: number[], protocol: HoldoutProtocol): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted.length === 0 ? Infinity : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * (1 - protocol.heldOutFraction)))]!;
}

/** Splits a dataset by the protocol's time cut. */
export function timeHoldout(dataset: Dataset, protocol: HoldoutProtocol = DEFAULT_HOLDOUT): Holdout {
  const cutMs = cutOf(
    dataset.interactions.map((x) => x.timestampMs),
    protocol,
  );
  return splitHoldout(dataset, protocol, cutMs, (x) => x.timestampMs >= cutMs);
}

/** Splits a dataset by a hash of each row's (user, item) pair: the same pairs on every run, whatever else the data holds. */
export function pairHashHoldout(dataset: Dataset, protocol: HoldoutProtocol): Holdout {
  const newest = dataset.interactions.reduce((m, x) => Math.max(m, x.timestampMs), 0);
  const bound = protocol.heldOutFraction * 2 ** 32;
  return splitHoldout(dataset, protocol, newest, (x) => spread(fnv1a32(`${x.userId}\u0000${x.itemId}`)) < bound);
}

function splitHoldout(dataset: Dataset, protocol: HoldoutProtocol, cutMs: number, heldOut: (x: Interaction) => boolean): Holdout {
  const train: Interaction[] = [];
  const relevantAll = new Map<string, Set<string>>();
  const positive = weightOfDataset(dataset);
  for (const x of dataset.interactions) {
    if (!heldOut(x)) {
      train.push(x);
      continue;
    }
    if (positive(x) <= 0) continue;
    const set = relevantAll.get(x.userId) ?? new Set<string>();
    set.add(x.itemId);
    relevantAll.set(x.userId, set);
  }
  const chosen = [...relevantAll.keys()].sort((a, b) => fnv1a32(a) - fnv1a32(b) || a.localeCompare(b)).slice(0, protocol.maxUsers);
  const relevant = new Map(chosen.map((u) => [u, relevantAll.get(u)!]));
  const history = new Map<string, Interaction[]>(chosen.map((u) => [u, []]));
  for (const x of train) history.get(x.userId)?.push(x);
  for (const events of history.values()) events.sort((a, b) => a.timestampMs - b.timestampMs);
  return { protocol, cutMs, train: { ...dataset, interactions: train }, relevant, history };
}

/** The signed weight serving gives an interaction (shared/embeddings/event-weights.ts). */
export function weightOf(x: Interaction): number {
  if (x.type) return eventWeight(x.type, { value: x.rating ?? undefined, seconds: x.seconds });
  return x.rating === null ? 1 : ratingWeight(x.rating);
}

/** weightOf with the dataset's scale: a rating on another scale than 5 stars is rescaled; a count (plays, ...) is a like. */
function weightOfDataset(dataset: Dataset): (x: Interaction) => number {
  const scale = 5 / (dataset.ratingMax ?? 5);
  return (x) => (x.type || x.rating === null ? weightOf(x) : ratingWeight(x.rating * scale));
}

/** MurmurHash3's finaliser: every input bit moves every output bit, so a range of the output is a fair sample of pairs. */
function spread(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
