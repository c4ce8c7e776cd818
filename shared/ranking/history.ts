import { eventWeight } from "../embeddings/event-weights";
import { type EventType } from "../events/event";

/** A recent event as the session returns it. */
export interface RecentEvent {
  itemId: string;
  type: EventType;
  value?: number;
  seconds?: number;
}

/**
 * The session's recent events as (item, summed signed weight), most recent
 * item first: the same weights implicit ALS trained with, so the request-time
 * fold-in sees what training saw.
 */
export function weightedHistory(events: readonly RecentEvent[]): { itemId: string; weight: number }[] {
  const weights = new Map<string, number>();
  for (const e of events) weights.set(e.itemId, (weights.get(e.itemId) ?? 0) + eventWeight(e.type, e));
  return [...weights].map(([itemId, weight]) => ({ itemId, weight }));
}
