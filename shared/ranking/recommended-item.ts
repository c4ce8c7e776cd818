/** Why an item is shown, as a code for machines and a line for people. */
export interface Reason {
  code: "popular" | "because_you_watched" | "similar_to_item" | "for_you" | "trending_in_region" | "matches_your_interests" | "new" | "editorial" | "exploring";
  text: string;
}

/** One entry of a recommendation response. */
export interface RecommendedItem {
  itemId: string;
  /** Null when only the manifest's bare fallback list was available. */
  title: string | null;
  score: number;
  /** 1-based position in the list. */
  rank: number;
  /** Candidate sources that proposed the item. */
  sources: string[];
  reasons: Reason[];
  /** Probability that the policy shows this item in this slot (1 outside exploration slots). */
  propensity?: number;
}
