import { AppError } from "../errors";

const MAGIC_V1 = 0x31425449; // "ITB1" little-endian: rows in id order, no id index
const MAGIC = 0x32425449; // "ITB2": rows by popularity, with an id index
const HEADER_BYTES = 16;
const AVAILABLE = 1;

/** One row of the item table as the builder supplies it. */
export interface ItemTableRow {
  itemId: string;
  /** Indices into the table's category names (at most 32 categories). */
  categories: number[];
  year: number | null;
  /** Time-decayed popularity (see index-builder popularity). */
  popularity: number;
  available: boolean;
}

/**
 * The `item-table` blob: every catalog item's ranking facts, found by id
 * with a binary search over the bytes, with no per-item objects and no id
 * map in memory (a 1M-item table stays one ~25 MB value).
 *
 * Rows are in descending popularity (ties by id). Other blobs (co-visitation,
 * vectors, titles, ANN lists) address items by row, in pages of consecutive
 * rows, so the items most often shown share the pages an isolate keeps: with
 * rows in id order, a page of popular titles was a page of random ones.
 *
 * Layout, little-endian: u32 magic, u32 count, u32 categoryCount, u32
 * idBytes; u32 idOffsets[count+1]; u32 categoryMask[count]; f32
 * popularity[count]; u16 year[count] (0 = unknown); u8 flags[count] (bit 0
 * available); zero padding to 4 bytes; u32 byId[count] (the rows in id byte
 * order); then the UTF-8 ids of the rows back to back. A table without the
 * id index (ITB1, rows in id order) is still read.
 */
export interface ItemTable {
  count: number;
  categoryCount: number;
  idOffsets: Uint32Array;
  categoryMask: Uint32Array;
  popularity: Float32Array;
  year: Uint16Array;
  flags: Uint8Array;
  /** Rows in id byte order: position k holds the row of the k-th smallest id. */
  byId: Uint32Array;
  idBytes: Uint8Array;
}

/** Orders rows by descending popularity (ties by id) and encodes them; returns the bytes and the row order used. */
export function encodeItemTable(rows: readonly ItemTableRow[], categoryCount: number): { bytes: Uint8Array; order: string[] } {
  if (categoryCount > 32) throw new AppError("invalid_manifest", "the item table holds at most 32 categories");
  const encoded = orderItemRows(rows);
  const n = encoded.length;
  const idBytes = encoded.reduce((s, x) => s + x.id.byteLength, 0);
  const bytes = new Uint8Array(layout(n).idsAt + idBytes);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, n, true);
  view.setUint32(8, categoryCount, true);
  view.setUint32(12, idBytes, true);
  const t = viewsOf(bytes, n, idBytes, true);
  let at = 0;
  encoded.forEach(({ row, id, k }, i) => {
    t.idOffsets[i] = at;
    t.idBytes.set(id, at);
    at += id.byteLength;
    t.categoryMask[i] = row.categories.reduce((mask, c) => (mask | (1 << c)) >>> 0, 0);
    t.popularity[i] = row.popularity;
    t.year[i] = row.year ?? 0;
    t.flags[i] = row.available ? AVAILABLE : 0;
    t.byId[k] = i;
  });
  t.idOffsets[n] = at;
  return { bytes, order: encoded.map((x) => x.row.itemId) };
}

/**
 * Rows in item-table order: descending popularity, ties by id bytes; each
 * with its UTF-8 id and `k`, its position in id order. Throws on a duplicate id.
 */
export function orderItemRows<R extends { itemId: string; popularity: number }>(rows: readonly R[]): { row: R; id: Uint8Array; k: number }[] {
  const enc = new TextEncoder();
  const byIdOrder = rows.map((row) => ({ row, id: enc.encode(row.itemId) })).sort((a, b) => compareBytes(a.id, b.id));
  byIdOrder.forEach((x, k) => {
    if (k > 0 && compareBytes(byIdOrder[k - 1]!.id, x.id) === 0) throw new AppError("invalid_manifest", `duplicate item id ${x.row.itemId}`);
  });
  // Stable over the id order, so equal popularity keeps id order.
  return byIdOrder.map((x, k) => ({ ...x, k })).sort((a, b) => b.row.popularity - a.row.popularity || a.k - b.k);
}

/** Views over an item-table blob (no copy when the bytes are 4-byte aligned). */
export function decodeItemTable(source: Uint8Array): ItemTable {
  const bytes = source.byteOffset % 4 === 0 ? source : source.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = bytes.byteLength < HEADER_BYTES ? 0 : view.getUint32(0, true);
  if (magic !== MAGIC && magic !== MAGIC_V1) throw new AppError("invalid_manifest", "item table has no ITB2 (or ITB1) header");
  const n = view.getUint32(4, true);
  const idBytes = view.getUint32(12, true);
  const t = viewsOf(bytes, n, idBytes, magic === MAGIC);
  if (t.end !== bytes.byteLength) throw new AppError("invalid_manifest", "item table length does not match its header");
  return { count: n, categoryCount: view.getUint32(8, true), ...t };
}

/**
 * Ids looked up or named recently, per table: a request looks the same
 * candidates up several times (facts, availability, titles) and popular
 * items recur across requests. Bounded; emptied when full.
 */
const rowMemos = new WeakMap<ItemTable, Map<string, number>>();
const ROW_MEMO_MAX = 65_536;

function rowMemo(table: ItemTable): Map<string, number> {
  let memo = rowMemos.get(table);
  if (!memo) rowMemos.set(table, (memo = new Map()));
  else if (memo.size >= ROW_MEMO_MAX) memo.clear();
  return memo;
}

/** The row of an item id, or -1 (binary search over the id bytes, remembered for a while). */
export function findItem(table: ItemTable, itemId: string): number {
  const memo = rowMemo(table);
  let row = memo.get(itemId);
  if (row === undefined) memo.set(itemId, (row = searchItem(table, itemId)));
  return row;
}

function searchItem(table: ItemTable, itemId: string): number {
  const key = encodeKey(itemId);
  const { idBytes, idOffsets, byId } = table;
  let lo = 0;
  let hi = table.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const row = byId[mid]!;
    // Compares the row's id bytes with the key in place: no view or copy per step.
    const start = idOffsets[row]!;
    const length = idOffsets[row + 1]! - start;
    const n = Math.min(length, key.length);
    let c = 0;
    for (let i = 0; i < n && c === 0; i++) c = idBytes[start + i]! - key[i]!;
    if (c === 0) c = length - key.length;
    if (c === 0) return row;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

const encoder = new TextEncoder();
let keyBuffer = new Uint8Array(256);

/** The UTF-8 bytes of an id, in a buffer reused across lookups (valid until the next call). */
function encodeKey(itemId: string): Uint8Array {
  if (itemId.length * 3 > keyBuffer.length) keyBuffer = new Uint8Array(itemId.length * 3);
  const { written } = encoder.encodeInto(itemId, keyBuffer);
  return keyBuffer.subarray(0, written);
}

export function itemIdAt(table: ItemTable, row: number): string {
  const itemId = idDecoder.decode(idAt(table, row));
  rowMemo(table).set(itemId, row);
  return itemId;
}

const idDecoder = new TextDecoder();

/** Category indices of a row, ascending. */
export function categoriesAt(table: ItemTable, row: number): number[] {
  const mask = table.categoryMask[row] ?? 0;
  const out: number[] = [];
  for (let c = 0; c < table.categoryCount; c++) if (mask & (1 << c)) out.push(c);
  return out;
}

export function isAvailable(table: ItemTable, row: number): boolean {
  return ((table.flags[row] ?? 0) & AVAILABLE) !== 0;
}

function idAt(table: ItemTable, row: number): Uint8Array {
  return table.idBytes.subarray(table.idOffsets[row]!, table.idOffsets[row + 1]!);
}

/** Byte offsets of the sections after the header, for n rows. */
function layout(n: number) {
  const flagsEnd = HEADER_BYTES + 4 * (n + 1) + 4 * n + 4 * n + 2 * n + n;
  const byIdAt = Math.ceil(flagsEnd / 4) * 4;
  return { byIdAt, idsAt: byIdAt + 4 * n };
}

/** Typed views over the sections; an ITB1 table (no id index) gets the identity as its id order. */
function viewsOf(bytes: Uint8Array, n: number, idBytes: number, hasIdIndex: boolean) {
  const { byIdAt, idsAt } = layout(n);
  const idsStart = hasIdIndex ? idsAt : byIdAt;
  if (idsStart + idBytes > bytes.byteLength) throw new AppError("invalid_manifest", "item table is shorter than its header says");
  const buf = bytes.buffer;
  const base = bytes.byteOffset;
  let at = base + HEADER_BYTES;
  const take = <T>(make: (b: ArrayBufferLike, o: number, l: number) => T, size: number, count: number): T => {
    const v = make(buf, at, count);
    at += size * count;
    return v;
  };
  const idOffsets = take((b, o, l) => new Uint32Array(b, o, l), 4, n + 1);
  const categoryMask = take((b, o, l) => new Uint32Array(b, o, l), 4, n);
  const popularity = take((b, o, l) => new Float32Array(b, o, l), 4, n);
  const year = take((b, o, l) => new Uint16Array(b, o, l), 2, n);
  const flags = take((b, o, l) => new Uint8Array(b, o, l), 1, n);
  let byId: Uint32Array;
  if (hasIdIndex) byId = new Uint32Array(buf, base + byIdAt, n);
  else {
    byId = new Uint32Array(n);
    for (let k = 0; k < n; k++) byId[k] = k;
  }
  const ids = new Uint8Array(buf, base + idsStart, idBytes);
  return { idOffsets, categoryMask, popularity, year, flags, byId, idBytes: ids, end: idsStart + idBytes };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
