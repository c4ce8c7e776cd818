import { type PopularBlob } from "../index-format/popular";
import { type RecommendedItem } from "./recommended-item";

export interface PopularRequest {
  popular: PopularBlob | null;
  /** Bare ids from the manifest, used when the popular blob is unusable. */
  fallbackItemIds: readonly string[];
  excludeItemIds: ReadonlySet<string>;
  /** Restrict to one category's list; null for the overall list. */
  category: string | null;
  limit: number;
}

/**
 * The most popular items the user has not interacted with, overall or within
 * a category, in descending popularity. An unknown category yields no items.
 */
export function popularCandidates(req: PopularRequest): { items: RecommendedItem[]; degraded: string[] } {
  if (!req.popular) return fromFallback(req);
  const { items: all, byCategory } = req.popular;
  const positions = req.category === null ? null : (byCategory[req.category] ?? []);
  const out: RecommendedItem[] = [];
  const total = positions === null ? all.length : positions.length;
  for (let i = 0; i < total && out.length < req.limit; i++) {
    const item = positions === null ? all[i] : all[positions[i] ?? -1];
    if (!item || req.excludeItemIds.has(item.itemId)) continue;
    out.push({
      itemId: item.itemId,
      title: item.title,
      score: item.score,
      rank: out.length + 1,
      sources: ["popular"],
      reasons:
        req.category === null
          ? [{ code: "popular", text: "Popular with everyone right now" }]
          : [{ code: "popular_in_category", text: `Popular in ${req.category}` }],
    });
  }
  return { items: out, degraded: [] };
}

function fromFallback(req: PopularRequest): { items: RecommendedItem[]; degraded: string[] } {
  const out: RecommendedItem[] = [];
  for (const itemId of req.fallbackItemIds) {
    if (out.length >= req.limit) break;
    if (req.excludeItemIds.has(itemId)) continue;
    out.push({
      itemId,
      title: null,
      score: 0,
      rank: out.length + 1,
      sources: ["fallback"],
      reasons: [{ code: "fallback", text: "Popular items (reduced service)" }],
    });
  }
  return { items: out, degraded: ["popular_fallback_list"] };
}
