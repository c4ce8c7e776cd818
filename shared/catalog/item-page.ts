import { AppError } from "../errors";

const MAGIC = 0x31504749; // "IGP1" little-endian
const HEADER_BYTES = 16;

/** One entry of an item page: an item-table row with its ranking facts. */
export interface ItemPageEntry {
  itemId: string;
  /** The item's row in the whole (virtual) item table: popularity order. */
  row: number;
  categoryMask: number;
  popularity: number;
  /** 0 = unknown. */
  year: number;
  available: boolean;
}

/**
 * A page of the paged item table (shared/catalog/item-directory.ts): some
 * items' rows and ranking facts, either a run of consecutive rows (a row
 * page, `item-rows-<p>`) or a run of ids in byte order (an id page,
 * `item-ids-<p>`, and the directory head, whose entries are the first id of
 * each id page with the page number as the row). Views over the bytes, no
 * per-entry objects.
 *
 * Layout, little-endian: u32 magic, u32 count, u32 idBytes, u32 reserved;
 * u32 rows[count]; u32 idOffsets[count+1]; u32 categoryMask[count]; f32
 * popularity[count]; u16 year[count]; u8 flags[count] (bit 0 available);
 * zero padding to 4 bytes; then the UTF-8 ids back to back.
 */
export interface ItemPage {
  count: number;
  rows: Uint32Array;
  idOffsets: Uint32Array;
  categoryMask: Uint32Array;
  popularity: Float32Array;
  year: Uint16Array;
  flags: Uint8Array;
  idBytes: Uint8Array;
}

function layout(n: number) {
  const flagsEnd = HEADER_BYTES + 4 * n + 4 * (n + 1) + 4 * n + 4 * n + 2 * n + n;
  return { idsAt: Math.ceil(flagsEnd / 4) * 4 };
}

/** Encodes entries in the order given (the caller sorts: by row, or by id bytes). */
export function encodeItemPage(entries: readonly ItemPageEntry[]): Uint8Array {
  return writePage(itemColumnsOf(entries), Uint32Array.from(entries.keys()), (k) => entries[k]!.row);
}

/**
 * Ranking facts of many items as columns, indexed by item-table row, with
 * their UTF-8 ids packed back to back (row r's id is
 * idBytes[idOffsets[r], idOffsets[r+1])): what the builder encodes pages
 * from at 10M items, where an object (and an encoded id) per item held
 * gigabytes.
 */
export interface ItemColumns {
  count: number;
  idOffsets: Uint32Array;
  idBytes: Uint8Array;
  categoryMask: Uint32Array;
  popularity: Float32Array;
  /** 0 = unknown. */
  year: Uint16Array;
  /** Bit 0 available. */
  flags: Uint8Array;
}

/** Columns of entries, in the order given (their ids UTF-8 encoded and packed). */
export function itemColumnsOf(entries: readonly Omit<ItemPageEntry, "row">[]): ItemColumns {
  const encoder = new TextEncoder();
  const ids = entries.map((e) => encoder.encode(e.itemId));
  const n = entries.length;
  const columns: ItemColumns = {
    count: n,
    idOffsets: new Uint32Array(n + 1),
    idBytes: new Uint8Array(ids.reduce((s, b) => s + b.byteLength, 0)),
    categoryMask: new Uint32Array(n),
    popularity: new Float32Array(n),
    year: new Uint16Array(n),
    flags: new Uint8Array(n),
  };
  let at = 0;
  entries.forEach((e, k) => {
    columns.idOffsets[k] = at;
    columns.idBytes.set(ids[k]!, at);
    at += ids[k]!.byteLength;
    columns.categoryMask[k] = e.categoryMask >>> 0;
    columns.popularity[k] = e.popularity;
    columns.year[k] = e.year;
    columns.flags[k] = e.available ? 1 : 0;
  });
  columns.idOffsets[n] = at;
  return columns;
}

/**
 * The page of the given rows of `columns`, in the order given, each
 * entry's row number being its row: the same bytes as `encodeItemPage` of
 * those rows' entries.
 */
export function encodeItemPageOfRows(columns: ItemColumns, rows: ArrayLike<number>): Uint8Array {
  return writePage(columns, rows, (k) => rows[k]!);
}

/** A page of the entries `picks` of `columns`, entry k numbered `rowNumber(k)`. */
function writePage(columns: ItemColumns, picks: ArrayLike<number>, rowNumber: (k: number) => number): Uint8Array {
  const n = picks.length;
  let idBytes = 0;
  for (let k = 0; k < n; k++) idBytes += columns.idOffsets[picks[k]! + 1]! - columns.idOffsets[picks[k]!]!;
  const bytes = new Uint8Array(layout(n).idsAt + idBytes);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, n, true);
  view.setUint32(8, idBytes, true);
  const p = viewsOf(bytes, n, idBytes);
  let at = 0;
  for (let k = 0; k < n; k++) {
    const i = picks[k]!;
    const start = columns.idOffsets[i]!;
    const end = columns.idOffsets[i + 1]!;
    p.rows[k] = rowNumber(k);
    p.idOffsets[k] = at;
    p.idBytes.set(columns.idBytes.subarray(start, end), at);
    at += end - start;
    p.categoryMask[k] = columns.categoryMask[i]!;
    p.popularity[k] = columns.popularity[i]!;
    p.year[k] = columns.year[i]!;
    p.flags[k] = columns.flags[i]! & 1;
  }
  p.idOffsets[n] = at;
  return new Uint8Array(p.rows.buffer);
}

/** Views over an item page (copied first when the bytes are not 4-byte aligned). */
export function decodeItemPage(source: Uint8Array): ItemPage {
  const bytes = source.byteOffset % 4 === 0 ? source : source.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < HEADER_BYTES || view.getUint32(0, true) !== MAGIC) throw new AppError("invalid_manifest", "item page has no IGP1 header");
  const n = view.getUint32(4, true);
  const idBytes = view.getUint32(8, true);
  if (layout(n).idsAt + idBytes !== bytes.byteLength) throw new AppError("invalid_manifest", "item page length does not match its header");
  return viewsOf(bytes, n, idBytes);
}

function viewsOf(bytes: Uint8Array, n: number, idBytes: number): ItemPage {
  const buf = bytes.buffer;
  let at = bytes.byteOffset + HEADER_BYTES;
  const u32 = (count: number) => {
    const v = new Uint32Array(buf, at, count);
    at += 4 * count;
    return v;
  };
  const rows = u32(n);
  const idOffsets = u32(n + 1);
  const categoryMask = u32(n);
  const popularity = new Float32Array(buf, at, n);
  at += 4 * n;
  const year = new Uint16Array(buf, at, n);
  at += 2 * n;
  const flags = new Uint8Array(buf, at, n);
  return { count: n, rows, idOffsets, categoryMask, popularity, year, flags, idBytes: new Uint8Array(buf, bytes.byteOffset + layout(n).idsAt, idBytes) };
}

const decoder = new TextDecoder();

/** The id of entry k. */
export function pageIdAt(page: ItemPage, k: number): string {
  return decoder.decode(page.idBytes.subarray(page.idOffsets[k]!, page.idOffsets[k + 1]!));
}

/**
 * The entry whose id equals `key` (UTF-8), or with `floor` the last entry
 * whose id is at most `key`; -1 when there is none. Entries must be in id
 * byte order.
 */
export function searchPage(page: ItemPage, key: Uint8Array, floor = false): number {
  let lo = 0;
  let hi = page.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareAt(page, mid, key);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return floor ? hi : -1;
}

/** Entry k's id bytes against `key`, in place. */
function compareAt(page: ItemPage, k: number, key: Uint8Array): number {
  const start = page.idOffsets[k]!;
  const length = page.idOffsets[k + 1]! - start;
  const n = Math.min(length, key.length);
  for (let i = 0; i < n; i++) {
    const c = page.idBytes[start + i]! - key[i]!;
    if (c !== 0) return c;
  }
  return length - key.length;
}

/** The entry of item-table row `row`, or -1; entries must be in ascending row order (a facts page). */
export function searchRow(page: ItemPage, row: number): number {
  let lo = 0;
  let hi = page.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const r = page.rows[mid]!;
    if (r === row) return mid;
    if (r < row) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * A page of some entries of `page` (entry indices `ks`, in the order given),
 * in bytes of its own: what a cache keeps of a large page when only a few
 * of its entries are wanted. Copies columns; makes no per-entry objects.
 */
export function selectItemPage(page: ItemPage, ks: readonly number[]): ItemPage {
  return decodeItemPage(writePage(page, ks, (j) => page.rows[ks[j]!]!));
}

/** The byte length of a page as encoded (what it holds in memory). */
export function itemPageBytes(page: ItemPage): number {
  return layout(page.count).idsAt + page.idBytes.byteLength;
}
