import { categoriesOf, type ItemLookup } from "../catalog/item-lookup";
import { dataRecord } from "../data-record";
import { type Candidate, type CovisitSignal, RECENT_SEEDS } from "../ranking/candidate";

type Neighbours = (row: number) => { items: Uint32Array; scores: Float32Array };

/**
 * Each candidate's co-visitation with the user's recent items (`history`,
 * most recent first), read from the neighbour lists the co-visitation
 * source already fetched: the weighted sum over all of them, the plain sum
 * over the `RECENT_SEEDS` most recent, and how many list it. Candidates no
 * recent item lists are absent.
 */
export function covisitSignals(
  table: ItemLookup,
  neighbours: Neighbours | null,
  history: readonly { row: number; weight: number }[],
  candidates: readonly Candidate[],
): Record<string, CovisitSignal> {
  const out = dataRecord<CovisitSignal>();
  if (!neighbours || history.length === 0) return out;
  const byRow = new Map<number, string>();
  for (const c of candidates) {
    const row = table.rowOf(c.itemId);
    if (row >= 0) byRow.set(row, c.itemId);
  }
  history.forEach((h, k) => {
    const { items, scores } = neighbours(h.row);
    for (let n = 0; n < items.length; n++) {
      const itemId = byRow.get(items[n]!);
      if (itemId === undefined) continue;
      const s = (out[itemId] ??= { strength: 0, recent: 0, links: 0 });
      s.strength += h.weight * scores[n]!;
      if (k < RECENT_SEEDS) s.recent += scores[n]!;
      s.links++;
    }
  });
  return out;
}

/** Category -> position of the most recent history item (most recent first) that has it. */
export function categoryGaps(table: ItemLookup, categoryNames: readonly string[], history: readonly { row: number }[]): Record<string, number> {
  const out = dataRecord<number>();
  history.forEach((h, k) => {
    for (const c of categoriesOf(table, h.row)) {
      const name = categoryNames[c];
      if (name !== undefined && out[name] === undefined) out[name] = k;
    }
  });
  return out;
}
