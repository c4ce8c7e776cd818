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
  const bad = (why: string): never => {
    throw new AppError("invalid_manifest", `title page ${why}`);
  };
  if (bytes.byteLength < 12) bad("is truncated");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) bad("has the wrong magic");
  const count = view.getUint32(4, true);
  const head = 8 + 4 * (count + 1);
  if (bytes.byteLength < head) bad("is truncated");
  const offset = (k: number) => view.getUint32(8 + 4 * k, true);
  if (head + offset(count) !== bytes.byteLength) bad("has inconsistent offsets");
  return {
    count,
    title: (k) => (k < 0 || k >= count ? "" : decoder.decode(bytes.subarray(head + offset(k), head + offset(k + 1)))),
  };
}
