import { type Candidate, type Source } from "./candidate";

/** One source's proposals, best first, with the most it may contribute. */
export interface SourceProposal {
  source: Source;
  items: { itemId: string; score: number; becauseOf?: string }[];
  quota: number;
}

/**
 * Merges the sources' proposals, each cut to its quota, into one candidate
 * per item that remembers every source that proposed it and its score there
 * (provenance for ranking features and reasons). Order: first appearance in
 * source order, so the result is deterministic.
 */
export function mergeCandidates(proposals: readonly SourceProposal[], exclude: ReadonlySet<string>): Candidate[] {
  const byItem = new Map<string, Candidate>();
  for (const { source, items, quota } of proposals) {
    let taken = 0;
    for (const item of items) {
      if (taken >= quota) break;
      if (exclude.has(item.itemId)) continue;
      taken++;
      const existing = byItem.get(item.itemId);
      if (existing) {
        existing.sources[source] = Math.max(existing.sources[source] ?? -Infinity, item.score);
        existing.becauseOf ??= item.becauseOf;
      } else {
        byItem.set(item.itemId, {
          itemId: item.itemId,
          sources: { [source]: item.score } as Partial<Record<Source, number>>,
          ...(item.becauseOf ? { becauseOf: item.becauseOf } : {}),
        });
      }
    }
  }
  return [...byItem.values()];
}
