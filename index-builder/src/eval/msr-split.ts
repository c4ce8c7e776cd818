import { type InteractionTable } from "../train/interaction-table";
import { numpyRand } from "./mt19937";

/** Mask value of a test row; training rows are 0. */
export const TEST = 1;

/**
 * Microsoft Recommenders `python_stratified_split(ratio, filter_by="item",
 * seed)` as BASELINES.md §A states it: one numpy legacy MT19937 draw per row in
 * source order, rows sorted by (item, draw), ranked 1..c within the item, and a
 * row trains iff rank <= round-half-to-even(ratio·c). Returns a mask per row
 * (0 = train, TEST = test).
 */
export function msrStratifiedSplit(table: InteractionTable, ratio: number, seed: number): Uint8Array {
  const n = table.users.length;
  const draw = numpyRand(seed, n);
  const byItem = new Map<number, number[]>();
  for (let r = 0; r < n; r++) {
    const item = table.items[r]!;
    const rows = byItem.get(item) ?? [];
    rows.push(r);
    byItem.set(item, rows);
  }
  const mask = new Uint8Array(n);
  for (const rows of byItem.values()) {
    rows.sort((a, b) => draw[a]! - draw[b]! || a - b);
    const keep = roundHalfEven(ratio * rows.length);
    rows.forEach((r, rank) => {
      if (rank + 1 > keep) mask[r] = TEST;
    });
  }
  return mask;
}

/** numpy's `round`: halves go to the even neighbour (2.5 -> 2, 4.5 -> 4). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}
