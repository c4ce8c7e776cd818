import { foldInUser } from "../../../../shared/embeddings/fold-in";
import { type Candidate, type Source, SOURCES } from "../../../../shared/ranking/candidate";
import { topK } from "../top-k";
import { type FittedFunnel } from "./funnel-fit";

/** Whether retrieval loses anything, averaged over requests. */
export interface RetrievalStats {
  /** Share of the exact iALS top 100 (same query vector, seen items removed) among the ANN source's proposals. */
  annRecallAt100: number;
  /** The same share among all merged candidates (every source). */
  candidateRecallAt100: number;
  /** Merged candidates per request. */
  candidates: number;
  /** ANN proposals per request that survive the seen filter (the quota counts seen items too). */
  annUnseen: number;
  requests: number;
  /**
   * Merged candidates per request that each source proposed (`proposals_<source>`); 0 for a source that proposed
   * nothing (content without item categories), whose raw-order row then repeats the merge order.
   */
  [proposals: `proposals_${string}`]: number;
}

const EXACT_K = 100;

/** Sources the offline replay can produce (no trending store, editorial list or catalog overlay): the raw orders compared. */
export const OFFLINE_SOURCES: readonly Source[] = ["ann", "covisit", "content", "popular"];

/**
 * Compares each request's merged candidates with the exact inner-product top
 * 100 of the same session's fold-in over every item vector (the full model,
 * where the funnel folds in over the history's vector pages).
 */
export function retrievalStats(fitted: FittedFunnel, requests: ReadonlyMap<number, readonly Candidate[]>): RetrievalStats {
  const { dims: d, itemIds, itemVectors, gram, params } = fitted.embeddings;
  const itemIndex = new Map(itemIds.map((id, i) => [id, i]));
  const scores = new Float64Array(itemIds.length);
  let ann = 0;
  let merged = 0;
  let candidates = 0;
  let annUnseen = 0;
  let counted = 0;
  for (const [u, list] of requests) {
    const { session } = fitted.sessions.get(u)!;
    const recent = session.history.flatMap((h) => (itemIndex.has(h.itemId) ? [{ item: itemIndex.get(h.itemId)!, weight: h.weight }] : []));
    const q = foldInUser({ dims: d, itemVectors, gram, params }, recent);
    if (!q) continue;
    const seen = new Set(session.seenItemIds);
    for (let i = 0; i < scores.length; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += q[k]! * itemVectors[i * d + k]!;
      scores[i] = seen.has(itemIds[i]!) ? -Infinity : s;
    }
    const exact = topK(scores, EXACT_K).map((i) => itemIds[i]!);
    const annIds = new Set(list.filter((c) => c.sources.ann !== undefined).map((c) => c.itemId));
    const candidateIds = new Set(list.map((c) => c.itemId));
    ann += exact.filter((id) => annIds.has(id)).length / exact.length;
    merged += exact.filter((id) => candidateIds.has(id)).length / exact.length;
    candidates += list.length;
    annUnseen += annIds.size;
    counted++;
  }
  const avg = (x: number) => (counted ? Math.round((x / counted) * 1e4) / 1e4 : 0);
  return {
    annRecallAt100: avg(ann),
    candidateRecallAt100: avg(merged),
    candidates: avg(candidates),
    annUnseen: avg(annUnseen),
    requests: counted,
    ...proposalsBySource(requests),
  };
}

/** Candidates per request that each offline source proposed (a candidate two sources proposed counts for both). */
export function proposalsBySource(requests: ReadonlyMap<number, readonly Candidate[]>): Record<`proposals_${string}`, number> {
  const counts = new Map<Source, number>();
  for (const list of requests.values()) for (const c of list) for (const s of Object.keys(c.sources) as Source[]) counts.set(s, (counts.get(s) ?? 0) + 1);
  const n = requests.size;
  return Object.fromEntries(OFFLINE_SOURCES.map((s) => [`proposals_${s}`, n ? Math.round(((counts.get(s) ?? 0) / n) * 1e4) / 1e4 : 0]));
}

/** How much of what users went on to interact with the candidates hold: overall and per source. */
export interface HeldOutRecall {
  /** Mean over requests of the share of the user's held-out items among the merged candidates. */
  all: number;
  /** The same share among one source's proposals. */
  bySource: Partial<Record<Source, number>>;
  requests: number;
}

/**
 * Recall of each request's merged candidates against the items its user
 * went on to interact with (`truth`, item ids): the ceiling of every order
 * the ranking stages can make, and which source brings what.
 */
export function heldOutRecall(requests: ReadonlyMap<number, readonly Candidate[]>, truth: ReadonlyMap<number, ReadonlySet<string>>): HeldOutRecall {
  let all = 0;
  const bySource: Partial<Record<Source, number>> = {};
  let counted = 0;
  for (const [u, list] of requests) {
    const items = truth.get(u);
    if (!items || items.size === 0) continue;
    let hits = 0;
    const perSource: Partial<Record<Source, number>> = {};
    for (const c of list) {
      if (!items.has(c.itemId)) continue;
      hits++;
      for (const s of Object.keys(c.sources) as Source[]) perSource[s] = (perSource[s] ?? 0) + 1;
    }
    all += hits / items.size;
    for (const s of SOURCES) bySource[s] = (bySource[s] ?? 0) + (perSource[s] ?? 0) / items.size;
    counted++;
  }
  const avg = (x: number) => (counted ? Math.round((x / counted) * 1e4) / 1e4 : 0);
  const used = Object.fromEntries(SOURCES.flatMap((s) => (bySource[s] ? [[s, avg(bySource[s])]] : [])));
  return { all: avg(all), bySource: used, requests: counted };
}
