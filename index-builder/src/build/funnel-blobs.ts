import { encodeItemPagesOfColumns, HOT_ROWS } from "../../../shared/catalog/item-directory";
import { encodeItemTable, type ItemTableRow } from "../../../shared/catalog/item-table";
import { encodeItemPageOfRows, type ItemColumns } from "../../../shared/catalog/item-page";
import { AppError } from "../../../shared/errors";
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
import { type TitleBase, titleBlobsOf } from "./title-blobs";

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

/** Where finished blobs go: a Map, or a writer that stores each at once (write-version.ts `VersionWriter`) so a 10M build holds none. */
export interface BlobSink {
  set(name: string, blob: Blob): unknown;
}

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
 * The catalogue facts of the embeddings' items as columns, index i being
 * `itemIds[i]`: no object per item, so a 10M catalogue costs some 20 bytes
 * an item here (titles come one at a time from `title`).
 */
export interface FunnelItems {
  /** Category names, at most 32: bit c of a mask is categories[c]. */
  categories: string[];
  categoryMask: Uint32Array;
  /** 0 = unknown. */
  year: Uint16Array;
  /** Time-decayed popularity (popularity.ts). */
  popularity: Float64Array;
  /** 1 = available. */
  available: Uint8Array;
  title(i: number): string;
}

/**
 * The columns of catalogue items for the embeddings' ids: the first 32
 * categories of the catalogue by name, and for an id the catalogue lacks no
 * categories, no year, available, and an empty title.
 */
export function funnelItemsOf(items: readonly CatalogItem[], itemIds: readonly string[], popularity: ReadonlyMap<string, number>): FunnelItems {
  const categories = [...new Set(items.flatMap((item) => item.categories))].sort().slice(0, 32);
  const categoryIndex = new Map(categories.map((c, i) => [c, i]));
  const facts = new Map(items.map((item) => [item.itemId, item]));
  const n = itemIds.length;
  const columns = { categoryMask: new Uint32Array(n), year: new Uint16Array(n), popularity: new Float64Array(n), available: new Uint8Array(n) };
  itemIds.forEach((itemId, i) => {
    const item = facts.get(itemId);
    for (const c of item?.categories ?? []) {
      const bit = categoryIndex.get(c);
      if (bit !== undefined) columns.categoryMask[i] = (columns.categoryMask[i]! | (1 << bit)) >>> 0;
    }
    columns.year[i] = item?.year ?? 0;
    columns.popularity[i] = popularity.get(itemId) ?? 0;
    columns.available[i] = (item?.available ?? true) ? 1 : 0;
  });
  return { categories, ...columns, title: (i) => facts.get(itemIds[i]!)?.title ?? "" };
}

/** What the funnel blobs' build tells its caller besides the blobs. */
export interface FunnelBuilt {
  section: FunnelSection;
  /** The item-table row of each embedding index. */
  tableRows: Uint32Array;
  /** The embedding index of each item-table row (rows are in descending popularity). */
  order: Uint32Array;
  titles: { keptPages: number; patchRows: number };
  /**
   * Of a paged item table: the facts page (an item page in row order) of
   * ascending rows, stored in ANN shards and co-visitation pages so that a
   * request ranks their candidates without reading row pages. Null for a
   * whole table, which the Worker holds entirely.
   */
  factsPage: ((rows: Uint32Array) => Uint8Array) | null;
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
  popularity: ReadonlyMap<string, number>,
  pageSizes: PageSizes = DEFAULT_PAGES,
  titleBase: TitleBase | null = null,
): FunnelBuilt & { blobs: Map<string, Blob> } {
  const blobs = new Map<string, Blob>();
  const built = writeFunnelBlobs(funnelItemsOf(dataset.items, embeddings.itemIds, popularity), embeddings, covisit, blobs, pageSizes, titleBase);
  return { blobs, ...built };
}

/** `buildFunnelBlobs` from item columns, each blob given to `sink` as soon as it is made. */
export function writeFunnelBlobs(
  items: FunnelItems,
  embeddings: FunnelEmbeddings,
  covisit: CovisitLists,
  sink: BlobSink,
  pageSizes: PageSizes = DEFAULT_PAGES,
  titleBase: TitleBase | null = null,
): FunnelBuilt {
  const binary = "application/octet-stream";
  const n = embeddings.itemIds.length;
  const pages = scaledPages(pageSizes, n);
  const { categories } = items;
  const byId = idByteOrder(embeddings.itemIds);
  const order = tableOrder(items.popularity, byId);
  const tableRows = new Uint32Array(n);
  order.forEach((i, row) => (tableRows[i] = row));
  let itemPages: FunnelSection["itemPages"];
  let factsPage: ((rows: Uint32Array) => Uint8Array) | null = null;
  if (n > pages.wholeItemTableMax) {
    const columns = itemColumnsInOrder(items, embeddings.itemIds, order);
    factsPage = (rows) => encodeItemPageOfRows(columns, rows);
    const encoded = encodeItemPagesOfColumns(
      columns,
      byId.map((i) => tableRows[i]!),
      { rowPageSize: pages.itemPageSize, idPageSize: pages.itemPageSize, hotRows: pages.itemHotRows },
    );
    sink.set(ITEM_DIRECTORY_BLOB, { bytes: encoded.head, contentType: binary });
    encoded.rowPages.forEach((bytes, p) => sink.set(itemPageName("rows", p), { bytes, contentType: binary }));
    encoded.idPages.forEach((bytes, p) => sink.set(itemPageName("ids", p), { bytes, contentType: binary }));
    itemPages = encoded.section;
  } else {
    const rows: ItemTableRow[] = embeddings.itemIds.map((itemId, i) => ({
      itemId,
      categories: categories.flatMap((_, c) => (items.categoryMask[i]! & (1 << c) ? [c] : [])),
      year: items.year[i] || null,
      popularity: items.popularity[i]!,
      available: items.available[i] === 1,
    }));
    const whole = encodeItemTable(rows, categories.length);
    // The table orders its rows itself, by the same rule: its order must be ours.
    if (whole.order.some((id, row) => id !== embeddings.itemIds[order[row]!])) throw new Error("item table order differs from the funnel's");
    sink.set(FUNNEL_BLOBS.itemTable, { bytes: whole.bytes, contentType: binary });
  }

  const dims = embeddings.dims;
  const remapped = remapCovisit(covisit, tableRows);
  const covisitPages = Math.ceil(n / pages.covisitPageSize);
  for (let p = 0; p < covisitPages; p++) {
    const page = sliceCovisit(remapped, p * pages.covisitPageSize, Math.min(n, (p + 1) * pages.covisitPageSize));
    const facts = factsPage ? factsPage(new Uint32Array(new Set(page.neighbors)).sort()) : null;
    sink.set(covisitPageName(p), { bytes: encodeCovisit(page, facts), contentType: binary });
  }
  const foldIn: FoldInBlob = { dims, params: embeddings.params, gram: Array.from(embeddings.gram), itemCount: n };
  sink.set(FUNNEL_BLOBS.foldIn, { bytes: new TextEncoder().encode(JSON.stringify(foldIn)), contentType: "application/json" });
  // Each page gathered straight from the training order: no second copy of every vector (2.5 GB at 10M items).
  const vectorPages = Math.ceil(n / pages.vectorPageSize);
  for (let p = 0; p < vectorPages; p++) {
    const first = p * pages.vectorPageSize;
    const page = new Float32Array((Math.min(n, first + pages.vectorPageSize) - first) * dims);
    for (let k = 0; k * dims < page.length; k++) page.set(embeddings.itemVectors.subarray(order[first + k]! * dims, (order[first + k]! + 1) * dims), k * dims);
    sink.set(vectorPageName(p), { bytes: new Uint8Array(page.buffer), contentType: binary });
  }
  const titles = titleBlobsOf(n, (row) => items.title(order[row]!), pages.titlePageSize, titleBase);
  const titlePages = titles.pages.length;
  titles.pages.forEach((bytes, p) => sink.set(titlePageName(p), { bytes, contentType: binary }));
  if (titles.patch) sink.set(TITLE_PATCH_BLOB, { bytes: titles.patch, contentType: binary });
  return {
    tableRows,
    order,
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
 * Indices of `ids` in UTF-8 byte order (item-table.ts `orderItemRows`' id
 * order) without encoding each id: JavaScript compares strings by UTF-16
 * code units, the same order as UTF-8 bytes unless a string holds a
 * surrogate or a code unit past it, which then are compared as bytes.
 * Throws on a duplicate id.
 */
export function idByteOrder(ids: readonly string[]): Uint32Array {
  const order = new Uint32Array(ids.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const bytewise = ids.some((id) => /[\uD800-\uFFFF]/.test(id));
  if (bytewise) {
    const encoder = new TextEncoder();
    const encoded = ids.map((id) => encoder.encode(id));
    order.sort((a, b) => compareBytes(encoded[a]!, encoded[b]!));
    for (let k = 1; k < order.length; k++)
      if (compareBytes(encoded[order[k - 1]!]!, encoded[order[k]!]!) === 0) throw new AppError("invalid_manifest", `duplicate item id ${ids[order[k]!]}`);
  } else {
    order.sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0));
    for (let k = 1; k < order.length; k++)
      if (ids[order[k - 1]!] === ids[order[k]!]) throw new AppError("invalid_manifest", `duplicate item id ${ids[order[k]!]}`);
  }
  return order;
}

/** Item-table order (item-table.ts `orderItemRows`): descending popularity, ties in id order; `byId` is idByteOrder's. */
export function tableOrder(popularity: Float64Array, byId: Uint32Array): Uint32Array {
  const rank = new Uint32Array(byId.length);
  byId.forEach((i, k) => (rank[i] = k));
  return byId.slice().sort((a, b) => popularity[b]! - popularity[a]! || rank[a]! - rank[b]!);
}

/** The items' facts as item columns in table order (`order` gives the embedding index of each row). */
function itemColumnsInOrder(items: FunnelItems, itemIds: readonly string[], order: Uint32Array): ItemColumns {
  const n = order.length;
  const idOffsets = new Uint32Array(n + 1);
  let idBytes = new Uint8Array(Math.max(16, n * 8));
  const encoder = new TextEncoder();
  let at = 0;
  const columns = { categoryMask: new Uint32Array(n), popularity: new Float32Array(n), year: new Uint16Array(n), flags: new Uint8Array(n) };
  for (let row = 0; row < n; row++) {
    const i = order[row]!;
    const id = itemIds[i]!;
    // A UTF-16 code unit is at most 3 UTF-8 bytes.
    if (at + 3 * id.length > idBytes.length) {
      const grown = new Uint8Array(Math.max(2 * idBytes.length, at + 3 * id.length));
      grown.set(idBytes.subarray(0, at));
      idBytes = grown;
    }
    idOffsets[row] = at;
    at += encoder.encodeInto(id, idBytes.subarray(at)).written;
    columns.categoryMask[row] = items.categoryMask[i]!;
    columns.popularity[row] = items.popularity[i]!;
    columns.year[row] = items.year[i]!;
    columns.flags[row] = items.available[i]! & 1;
  }
  idOffsets[n] = at;
  return { count: n, idOffsets, idBytes: idBytes.slice(0, at), ...columns };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
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
