import { ownValue } from "../data-record";
import { type PopularBlob } from "../index-format/popular";
import { type SourceProposal } from "./merge-candidates";

type Items = SourceProposal["items"];

/**
 * Co-visitation candidates: score(j) = Σᵢ wᵢ·sim(i, j) over the history
 * items i (SAR-style), each remembering the history item that contributed
 * most, for "because you watched ...". `neighborsOf(row)` gives a history
 * row's list (empty when unknown).
 */
export function covisitItems(
  neighborsOf: (row: number) => { items: Uint32Array; scores: Float32Array },
  history: readonly { row: number; itemId: string; weight: number }[],
  idOf: (row: number) => string | null,
  limit: number,
): Items {
  return covisitRows(neighborsOf, history, limit).flatMap(({ row, score, becauseOf }) => {
    const itemId = idOf(row);
    return itemId === null ? [] : [{ itemId, score, becauseOf }];
  });
}

/** `covisitItems` before naming: the best rows, so a paged item table reads only their pages. */
export function covisitRows(
  neighborsOf: (row: number) => { items: Uint32Array; scores: Float32Array },
  history: readonly { row: number; itemId: string; weight: number }[],
  limit: number,
): { row: number; score: number; becauseOf: string }[] {
  const score = new Map<number, number>();
  const best = new Map<number, { contribution: number; itemId: string }>();
  for (const h of history) {
    const { items, scores } = neighborsOf(h.row);
    for (let k = 0; k < items.length; k++) {
      const j = items[k]!;
      const contribution = h.weight * scores[k]!;
      score.set(j, (score.get(j) ?? 0) + contribution);
      const top = best.get(j);
      if (!top || contribution > top.contribution) best.set(j, { contribution, itemId: h.itemId });
    }
  }
  return [...score]
    .filter(([, s]) => s > 0)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, limit)
    .map(([row, s]) => ({ row, score: s, becauseOf: best.get(row)!.itemId }));
}

/**
 * Content matches: the most popular items of the user's categories,
 * interleaved in proportion to each category's weight (affinity or
 * declaration), so the strongest interest leads without taking every slot.
 */
export function categoryItems(popular: PopularBlob, categories: readonly { category: string; weight: number }[], limit: number): Items {
  const lists = categories.flatMap((c) => {
    const positions = ownValue(popular.byCategory, c.category);
    return c.weight > 0 && positions ? [{ ...c, positions, next: 0, credit: 0 }] : [];
  });
  const total = lists.reduce((s, c) => s + c.weight, 0);
  const out: Items = [];
  const taken = new Set<string>();
  while (out.length < limit && lists.some((l) => l.next < l.positions.length)) {
    // Largest accumulated credit goes next (a smooth weighted round robin).
    for (const l of lists) l.credit += l.weight / total;
    const pick = lists.filter((l) => l.next < l.positions.length).sort((a, b) => b.credit - a.credit)[0]!;
    pick.credit -= 1;
    const item = popular.items[pick.positions[pick.next++]!]!;
    if (taken.has(item.itemId)) continue;
    taken.add(item.itemId);
    out.push({ itemId: item.itemId, score: (item.score * pick.weight) / total });
  }
  return out;
}

/** The popular list (or the manifest's bare fallback ids) as candidates. */
export function popularItems(popular: PopularBlob | null, fallbackIds: readonly string[], limit: number): Items {
  if (popular) return popular.items.slice(0, limit).map((x) => ({ itemId: x.itemId, score: x.score }));
  return fallbackIds.slice(0, limit).map((itemId, i) => ({ itemId, score: fallbackIds.length - i }));
}
