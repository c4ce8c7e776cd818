import { type InvertedList, type IvfPqHead } from "./ivfpq-index";
import { pq4CodeAt } from "./pq4";
import { decodeProductCodes, ksubOf } from "./product-quantizer";
import { decodeSq8 } from "./sq8";

/**
 * The stored approximation of the vector at `offset` in list `listNo`: its
 * SQ8 copy when the index has one, else the list's centroid plus its decoded
 * PQ residual. Lets the Worker query by an item's own vector without shipping
 * the float vectors.
 */
export function reconstructVector(head: IvfPqHead, listNo: number, list: InvertedList, offset: number): Float32Array {
  const { dims, m } = head.params;
  if (list.sq8 && head.sq8) return decodeSq8(list.sq8.subarray(offset * dims, (offset + 1) * dims), head.sq8);
  const { nbits } = head.params;
  const codes = nbits === 8 ? list.codes.subarray(offset * m, (offset + 1) * m) : Uint8Array.from({ length: m }, (_, s) => pq4CodeAt(list.codes, m, offset, s));
  const residual = decodeProductCodes(codes, head.codebooks, m, ksubOf(nbits));
  for (let d = 0; d < dims; d++) residual[d]! += head.centroids[listNo * dims + d]!;
  return residual;
}
