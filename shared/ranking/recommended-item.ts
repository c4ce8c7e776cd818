/** Why an item is shown, as a code for machines and a line for people. */
export interface Reason {
  code: "popular" | "popular_in_category" | "fallback";
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
}
