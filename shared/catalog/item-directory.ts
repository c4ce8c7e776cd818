import { type ItemLookup } from "./item-lookup";
import {
  encodeItemPage,
  encodeItemPageOfRows,
  type ItemColumns,
  itemColumnsOf,
  type ItemPage,
  type ItemPageEntry,
  pageIdAt,
  searchPage,
  searchRow,
} from "./item-page";

/**
 * The paged item table of a large catalog. A whole table costs about 25
 * bytes per item in memory (22 MB at 1M items, too much for a 128 MB isolate
 * at 10M and past KV's 25 MiB value limit), so the rows and the id → row
 * index are cut into pages read on demand:
 *
 * - row pages (`item-rows-<p>`): rows [p*rowPageSize, (p+1)*rowPageSize) in
 *   popularity order, each with its id and ranking facts; a candidate named
 *   by row (ANN, co-visitation) reads its page;
 * - id pages (`item-ids-<p>`): every item again, sorted by id bytes, with its
 *   row and facts, so a candidate named by id reads one page and needs no
 *   row page after it;
 * - the head (`item-directory`): the first id of each id page, the only
 *   part held for the version's life (about 16 bytes per id page: 160 KB at
 *   10M items in pages of 1,024).
 *
 * The `hotRows` most popular items are also found by id in their row
 * pages, read once per version and isolate: the popular list, trending,
 * editorial picks and most histories name them, and their ids are spread
 * over every id page (a cold isolate's first popular list would otherwise
 * read one id page per item).
 */
export const HOT_ROWS = 4096;
export interface ItemPagesSection {
  rowPageSize: number;
  rowPages: number;
  idPageSize: number;
  idPages: number;
  /** The most popular rows, also found by id through their row pages (HOT_ROWS unless the builder says). */
  hotRows: number;
}

/**
 * The row pages, id pages and head of items given in row order (item-table
 * order, item-table.ts `orderItemRows`), each with `idRank`, its position in
 * id byte order.
 */
export function encodeItemPages(
  rows: readonly (Omit<ItemPageEntry, "row"> & { idRank: number })[],
  sizes: { rowPageSize: number; idPageSize: number; hotRows?: number },
): { head: Uint8Array; rowPages: Uint8Array[]; idPages: Uint8Array[]; section: ItemPagesSection } {
  const byId = new Uint32Array(rows.length);
  rows.forEach((r, row) => (byId[r.idRank] = row));
  return encodeItemPagesOfColumns(itemColumnsOf(rows), byId, sizes);
}

/**
 * `encodeItemPages` of items given as columns in row order, with `byId`
 * the rows in id byte order: no object per item.
 */
export function encodeItemPagesOfColumns(
  columns: ItemColumns,
  byId: Uint32Array,
  sizes: { rowPageSize: number; idPageSize: number; hotRows?: number },
): { head: Uint8Array; rowPages: Uint8Array[]; idPages: Uint8Array[]; section: ItemPagesSection } {
  const n = columns.count;
  const rowPages: Uint8Array[] = [];
  for (let at = 0; at < n; at += sizes.rowPageSize) {
    const rows = new Uint32Array(Math.min(sizes.rowPageSize, n - at));
    for (let k = 0; k < rows.length; k++) rows[k] = at + k;
    rowPages.push(encodeItemPageOfRows(columns, rows));
  }
  const idPages: Uint8Array[] = [];
  const firsts: ItemPageEntry[] = [];
  const decoder = new TextDecoder();
  for (let at = 0; at < n; at += sizes.idPageSize) {
    const first = byId[at]!;
    const itemId = decoder.decode(columns.idBytes.subarray(columns.idOffsets[first]!, columns.idOffsets[first + 1]!));
    firsts.push({ itemId, row: idPages.length, categoryMask: 0, popularity: 0, year: 0, available: false });
    idPages.push(encodeItemPageOfRows(columns, byId.subarray(at, at + sizes.idPageSize)));
  }
  return {
    head: encodeItemPage(firsts),
    rowPages,
    idPages,
    section: {
      rowPageSize: sizes.rowPageSize,
      rowPages: rowPages.length,
      idPageSize: sizes.idPageSize,
      idPages: idPages.length,
      hotRows: Math.min(n, sizes.hotRows ?? HOT_ROWS),
    },
  };
}

/** Reads a page by kind and number (through the isolate's caches); a fault names why it is unusable. */
export type ItemPageReader = (kind: "rows" | "ids", page: number) => Promise<{ value: ItemPage } | { fault: string }>;

/**
 * The paged table as an `ItemLookup`. `head` is the decoded directory head;
 * `read` fetches pages. The returned lookup is itself a view: the funnel
 * takes a fresh `view()` per request, as what a view prepared is kept
 * until the view is dropped.
 */
export function pagedItemLookup(
  head: ItemPage,
  section: ItemPagesSection & { itemCount: number; categoryCount: number },
  read: ItemPageReader,
  pageName: (kind: "rows" | "ids", page: number) => string,
): ItemLookup {
  return new PagedView({ head, section, read, pageName, hot: null });
}

/** What every view of one version's paged table shares. */
interface Directory {
  head: ItemPage;
  section: ItemPagesSection & { itemCount: number; categoryCount: number };
  read: ItemPageReader;
  pageName: (kind: "rows" | "ids", page: number) => string;
  /** The hot rows by id, loaded once (null again after a fault, so a later request retries). */
  hot: Promise<Map<string, { page: ItemPage; k: number }> | null> | null;
}

class PagedView implements ItemLookup {
  readonly count: number;
  readonly categoryCount: number;
  private readonly byId = new Map<string, number>();
  private readonly byRow = new Map<number, { page: ItemPage; k: number }>();
  private readonly adopted: ItemPage[] = [];

  constructor(private readonly dir: Directory) {
    this.count = dir.section.itemCount;
    this.categoryCount = dir.section.categoryCount;
  }

  view(): ItemLookup {
    return new PagedView(this.dir);
  }

  /** The hot rows' pages indexed by id; null when one of them cannot be read now. */
  private hotRows(): Promise<Map<string, { page: ItemPage; k: number }> | null> {
    const dir = this.dir;
    dir.hot ??= (async () => {
      const pages = Math.min(dir.section.rowPages, Math.ceil(dir.section.hotRows / dir.section.rowPageSize));
      const reads = await Promise.all(Array.from({ length: pages }, (_, p) => dir.read("rows", p)));
      if (reads.some((r) => "fault" in r)) {
        dir.hot = null;
        return null;
      }
      const byId = new Map<string, { page: ItemPage; k: number }>();
      for (const read of reads) {
        const page = (read as { value: ItemPage }).value;
        for (let k = 0; k < page.count; k++) byId.set(pageIdAt(page, k), { page, k });
      }
      return byId;
    })();
    return dir.hot;
  }

  adopt(pages: readonly ItemPage[]): void {
    for (const page of pages) if (!this.adopted.includes(page)) this.adopted.push(page);
  }

  /** Finds a row in the adopted facts pages. */
  private fromAdopted(row: number): boolean {
    for (const page of this.adopted) {
      const k = searchRow(page, row);
      if (k >= 0) {
        this.byRow.set(row, { page, k });
        return true;
      }
    }
    return false;
  }

  async prepare(itemIds: Iterable<string>, rows: Iterable<number>): Promise<string[]> {
    const { head, section } = this.dir;
    const hot = await this.hotRows();
    const encoder = new TextEncoder();
    const idWants = new Map<number, { itemId: string; key: Uint8Array }[]>();
    for (const itemId of itemIds) {
      if (this.byId.has(itemId)) continue;
      const known = hot?.get(itemId);
      if (known) {
        const row = known.page.rows[known.k]!;
        this.byId.set(itemId, row);
        this.byRow.set(row, known);
        continue;
      }
      const key = encoder.encode(itemId);
      const k = searchPage(head, key, true);
      if (k < 0) {
        this.byId.set(itemId, -1);
        continue;
      }
      const page = head.rows[k]!;
      const list = idWants.get(page) ?? [];
      list.push({ itemId, key });
      idWants.set(page, list);
    }
    const rowWants = new Set<number>();
    for (const row of rows) {
      if (row >= 0 && row < this.count && !this.byRow.has(row) && !this.fromAdopted(row)) rowWants.add(Math.floor(row / section.rowPageSize));
    }
    const degraded: string[] = [];
    const reads = [
      ...[...idWants].map(async ([p, wanted]) => {
        const page = await this.load("ids", p, degraded);
        if (!page) return;
        for (const { itemId, key } of wanted) {
          const k = searchPage(page, key);
          this.byId.set(itemId, k < 0 ? -1 : page.rows[k]!);
          if (k >= 0) this.byRow.set(page.rows[k]!, { page, k });
        }
      }),
      ...[...rowWants].map(async (p) => {
        const page = await this.load("rows", p, degraded);
        if (!page) return;
        for (let k = 0; k < page.count; k++) if (!this.byRow.has(page.rows[k]!)) this.byRow.set(page.rows[k]!, { page, k });
      }),
    ];
    await Promise.all(reads);
    return [...new Set(degraded)].sort();
  }

  private async load(kind: "rows" | "ids", p: number, degraded: string[]): Promise<ItemPage | null> {
    const read = await this.dir.read(kind, p);
    if ("fault" in read) {
      degraded.push(`${this.dir.pageName(kind, p)}_${read.fault}`);
      return null;
    }
    return read.value;
  }

  rowOf(itemId: string): number {
    return this.byId.get(itemId) ?? -1;
  }

  idAt(row: number): string | null {
    const at = this.byRow.get(row);
    if (!at) return null;
    const itemId = pageIdAt(at.page, at.k);
    this.byId.set(itemId, row);
    return itemId;
  }

  categoryMask(row: number): number {
    const at = this.byRow.get(row);
    return at ? at.page.categoryMask[at.k]! : 0;
  }

  popularity(row: number): number {
    const at = this.byRow.get(row);
    return at ? at.page.popularity[at.k]! : 0;
  }

  year(row: number): number {
    const at = this.byRow.get(row);
    return at ? at.page.year[at.k]! : 0;
  }

  available(row: number): boolean {
    const at = this.byRow.get(row);
    return at ? (at.page.flags[at.k]! & 1) !== 0 : false;
  }
}
