/**
 * Item-to-item co-visitation lists: for each dense item index, its top-N
 * neighbours by time-decayed Jaccard similarity, best first. Item i's
 * neighbours are neighbors[offsets[i]..offsets[i+1]) with the similarity at
 * the same positions in `scores`.
 */
export interface CovisitLists {
  /** Size nItems+1. */
  offsets: Uint32Array;
  /** Size offsets[nItems]: dense item indices. */
  neighbors: Uint32Array;
  /** Same size as `neighbors`: similarity > 0 (Jaccard in (0, 1]; a linear autoencoder's weight for EASE or DLAE lists). */
  scores: Float32Array;
}

export function itemCount(lists: CovisitLists): number {
  return lists.offsets.length - 1;
}

/** Item's neighbours and scores as views (no copy); empty for an unknown item. */
export function neighborsOf(lists: CovisitLists, item: number): { items: Uint32Array; scores: Float32Array } {
  if (!(item >= 0 && item < itemCount(lists))) return { items: new Uint32Array(0), scores: new Float32Array(0) };
  const start = lists.offsets[item]!;
  const end = lists.offsets[item + 1]!;
  return { items: lists.neighbors.subarray(start, end), scores: lists.scores.subarray(start, end) };
}

/**
 * SAR-style scores from a weighted history: score(j) = Σᵢ wᵢ·sim(i, j) over
 * the history items' lists, summed into `out` (cleared first). Negative
 * weights (dislikes) push neighbours down. Returns how many history items had
 * a list, so a caller can tell "no co-visitation evidence" from low scores.
 */
export function scoreByCovisitation(lists: CovisitLists, history: readonly { item: number; weight: number }[], out: Map<number, number>): number {
  out.clear();
  let used = 0;
  for (const { item, weight } of history) {
    const { items, scores } = neighborsOf(lists, item);
    if (items.length === 0) continue;
    used++;
    for (let k = 0; k < items.length; k++) out.set(items[k]!, (out.get(items[k]!) ?? 0) + weight * scores[k]!);
  }
  return used;
}
