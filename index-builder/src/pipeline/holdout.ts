import { eventWeight, ratingWeight } from "../../../shared/embeddings/event-weights";
import { type Dataset, type Interaction } from "../data/movielens";

/**
 * The gate's evaluation protocol, the same on every run and recorded in the
 * manifest: a global time cut at the `heldOutFraction` quantile of event
 * times; events at or after it are held out, the build trains on the rest.
 * Evaluated users are those with a positive held-out event, at most
 * `maxUsers` of them (the lowest hashes of their ids, so the sample is
 * stable), each asked for a home list as of their newest training event
 * (users without one are cold starts).
 */
export interface HoldoutProtocol {
  kind: "global-time-cut";
  heldOutFraction: number;
  maxUsers: number;
  k: number;
}

export const DEFAULT_HOLDOUT: HoldoutProtocol = { kind: "global-time-cut", heldOutFraction: 0.05, maxUsers: 400, k: 10 };

export interface Holdout {
  protocol: HoldoutProtocol;
  /** Epoch ms of the cut: events at or after it are held out. */
  cutMs: number;
  train: Dataset;
  /** Evaluated user -> their positively weighted held-out items. */
  relevant: Map<string, Set<string>>;
  /** Evaluated user -> their training events, oldest first. */
  history: Map<string, Interaction[]>;
}

/** Splits a dataset by the protocol's time cut. */
export function timeHoldout(dataset: Dataset, protocol: HoldoutProtocol = DEFAULT_HOLDOUT): Holdout {
  const times = dataset.interactions.map((x) => x.timestampMs).sort((a, b) => a - b);
  const cutMs = times.length === 0 ? Infinity : times[Math.min(times.length - 1, Math.floor(times.length * (1 - protocol.heldOutFraction)))]!;
  const train: Interaction[] = [];
  const relevantAll = new Map<string, Set<string>>();
  for (const x of dataset.interactions) {
    if (x.timestampMs < cutMs) {
      train.push(x);
      continue;
    }
    if (weightOf(x) <= 0) continue;
    const set = relevantAll.get(x.userId) ?? new Set<string>();
    set.add(x.itemId);
    relevantAll.set(x.userId, set);
  }
  const chosen = [...relevantAll.keys()].sort((a, b) => fnv(a) - fnv(b) || a.localeCompare(b)).slice(0, protocol.maxUsers);
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

function fnv(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
