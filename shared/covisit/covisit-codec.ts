import { AppError } from "../errors";
import { type CovisitLists } from "./covisit-lists";

const MAGIC = 0x31535643; // "CVS1" little-endian
const HEADER_BYTES = 12;

/**
 * The index blob: header (u32 magic, u32 nItems, u32 nnz), then offsets
 * (u32 × nItems+1), neighbours (u32 × nnz), scores (f32 × nnz), all
 * little-endian and 4-byte aligned so the Worker can view them without copying.
 */
export function encodeCovisit(lists: CovisitLists): Uint8Array {
  const n = lists.offsets.length - 1;
  const nnz = lists.neighbors.length;
  const bytes = new Uint8Array(HEADER_BYTES + 4 * (n + 1) + 8 * nnz);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, n, true);
  view.setUint32(8, nnz, true);
  let at = HEADER_BYTES;
  for (const v of lists.offsets) at = put(view, at, v, false);
  for (const v of lists.neighbors) at = put(view, at, v, false);
  for (const v of lists.scores) at = put(view, at, v, true);
  return bytes;
}

export function decodeCovisit(bytes: Uint8Array): CovisitLists {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < HEADER_BYTES || view.getUint32(0, true) !== MAGIC) {
    throw new AppError("invalid_manifest", "co-visitation blob has no CVS1 header");
  }
  const n = view.getUint32(4, true);
  const nnz = view.getUint32(8, true);
  if (bytes.byteLength !== HEADER_BYTES + 4 * (n + 1) + 8 * nnz) {
    throw new AppError("invalid_manifest", "co-visitation blob length does not match its header");
  }
  const offsets = new Uint32Array(n + 1);
  const neighbors = new Uint32Array(nnz);
  const scores = new Float32Array(nnz);
  let at = HEADER_BYTES;
  for (let i = 0; i <= n; i++, at += 4) offsets[i] = view.getUint32(at, true);
  for (let i = 0; i < nnz; i++, at += 4) neighbors[i] = view.getUint32(at, true);
  for (let i = 0; i < nnz; i++, at += 4) scores[i] = view.getFloat32(at, true);
  return { offsets, neighbors, scores };
}

function put(view: DataView, at: number, value: number, float: boolean): number {
  if (float) view.setFloat32(at, value, true);
  else view.setUint32(at, value, true);
  return at + 4;
}
