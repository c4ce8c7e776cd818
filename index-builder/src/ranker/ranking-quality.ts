/** Quality of one ordering of the candidate lists, averaged over groups (user requests). */
export interface RankingQuality {
  /** P(a positive outranks a negative) within a group, ties half; over groups with both. */
  auc: number;
  /** nDCG@10 with binary gains, the ideal list having min(held-out items, 10) hits: the end-to-end figure. */
  ndcgAt10: number;
  /** Hits in the top 10 / min(held-out items, 10). */
  recallAt10: number;
  /** Groups averaged (those with at least one held-out item). */
  groups: number;
}

/**
 * Scores the ordering `scores` (size rows, higher first, ties to the lower
 * row) induces in each group [groupStart[g], groupStart[g+1]).
 * `heldOut[g]` counts all of the user's held-out items, retrieved or not,
 * so candidate generation's misses count against every ordering alike.
 */
export function rankingQuality(
  scores: ArrayLike<number>,
  labels: Uint8Array,
  groupStart: Uint32Array,
  heldOut: Uint32Array,
  groups?: readonly number[],
): RankingQuality {
  let auc = 0;
  let aucGroups = 0;
  let ndcg = 0;
  let recall = 0;
  let counted = 0;
  for (const g of groups ?? Array.from({ length: heldOut.length }, (_, i) => i)) {
    const start = groupStart[g]!;
    const end = groupStart[g + 1]!;
    const truth = heldOut[g]!;
    if (truth === 0) continue;
    counted++;
    const rows = sortedRows(scores, start, end);
    const top = topTen(rows, labels, truth);
    ndcg += top.ndcg;
    recall += top.hits / Math.min(truth, 10);
    const pairAuc = groupAuc(rows, scores, labels);
    if (pairAuc !== null) {
      auc += pairAuc;
      aucGroups++;
    }
  }
  return { auc: aucGroups ? auc / aucGroups : 0, ndcgAt10: counted ? ndcg / counted : 0, recallAt10: counted ? recall / counted : 0, groups: counted };
}

/**
 * nDCG@10 of each of `groups` (same definition as `rankingQuality`), in
 * that order: the per-user figures a paired bootstrap resamples. A group
 * without held-out items scores 0.
 */
export function groupNdcgAt10(
  scores: ArrayLike<number>,
  labels: Uint8Array,
  groupStart: Uint32Array,
  heldOut: Uint32Array,
  groups: readonly number[],
): Float64Array {
  return Float64Array.from(groups, (g) => (heldOut[g]! === 0 ? 0 : topTen(sortedRows(scores, groupStart[g]!, groupStart[g + 1]!), labels, heldOut[g]!).ndcg));
}

/** Rows start..end−1 by descending score, ties to the lower row. */
function sortedRows(scores: ArrayLike<number>, start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, k) => start + k).sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/** Hits and nDCG@10 (binary gains, ideal list min(truth, 10) hits) of rows sorted best first. */
function topTen(sortedRows: number[], labels: Uint8Array, truth: number): { ndcg: number; hits: number } {
  let dcg = 0;
  let hits = 0;
  sortedRows.slice(0, 10).forEach((r, rank) => {
    if (labels[r] !== 1) return;
    hits++;
    dcg += 1 / Math.log2(rank + 2);
  });
  let idcg = 0;
  for (let k = 0; k < Math.min(truth, 10); k++) idcg += 1 / Math.log2(k + 2);
  return { ndcg: dcg / idcg, hits };
}

/** Mann-Whitney AUC of one group, from rows sorted best first; null without both classes. */
function groupAuc(sortedRows: number[], scores: ArrayLike<number>, labels: Uint8Array): number | null {
  let positives = 0;
  let negatives = 0;
  for (const r of sortedRows) {
    if (labels[r] === 1) positives++;
    else negatives++;
  }
  if (positives === 0 || negatives === 0) return null;
  // Walk from the worst: each positive beats the negatives already passed, and half of any tied ones.
  let below = 0;
  let wins = 0;
  for (let k = sortedRows.length - 1; k >= 0;) {
    let j = k;
    let tiedPos = 0;
    let tiedNeg = 0;
    while (j >= 0 && scores[sortedRows[j]!] === scores[sortedRows[k]!]) {
      if (labels[sortedRows[j]!] === 1) tiedPos++;
      else tiedNeg++;
      j--;
    }
    wins += tiedPos * (below + tiedNeg / 2);
    below += tiedNeg;
    k = j;
  }
  return wins / (positives * negatives);
}
