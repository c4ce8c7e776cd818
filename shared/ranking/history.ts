import { eventWeight } from "../embeddings/event-weights";
import { type EventType } from "../events/event";

/**
 * A recent event as the session returns it: a live event, weighed by its
 * type, or an item of the user's seeded history (shared/users/history.ts),
 * which carries the weight the index trained the pair with.
 */
export type RecentEvent = { itemId: string; type: EventType; value?: number; seconds?: number } | { itemId: string; type: "history"; weight: number };

/** The signed weight one recent event adds to its item. */
function recentEventWeight(e: RecentEvent): number {
  return e.type === "history" ? e.weight : eventWeight(e.type, e);
}

/**
 * The session's recent events as (item, summed signed weight), most recent
 * item first: the same weights implicit ALS trained with, so the request-time
 * fold-in sees what training saw.
 */
export function weightedHistory(events: readonly RecentEvent[]): { itemId: string; weight: number }[] {
  const weights = new Map<string, number>();
  for (const e of events) weights.set(e.itemId, (weights.get(e.itemId) ?? 0) + recentEventWeight(e));
  return [...weights].map(([itemId, weight]) => ({ itemId, weight }));
}
