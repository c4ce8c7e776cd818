import { decayAffinity } from "../../../shared/events/affinity-decay";
import { type FunnelSession } from "../../../shared/funnel/session";
import { EMPTY_IMPRESSIONS } from "../../../shared/ranking/impression-table";

/** One interaction of a user's past, as the session would have recorded it. */
export interface PastEvent {
  itemId: string;
  /** Signed event weight (shared/embeddings/event-weights.ts). */
  weight: number;
  timestampMs: number;
}

/**
 * The session the Worker's Durable Object would hold at `nowMs` after
 * `events` (oldest first): the distinct items of the newest `recentLimit`
 * events, newest first, with their weights summed over those events; every
 * item seen; category affinities as the object accumulates them (each
 * event's weight decayed to `nowMs`), strongest first; nothing shown yet.
 */
export function offlineSession(
  events: readonly PastEvent[],
  nowMs: number,
  categoriesOf: (itemId: string) => readonly string[],
  recentLimit: number,
): FunnelSession {
  const weights = new Map<string, number>();
  for (let k = events.length - 1, taken = 0; k >= 0 && taken < recentLimit; k--, taken++) {
    const e = events[k]!;
    weights.set(e.itemId, (weights.get(e.itemId) ?? 0) + e.weight);
  }
  const affinity = new Map<string, number>();
  for (const e of events) {
    if (e.weight === 0) continue;
    for (const category of categoriesOf(e.itemId)) {
      affinity.set(category, (affinity.get(category) ?? 0) + decayAffinity(e.weight, e.timestampMs, nowMs));
    }
  }
  return {
    history: [...weights].map(([itemId, weight]) => ({ itemId, weight })),
    seenItemIds: [...new Set(events.map((e) => e.itemId))],
    impressions: EMPTY_IMPRESSIONS,
    affinities: [...affinity].map(([category, score]) => ({ category, score })).sort((a, b) => b.score - a.score || a.category.localeCompare(b.category)),
    declaredCategories: [],
  };
}
