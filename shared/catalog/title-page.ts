import { AppError } from "../errors";

const MAGIC = 0x31545454; // "TTT1" little-endian

/**
 * A page of titles (the funnel's `titles-<p>` blobs): little-endian u32
 * magic, u32 count, u32 offsets[count + 1], then the UTF-8 titles back to
 * back. A reader decodes only the titles it needs, so a page costs no
 * parsing beyond its header however many titles it holds.
 */
export function encodeTitlePage(titles: readonly string[]): Uint8Array {
  const encoded = titles.map((t) => new TextEncoder().encode(t));
  const head = 8 + 4 * (titles.length + 1);
  const bytes = new Uint8Array(head + encoded.reduce((s, b) => s + b.byteLength, 0));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, titles.length, true);
  let at = head;
  encoded.forEach((b, i) => {
    view.setUint32(8 + 4 * i, at - head, true);
    bytes.set(b, at);
    at += b.byteLength;
  });
  view.setUint32(8 + 4 * titles.length, at - head, true);
  return bytes;
}

export interface TitlePage {
  count: number;
  title(k: number): string;
}

const decoder = new TextDecoder();

/** Checks the header and offsets; titles are decoded on demand. Throws AppError("invalid_manifest") on a malformed page. */
export function decodeTitlePage(bytes: Uint8Array): TitlePage {
  const { view, count, bad } = header(bytes, MAGIC, "title page");
  const head = 8 + 4 * (count + 1);
  if (bytes.byteLength < head) bad("is truncated");
  const offset = (k: number) => view.getUint32(8 + 4 * k, true);
  if (head + offset(count) !== bytes.byteLength) bad("has inconsistent offsets");
  return {
    count,
    title: (k) => (k < 0 || k >= count ? "" : decoder.decode(bytes.subarray(head + offset(k), head + offset(k + 1)))),
  };
}

/**
 * The optional `titles-patch` blob of a version: titles of the rows whose
 * title differs from the one their title page holds. A build whose catalog
 * changed in a few rows keeps the previous version's title pages byte for
 * byte (so publication sends none of them again) and lists the changed
 * rows here (index-builder/src/build/title-blobs.ts).
 */
export const TITLE_PATCH_BLOB = "titles-patch";

const PATCH_MAGIC = 0x31505454; // "TTP1" little-endian

/** Little-endian u32 magic, u32 count, u32 rows[count] ascending, then a title page of their titles in that order. */
export function encodeTitlePatch(entries: readonly { row: number; title: string }[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => a.row - b.row);
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.row === sorted[i - 1]!.row) throw new Error(`title patch lists row ${sorted[i]!.row} twice`);
  const page = encodeTitlePage(sorted.map((e) => e.title));
  const bytes = new Uint8Array(8 + 4 * sorted.length + page.byteLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, PATCH_MAGIC, true);
  view.setUint32(4, sorted.length, true);
  sorted.forEach((e, i) => view.setUint32(8 + 4 * i, e.row, true));
  bytes.set(page, 8 + 4 * sorted.length);
  return bytes;
}

export interface TitlePatch {
  count: number;
  /** The largest row listed (-1 when none). */
  lastRow: number;
  /** The patched title of an item-table row, or undefined when its title page holds it. */
  title(row: number): string | undefined;
}

/** Checks the header, the row order and the titles' page; titles are decoded on demand. Throws AppError("invalid_manifest") when malformed. */
export function decodeTitlePatch(bytes: Uint8Array): TitlePatch {
  const { view, count, bad } = header(bytes, PATCH_MAGIC, "title patch");
  if (bytes.byteLength < 8 + 4 * count) bad("is truncated");
  const rows = Array.from({ length: count }, (_, i) => view.getUint32(8 + 4 * i, true));
  for (let i = 1; i < count; i++) if (rows[i]! <= rows[i - 1]!) bad("rows are not ascending");
  const page = decodeTitlePage(bytes.subarray(8 + 4 * count));
  if (page.count !== count) bad(`lists ${count} rows but ${page.count} titles`);
  return {
    count,
    lastRow: count > 0 ? rows[count - 1]! : -1,
    title: (row) => {
      let lo = 0;
      let hi = count - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (rows[mid] === row) return page.title(mid);
        if (rows[mid]! < row) lo = mid + 1;
        else hi = mid - 1;
      }
      return undefined;
    },
  };
}

/** A page's or patch's u32 magic (checked) and count; `bad` throws AppError("invalid_manifest") naming `what`. */
function header(bytes: Uint8Array, magic: number, what: string): { view: DataView; count: number; bad: (why: string) => never } {
  const bad = (why: string): never => {
    throw new AppError("invalid_manifest", `${what} ${why}`);
  };
  if (bytes.byteLength < 8) bad("is truncated");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== magic) bad("has the wrong magic");
  return { view, count: view.getUint32(4, true), bad };
}
