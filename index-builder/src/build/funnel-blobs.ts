import { encodeItemPages, HOT_ROWS } from "../../../shared/catalog/item-directory";
import { encodeItemTable, type ItemTableRow, orderItemRows } from "../../../shared/catalog/item-table";
import { encodeItemPage } from "../../../shared/catalog/item-page";
import { TITLE_PATCH_BLOB } from "../../../shared/catalog/title-page";
import { type CovisitLists } from "../../../shared/covisit/covisit-lists";
import { encodeCovisit } from "../../../shared/covisit/covisit-codec";
import {
  type FoldInBlob,
  FUNNEL_BLOBS,
  FUNNEL_FORMAT_VERSION,
  type FunnelSection,
  covisitPageName,
  ITEM_DIRECTORY_BLOB,
  itemPageName,
  titlePageName,
  vectorPageName,
} from "../../../shared/index-format/funnel-section";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { type ConfidenceParams } from "../../../shared/embeddings/fold-in";
import { type TitleBase, titleBlobs } from "./title-blobs";

/**
 * Rows per page. A request reads the pages of its history, context and shown
 * items, so pages are small (tens of KiB) and many fit an isolate's LRU:
 * vectors 128 × 64 dims × 4 bytes = 32 KiB; co-visitation 256 rows of up to
 * 100 neighbours; titles 512 rows.
 */
export interface PageSizes {
  vectorPageSize: number;
  covisitPageSize: number;
  titlePageSize: number;
  /**
   * Rows (and ids) per page of a paged item table, used past
   * `wholeItemTableMax` items: 1,024 rows are about 30 KiB.
   */
  itemPageSize: number;
  /**
   * Up to this many items the item table is one blob (about 25 bytes an item), read once per isolate.
   * Past it the table is paged, and the ANN shards and co-visitation pages carry the facts of their
   * rows, so a miss reads no row page per candidate (README "Large catalogs"). At 1M a whole table
   * held 22 MB of a 128 MB isolate.
   */
  wholeItemTableMax: number;
  /** Of a paged table, the most popular rows found by id through their row pages (shared/catalog/item-directory.ts). */
  itemHotRows: number;
}
export const DEFAULT_PAGES: PageSizes = {
  vectorPageSize: 128,
  covisitPageSize: 256,
  titlePageSize: 512,
  itemPageSize: 1024,
  wholeItemTableMax: 100_000,
  itemHotRows: HOT_ROWS,
};

type Blob = { bytes: Uint8Array; contentType: string };

/**
 * What the funnel blobs are built from: trained item vectors (the shape of
 * train-ials' TrainedEmbeddings). Only shared types here, so workerd tests
 * can build fixture indexes with this module too.
 */
export interface FunnelEmbeddings {
  dims: number;
  itemIds: string[];
  /** Size itemIds.length*dims, row-major. */
  itemVectors: Float32Array;
  /** YᵀY, size dims*dims. */
  gram: Float32Array | Float64Array;
  params: ConfidenceParams;
}

/**
 * The serving funnel's blobs: the item table (ranking facts by id), the
 * co-visitation lists and item vectors re-addressed by item-table row, and
 * the fold-in data. `embeddings` and `covisit` must share one item index
 * space (the same interaction table). With `titleBase` (the live
 * version's title pages), title pages equal or nearly equal to its pages
 * keep their bytes (title-blobs.ts).
 */
export function buildFunnelBlobs(
  dataset: { items: readonly CatalogItem[] },
  embeddings: FunnelEmbeddings,
  covisit: CovisitLists,
  popularity: Map<string, number>,
  pageSizes: PageSizes = DEFAULT_PAGES,
  titleBase: TitleBase | null = null,
): {
  blobs: Map<string, Blob>;
  section: FunnelSection;
  rowOf: ReadonlyMap<string, number>;
  titles: { keptPages: number; patchRows: number };
  /**
   * Of a paged item table: the facts page (an item page in row order) of
   * ascending rows, stored in ANN shards and co-visitation pages so that a
   * request ranks their candidates without reading row pages. Null for a
   * whole table, which the Worker holds entirely.
   */
  factsPage: ((rows: Uint32Array) => Uint8Array) | null;
} {
  const pages = scaledPages(pageSizes, embeddings.itemIds.length);
  const categories = [...new Set(dataset.items.flatMap((item) => item.categories))].sort().slice(0, 32);
  const categoryIndex = new Map(categories.map((c, i) => [c, i]));
  const facts = new Map(dataset.items.map((item) => [item.itemId, item]));
  const tableRows: ItemTableRow[] = embeddings.itemIds.map((itemId) => {
    const item = facts.get(itemId);
    return {
      itemId,
      categories: (item?.categories ?? []).flatMap((c) => (categoryIndex.has(c) ? [categoryIndex.get(c)!] : [])),
      year: item?.year ?? null,
      popularity: popularity.get(itemId) ?? 0,
      available: item?.available ?? true,
    };
  });
  const paged = tableRows.length > pages.wholeItemTableMax;
  const itemBlobs = new Map<string, Blob>();
  let order: string[];
  let itemPages: FunnelSection["itemPages"];
  let factsPage: ((rows: Uint32Array) => Uint8Array) | null = null;
  if (paged) {
    const ordered = orderItemRows(tableRows);
    order = ordered.map((x) => x.row.itemId);
    const entries = ordered.map(({ row, k }) => ({
      itemId: row.itemId,
      categoryMask: row.categories.reduce((mask, c) => (mask | (1 << c)) >>> 0, 0),
      popularity: row.popularity,
      year: row.year ?? 0,
      available: row.available,
      idRank: k,
    }));
    factsPage = (rows) => encodeItemPage(Array.from(rows, (row) => ({ ...entries[row]!, row })));
    const encoded = encodeItemPages(entries, { rowPageSize: pages.itemPageSize, idPageSize: pages.itemPageSize, hotRows: pages.itemHotRows });
    itemBlobs.set(ITEM_DIRECTORY_BLOB, { bytes: encoded.head, contentType: "application/octet-stream" });
    encoded.rowPages.forEach((bytes, p) => itemBlobs.set(itemPageName("rows", p), { bytes, contentType: "application/octet-stream" }));
    encoded.idPages.forEach((bytes, p) => itemBlobs.set(itemPageName("ids", p), { bytes, contentType: "application/octet-stream" }));
    itemPages = encoded.section;
  } else {
    const whole = encodeItemTable(tableRows, categories.length);
    order = whole.order;
    itemBlobs.set(FUNNEL_BLOBS.itemTable, { bytes: whole.bytes, contentType: "application/octet-stream" });
  }
  // Training index -> item-table row.
  const rowOf = new Map(order.map((id, row) => [id, row]));
  const toRow = Uint32Array.from(embeddings.itemIds, (id) => rowOf.get(id)!);

  const dims = embeddings.dims;
  const n = order.length;
  const blobs = itemBlobs;
  const remapped = remapCovisit(covisit, toRow);
  const covisitPages = Math.ceil(n / pages.covisitPageSize);
  for (let p = 0; p < covisitPages; p++) {
    const page = sliceCovisit(remapped, p * pages.covisitPageSize, Math.min(n, (p + 1) * pages.covisitPageSize));
    const facts = factsPage ? factsPage(new Uint32Array(new Set(page.neighbors)).sort()) : null;
    blobs.set(covisitPageName(p), { bytes: encodeCovisit(page, facts), contentType: "application/octet-stream" });
  }
  const foldIn: FoldInBlob = { dims, params: embeddings.params, gram: Array.from(embeddings.gram), itemCount: n };
  blobs.set(FUNNEL_BLOBS.foldIn, { bytes: new TextEncoder().encode(JSON.stringify(foldIn)), contentType: "application/json" });
  // Each page gathered straight from the training order: no second copy of every vector (2.5 GB at 10M items).
  const fromRow = new Uint32Array(n);
  toRow.forEach((row, i) => (fromRow[row] = i));
  const vectorPages = Math.ceil(n / pages.vectorPageSize);
  for (let p = 0; p < vectorPages; p++) {
    const first = p * pages.vectorPageSize;
    const page = new Float32Array((Math.min(n, first + pages.vectorPageSize) - first) * dims);
    for (let k = 0; k * dims < page.length; k++)
      page.set(embeddings.itemVectors.subarray(fromRow[first + k]! * dims, (fromRow[first + k]! + 1) * dims), k * dims);
    blobs.set(vectorPageName(p), { bytes: new Uint8Array(page.buffer), contentType: "application/octet-stream" });
  }
  const titles = titleBlobs(
    order.map((id) => facts.get(id)?.title ?? ""),
    pages.titlePageSize,
    titleBase,
  );
  const titlePages = titles.pages.length;
  titles.pages.forEach((bytes, p) => blobs.set(titlePageName(p), { bytes, contentType: "application/octet-stream" }));
  if (titles.patch) blobs.set(TITLE_PATCH_BLOB, { bytes: titles.patch, contentType: "application/octet-stream" });
  return {
    blobs,
    rowOf,
    factsPage,
    titles: { keptPages: titles.keptPages, patchRows: titles.patchRows },
    section: {
      formatVersion: FUNNEL_FORMAT_VERSION,
      categories,
      itemCount: n,
      dims,
      embedding: `ials-${dims}`,
      vectorPageSize: pages.vectorPageSize,
      vectorPages,
      covisitPageSize: pages.covisitPageSize,
      covisitPages,
      titlePageSize: pages.titlePageSize,
      titlePages,
      ...(itemPages ? { itemPages } : {}),
    },
  };
}

/**
 * Pages of any one kind at most: the manifest names every blob with its
 * checksum (about 180 bytes of JSON each), and the Worker parses it on a
 * cold start, so at 10M items pages of the default sizes (some 150,000
 * blobs, a 29 MB manifest, over KV's 25 MiB) are grown instead.
 */
export const MAX_PAGES_PER_KIND = 8192;

/** Page sizes grown (in steps of the configured size) so that no kind has more than MAX_PAGES_PER_KIND pages of n rows. */
export function scaledPages(pages: PageSizes, n: number): PageSizes {
  const grow = (size: number) => Math.max(1, Math.ceil(n / MAX_PAGES_PER_KIND / size)) * size;
  return {
    ...pages,
    vectorPageSize: grow(pages.vectorPageSize),
    covisitPageSize: grow(pages.covisitPageSize),
    titlePageSize: grow(pages.titlePageSize),
    itemPageSize: grow(pages.itemPageSize),
  };
}

/** Rows [from, to) of the lists as lists of their own (neighbour indices unchanged). */
export function sliceCovisit(lists: CovisitLists, from: number, to: number): CovisitLists {
  const start = lists.offsets[from]!;
  const end = lists.offsets[to]!;
  return {
    offsets: Uint32Array.from(lists.offsets.subarray(from, to + 1), (o) => o - start),
    neighbors: lists.neighbors.slice(start, end),
    scores: lists.scores.slice(start, end),
  };
}

/** The same lists with every item index mapped through `toRow`, rows in the new order. */
export function remapCovisit(lists: CovisitLists, toRow: Uint32Array): CovisitLists {
  const n = lists.offsets.length - 1;
  const fromRow = new Uint32Array(n);
  toRow.forEach((row, i) => (fromRow[row] = i));
  const offsets = new Uint32Array(n + 1);
  const neighbors = new Uint32Array(lists.neighbors.length);
  const scores = new Float32Array(lists.scores.length);
  let at = 0;
  for (let row = 0; row < n; row++) {
    const i = fromRow[row]!;
    offsets[row] = at;
    for (let k = lists.offsets[i]!; k < lists.offsets[i + 1]!; k++) {
      neighbors[at] = toRow[lists.neighbors[k]!]!;
      scores[at] = lists.scores[k]!;
      at++;
    }
  }
  offsets[n] = at;
  return { offsets, neighbors, scores };
}
