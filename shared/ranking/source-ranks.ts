import { type Candidate, SOURCES } from "./candidate";

/**
 * Each source's raw scores put on one scale within a request, so scales that
 * differ by orders of magnitude (inner products, counts, decayed masses)
 * combine: by rank (the source's best candidate 1, its k-th of n
 * 1 − (k−1)/n; ties to the earlier candidate) or standardized (z-scores over
 * that source's proposals, population spread, 0 when it has none). Size
 * candidates.length·SOURCES.length, row-major (candidate, source); 0 where
 * the source did not propose the candidate or gave a non-finite score.
 * The light ranker weighs these; the heavy ranker's features include the ranks.
 */
export function sourceRanks(candidates: readonly Candidate[], normalize: "rank" | "zscore" = "rank"): Float64Array {
  const width = SOURCES.length;
  const out = new Float64Array(candidates.length * width);
  const proposed: number[] = [];
  for (let s = 0; s < width; s++) {
    const source = SOURCES[s]!;
    proposed.length = 0;
    for (let i = 0; i < candidates.length; i++) {
      const score = candidates[i]!.sources[source];
      if (score !== undefined && Number.isFinite(score)) proposed.push(i);
    }
    const n = proposed.length;
    if (n === 0) continue;
    const scoreOf = (i: number) => candidates[i]!.sources[source]!;
    if (normalize === "zscore") {
      let mean = 0;
      for (const i of proposed) mean += scoreOf(i) / n;
      let variance = 0;
      for (const i of proposed) variance += (scoreOf(i) - mean) ** 2 / n;
      const spread = Math.sqrt(variance) || 1;
      for (const i of proposed) out[i * width + s] = (scoreOf(i) - mean) / spread;
    } else {
      proposed.sort((a, b) => scoreOf(b) - scoreOf(a) || a - b);
      for (let k = 0; k < n; k++) out[proposed[k]! * width + s] = 1 - k / n;
    }
  }
  return out;
}
