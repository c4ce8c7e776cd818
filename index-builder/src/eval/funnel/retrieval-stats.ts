import { foldInUser } from "../../../../shared/embeddings/fold-in";
import { topK } from "../top-k";
import { type FunnelCandidates } from "./funnel-candidates";
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
}

const EXACT_K = 100;

/** Compares each request's candidates with the exact inner-product top 100 of the same folded-in vector. */
export function retrievalStats(fitted: FittedFunnel, requests: ReadonlyMap<number, FunnelCandidates>): RetrievalStats {
  const { foldIn, itemIds } = fitted.index;
  const d = foldIn.dims;
  const scores = new Float64Array(itemIds.length);
  let ann = 0;
  let merged = 0;
  let candidates = 0;
  let annUnseen = 0;
  let counted = 0;
  for (const [u, request] of requests) {
    const session = fitted.users.get(u)!;
    const q = foldInUser(foldIn, session.recent);
    if (!q) continue;
    for (let i = 0; i < scores.length; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += q[k]! * foldIn.itemVectors[i * d + k]!;
      scores[i] = session.seen.has(i) ? -Infinity : s;
    }
    const exact = topK(scores, EXACT_K);
    const annSet = new Set(request.annItems);
    const candidateIds = new Set(request.candidates.map((c) => c.itemId));
    ann += exact.filter((i) => annSet.has(i)).length / exact.length;
    merged += exact.filter((i) => candidateIds.has(itemIds[i]!)).length / exact.length;
    candidates += request.candidates.length;
    annUnseen += request.annItems.filter((i) => !session.seen.has(i)).length;
    counted++;
  }
  const avg = (x: number) => (counted ? Math.round((x / counted) * 1e4) / 1e4 : 0);
  return { annRecallAt100: avg(ann), candidateRecallAt100: avg(merged), candidates: avg(candidates), annUnseen: avg(annUnseen), requests: counted };
}
