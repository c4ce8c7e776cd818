/** The candidate sources of the funnel, in the order their quotas are filled. */
export const SOURCES = ["ann", "covisit", "context", "trending", "content", "fresh", "editorial", "popular"] as const;
export type Source = (typeof SOURCES)[number];

/**
 * One candidate after merging the sources: every source that proposed it and
 * that source's raw score (higher is better; scales differ per source).
 */
export interface Candidate {
  itemId: string;
  /** Source -> raw score from that source. */
  sources: Partial<Record<Source, number>>;
  /** For co-visitation and context candidates: the item that led here (for "because you watched X"). */
  becauseOf?: string;
}

/** What the ranking stages know about an item (from the index's item metadata). */
export interface ItemFacts {
  itemId: string;
  title: string;
  categories: string[];
  year: number | null;
  /** Time-decayed popularity from the index (0 when unknown). */
  popularity: number;
  available: boolean;
  /** True for items added to the catalog after the index was built. */
  fresh: boolean;
}

/** What the ranking stages know about the user and the request. */
export interface UserContext {
  /** Category -> decayed affinity (can be negative). */
  affinities: Record<string, number>;
  /** Declared preferred categories (cold-start input). */
  declaredCategories: string[];
  /** Number of items in the user's recent history. */
  historyLength: number;
  /** Item -> times shown to this user. */
  impressionCounts: Record<string, number>;
  surface: "home" | "up_next" | "related";
  /** Current time, epoch ms. */
  nowMs: number;
  /**
   * Item -> co-visitation of the candidate with the user's recent items,
   * over every recent item's neighbour list (not cut to the co-visitation
   * source's quota). Absent for a candidate no recent item lists.
   */
  covisitWith?: Record<string, CovisitSignal>;
  /**
   * Category -> distinct recent items since the user last met it (0: the
   * most recent item has it); absent for a category none of the recent
   * items has. Recent items, not clock time: an offline log may carry no
   * timestamps, and sessions are bursty.
   */
  categoryGap?: Record<string, number>;
}

/** How strongly a candidate co-occurs with the user's recent items. */
export interface CovisitSignal {
  /** Σ wᵢ·sim(i, item) over the recent items i (the co-visitation source's score, uncut). */
  strength: number;
  /** Σ sim(i, item) over the `RECENT_SEEDS` most recent items: the session's drift. */
  recent: number;
  /** How many recent items list the candidate among their neighbours. */
  links: number;
}

/** Recent items whose co-visitation is the `recent` signal. */
export const RECENT_SEEDS = 5;
