import { fnv1a32 } from "../fnv1a";
import { dataRecord } from "../data-record";

/**
 * A user's impression counts in the form the Durable Object sends with each
 * session snapshot: one Float64Array holding, per shown item,
 * `itemHash(itemId) * 2^16 + min(count, 65535)`, ascending (exact: 48 bits).
 *
 * Why not an object of counts: a snapshot crosses from the Durable Object
 * by structured clone, which builds an object item by item. At the cap of
 * 5,000 shown items (and their last-shown times) that took the session
 * stage from 0.5 to 6.9 ms per cache miss at 1M; a typed array is copied as
 * bytes. A lookup hashes the id and binary-searches. Two ids with the same
 * 32-bit hash read the same count; for one candidate against 5,000 shown
 * items that happens about once in 860,000, and a count only weighs on
 * ranking (a penalty, a frequency cap).
 */
export type ImpressionTable = Float64Array;

const COUNT_SPAN = 65536;

export const EMPTY_IMPRESSIONS: ImpressionTable = new Float64Array(0);

/** The 32-bit hash the table keys an item by. */
export function itemHash(itemId: string): number {
  return fnv1a32(itemId);
}

/** The table of `items` (each with its itemHash and count; counts past 65,535 saturate). */
export function buildImpressionTable(items: Iterable<{ hash: number; count: number }>, size: number): ImpressionTable {
  const table = new Float64Array(size);
  let n = 0;
  for (const { hash, count } of items) table[n++] = hash * COUNT_SPAN + Math.min(Math.max(count, 0), COUNT_SPAN - 1);
  // A view would carry the whole buffer through structured clone: copy when short.
  return (n === size ? table : table.slice(0, n)).sort();
}

/** How often `itemId` was shown, by `table`; 0 when it was not. */
export function impressionCount(table: ImpressionTable, itemId: string): number {
  const low = itemHash(itemId) * COUNT_SPAN;
  let lo = 0;
  let hi = table.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (table[mid]! < low) lo = mid + 1;
    else hi = mid;
  }
  return lo < table.length && table[lo]! < low + COUNT_SPAN ? table[lo]! - low : 0;
}

/** The counts of `itemIds` that were shown, as the ranking code takes them (keyed by item id, without a prototype). */
export function impressionCountsOf(table: ImpressionTable, itemIds: Iterable<string>): Record<string, number> {
  const out = dataRecord<number>();
  if (table.length === 0) return out;
  for (const itemId of itemIds) {
    const n = impressionCount(table, itemId);
    if (n > 0) out[itemId] = n;
  }
  return out;
}

/** The sum of the table's counts: how many item showings it holds (what a replay matches the logged showings against). */
export function impressionTotal(table: ImpressionTable): number {
  let total = 0;
  for (const x of table) total += x % COUNT_SPAN;
  return total;
}
