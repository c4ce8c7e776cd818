import { type Candidate, type Source, SOURCES } from "../../../shared/ranking/candidate";

/** Reciprocal-rank fusion constant (Cormack, Clarke, Büttcher 2009, "k = 60"). */
const RRF_K = 60;

/**
 * Reciprocal-rank fusion of the sources: each source ranks the candidates it
 * proposed by its raw score, and a candidate scores Σ 1/(k + rank). Scale-free
 * and training-free: the "light" ordering the heavy ranker must beat.
 * Returns size rows, for the groups [groupStart[g], groupStart[g+1]).
 */
export function rrfScores(candidates: readonly Candidate[], groupStart: Uint32Array): Float64Array {
  const scores = new Float64Array(candidates.length);
  for (let g = 0; g + 1 < groupStart.length; g++) {
    const start = groupStart[g]!;
    const end = groupStart[g + 1]!;
    for (const source of SOURCES) {
      const proposed: number[] = [];
      for (let r = start; r < end; r++) if (candidates[r]!.sources[source] !== undefined) proposed.push(r);
      proposed.sort((a, b) => candidates[b]!.sources[source]! - candidates[a]!.sources[source]! || a - b);
      proposed.forEach((r, rank) => (scores[r]! += 1 / (RRF_K + rank + 1)));
    }
  }
  return scores;
}

/** One source's own order by its raw scores; candidates it did not propose come after, in row order (the light order). */
export function sourceScores(candidates: readonly Candidate[], source: Source): Float64Array {
  return Float64Array.from(candidates, (c) => c.sources[source] ?? -Infinity);
}
