import { type Candidate } from "./candidate";
import { type Reason } from "./recommended-item";

/**
 * Reasons for showing an item, strongest first, from the sources that
 * proposed it. `titleOf` names the item a "because you watched" points at.
 */
export function reasonsFor(
  candidate: Candidate,
  options: { explored: boolean; region: string; contextTitle: string | null; titleOf: (itemId: string) => string | null; categories: string[] },
): Reason[] {
  const out: Reason[] = [];
  const s = candidate.sources;
  if (options.explored) out.push({ code: "exploring", text: "Something different we think you may like" });
  if (s.context !== undefined && options.contextTitle) out.push({ code: "similar_to_item", text: `More like ${options.contextTitle}` });
  if (s.covisit !== undefined && candidate.becauseOf) {
    const title = options.titleOf(candidate.becauseOf);
    if (title) out.push({ code: "because_you_watched", text: `Because you watched ${title}` });
  }
  if (s.ann !== undefined) out.push({ code: "for_you", text: "Picked for your taste" });
  if (s.editorial !== undefined) out.push({ code: "editorial", text: "Editor's pick" });
  if (s.fresh !== undefined) out.push({ code: "new", text: "New" });
  if (s.trending !== undefined) {
    out.push({ code: "trending_in_region", text: options.region === "global" ? "Trending now" : "Trending in your region" });
  }
  if (s.content !== undefined && options.categories.length > 0) {
    out.push({ code: "matches_your_interests", text: `Because you like ${options.categories[0]}` });
  }
  if (s.popular !== undefined && out.length === 0) out.push({ code: "popular", text: "Popular with everyone right now" });
  if (out.length === 0) out.push({ code: "popular", text: "Popular with everyone right now" });
  return out;
}
