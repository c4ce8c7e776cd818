import { type EventType, RATING_RANGE } from "./event";

/** Category affinities halve after this long without new evidence. */
export const AFFINITY_HALF_LIFE_MS = 14 * 86_400_000;

/**
 * How much one event says about the user's taste for the item's categories:
 * positive for engagement, negative for explicit rejection. A watch counts by
 * minutes watched (capped), a rating by its distance from the scale's middle.
 */
export function affinityWeight(type: EventType, value?: number, seconds?: number): number {
  switch (type) {
    case "view":
      return 0.25;
    case "click":
      return 1;
    case "like":
    case "share":
    case "add_to_cart":
      return 2;
    case "purchase":
      return 3;
    case "watch":
      return Math.min((seconds ?? 0) / 600, 3);
    case "rating": {
      const middle = (RATING_RANGE.min + RATING_RANGE.max) / 2;
      return (((value ?? middle) - middle) / (RATING_RANGE.max - middle)) * 2;
    }
    case "dislike":
      return -2;
    case "skip":
      return -0.5;
  }
}

/** `score` measured at `fromMs`, decayed to `toMs` (never grows when time runs backwards). */
export function decayAffinity(score: number, fromMs: number, toMs: number): number {
  const elapsed = Math.max(0, toMs - fromMs);
  return score * Math.pow(0.5, elapsed / AFFINITY_HALF_LIFE_MS);
}
