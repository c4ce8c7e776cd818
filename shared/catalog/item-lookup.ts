import { type ItemPage } from "./item-page";
import { findItem, type ItemTable, itemIdAt } from "./item-table";

/**
 * The item table as the funnel reads it: a whole table in memory (ITB1/ITB2,
 * item-table.ts) or the paged directory of a large catalog
 * (item-directory.ts), behind one interface. Lookups are synchronous over
 * what `prepare` made answerable; a request takes its own `view()` first,
 * so what it prepared stays answerable whatever the isolate's page caches
 * evict meanwhile for other requests.
 */
export interface ItemLookup {
  readonly count: number;
  readonly categoryCount: number;
  /** A lookup for one request (the whole table is its own view). */
  view(): ItemLookup;
  /**
   * Facts pages (item pages in row order) that came with data this request
   * read, an ANN shard or a co-visitation page: the rows they hold are then
   * prepared from them, without reading their item-table pages.
   */
  adopt(pages: readonly ItemPage[]): void;
  /** Makes these ids and rows answerable; resolves with the codes of unusable pages (their ids and rows stay unknown). */
  prepare(itemIds: Iterable<string>, rows: Iterable<number>): Promise<string[]>;
  /** The row of an id, or -1 when the index does not hold it (or it was not prepared). */
  rowOf(itemId: string): number;
  /** The id at a row, or null when the row was not prepared (or its page is unusable). */
  idAt(row: number): string | null;
  /** Bit c set: the row is in category c. 0 for a row not prepared. */
  categoryMask(row: number): number;
  popularity(row: number): number;
  /** 0 = unknown. */
  year(row: number): number;
  available(row: number): boolean;
}

/** Category indices of a row, ascending. */
export function categoriesOf(items: ItemLookup, row: number): number[] {
  const mask = items.categoryMask(row);
  const out: number[] = [];
  for (let c = 0; c < items.categoryCount; c++) if (mask & (1 << c)) out.push(c);
  return out;
}

/** A whole item table as an `ItemLookup`: everything answerable, `prepare` a no-op. */
export function wholeItemLookup(table: ItemTable): ItemLookup {
  const lookup: ItemLookup = {
    count: table.count,
    categoryCount: table.categoryCount,
    view: () => lookup,
    adopt: () => {},
    prepare: async () => [],
    rowOf: (itemId) => findItem(table, itemId),
    idAt: (row) => (row >= 0 && row < table.count ? itemIdAt(table, row) : null),
    categoryMask: (row) => table.categoryMask[row] ?? 0,
    popularity: (row) => table.popularity[row] ?? 0,
    year: (row) => table.year[row] ?? 0,
    available: (row) => ((table.flags[row] ?? 0) & 1) !== 0,
  };
  return lookup;
}
