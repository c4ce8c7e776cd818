/** Category affinities halve after this long without new evidence. */
export const AFFINITY_HALF_LIFE_MS = 14 * 86_400_000;

/** `score` measured at `fromMs`, decayed to `toMs` (never grows when time runs backwards). */
export function decayAffinity(score: number, fromMs: number, toMs: number): number {
  const elapsed = Math.max(0, toMs - fromMs);
  return score * Math.pow(0.5, elapsed / AFFINITY_HALF_LIFE_MS);
}
