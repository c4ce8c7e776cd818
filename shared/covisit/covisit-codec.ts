import { AppError } from "../errors";
import { type CovisitLists } from "./covisit-lists";

const MAGIC = 0x31535643; // "CVS1" little-endian
/** CVS1 with a facts page after the scores: u32 factsBytes after the header's nnz. */
const MAGIC_FACTS = 0x32535643; // "CVS2"
const HEADER_BYTES = 12;

/**
 * The index blob: header (u32 magic, u32 nItems, u32 nnz), then offsets
 * (u32 × nItems+1), neighbours (u32 × nnz), scores (f32 × nnz), all
 * little-endian and 4-byte aligned so the Worker can view them without copying.
 * With `facts` (CVS2): u32 factsBytes closes the header and those bytes end
 * the blob; the builder stores there the ranking facts and ids of the
 * neighbours (an item page, shared/catalog/item-page.ts, in row order), so a
 * request names and ranks them from this page alone.
 */
export function encodeCovisit(lists: CovisitLists, facts: Uint8Array | null = null): Uint8Array {
  const n = lists.offsets.length - 1;
  const nnz = lists.neighbors.length;
  const header = HEADER_BYTES + (facts ? 4 : 0);
  const bytes = new Uint8Array(header + 4 * (n + 1) + 8 * nnz + (facts?.byteLength ?? 0));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, facts ? MAGIC_FACTS : MAGIC, true);
  view.setUint32(4, n, true);
  view.setUint32(8, nnz, true);
  if (facts) view.setUint32(12, facts.byteLength, true);
  let at = header;
  for (const v of lists.offsets) at = put(view, at, v, false);
  for (const v of lists.neighbors) at = put(view, at, v, false);
  for (const v of lists.scores) at = put(view, at, v, true);
  if (facts) bytes.set(facts, at);
  return bytes;
}

/** The lists of a CVS1/CVS2 blob, with the facts page of a CVS2 one (else null). */
export function decodeCovisit(bytes: Uint8Array): CovisitLists & { facts: Uint8Array | null } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = bytes.byteLength < HEADER_BYTES ? 0 : view.getUint32(0, true);
  if (magic !== MAGIC && !(magic === MAGIC_FACTS && bytes.byteLength >= HEADER_BYTES + 4)) {
    throw new AppError("invalid_manifest", "co-visitation blob has no CVS1 header");
  }
  const n = view.getUint32(4, true);
  const nnz = view.getUint32(8, true);
  const factsBytes = magic === MAGIC_FACTS ? view.getUint32(12, true) : 0;
  const header = HEADER_BYTES + (magic === MAGIC_FACTS ? 4 : 0);
  if (bytes.byteLength !== header + 4 * (n + 1) + 8 * nnz + factsBytes) {
    throw new AppError("invalid_manifest", "co-visitation blob length does not match its header");
  }
  // Views over the bytes (little-endian, as every platform we run on), so a cached page holds its bytes once; copied when unaligned.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  let at = aligned.byteOffset + header;
  const offsets = new Uint32Array(aligned.buffer, at, n + 1);
  at += 4 * (n + 1);
  const neighbors = new Uint32Array(aligned.buffer, at, nnz);
  at += 4 * nnz;
  const scores = new Float32Array(aligned.buffer, at, nnz);
  at += 4 * nnz;
  return { offsets, neighbors, scores, facts: factsBytes > 0 ? new Uint8Array(aligned.buffer, at, factsBytes) : null };
}

function put(view: DataView, at: number, value: number, float: boolean): number {
  if (float) view.setFloat32(at, value, true);
  else view.setUint32(at, value, true);
  return at + 4;
}
