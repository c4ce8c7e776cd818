import { type ImpressionTable } from "../ranking/impression-table";
import { type RecentEvent, weightedHistory } from "../ranking/history";

/** The slice of a user's session the funnel reads. */
export interface FunnelSession {
  /** Distinct recent items, most recent first, with summed signed event weights (what fold-in and co-visitation read). */
  history: readonly { itemId: string; weight: number }[];
  /** Items the user has interacted with: left out of the list. */
  seenItemIds: readonly string[];
  /** How often each item was shown to the user. */
  impressions: ImpressionTable;
  /** Category -> decayed affinity, strongest first. */
  affinities: readonly { category: string; score: number }[];
  /** Declared preferred categories (cold-start input). */
  declaredCategories: readonly string[];
}

/** The funnel's slice of the Worker's session snapshot (worker/src/session/user-session.ts). */
export function funnelSession(snapshot: {
  recentEvents: readonly RecentEvent[];
  seenItemIds: readonly string[];
  impressions: ImpressionTable;
  affinities: readonly { category: string; score: number }[];
  profile: { categories: readonly string[] };
}): FunnelSession {
  return {
    history: weightedHistory(snapshot.recentEvents),
    seenItemIds: snapshot.seenItemIds,
    impressions: snapshot.impressions,
    affinities: snapshot.affinities,
    declaredCategories: snapshot.profile.categories,
  };
}

/** Events a session keeps as its recent history (fold-in and co-visitation seeds). */
export const SESSION_RECENT_EVENTS = 50;
