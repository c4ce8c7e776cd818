/**
 * Indices of the k highest scores, best first, skipping −Infinity; equal
 * scores go to the lower index so results never depend on sort stability.
 */
export function topK(scores: Float64Array, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (s === -Infinity) continue;
    if (best.length === k) {
      if (s <= scores[best[k - 1]!]!) continue;
      best.pop();
    }
    let pos = best.length;
    while (pos > 0 && scores[best[pos - 1]!]! < s) pos--;
    best.splice(pos, 0, i);
  }
  return best;
}
