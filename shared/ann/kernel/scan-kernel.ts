import { type Metric } from "../metric";

/**
 * The scan kernel's contract, implemented by the AssemblyScript SIMD module
 * (`createWasmKernel`) and by the plain TypeScript oracle
 * (`referenceKernel`). Every score is "higher is better" (see `Metric`).
 * Arrays are taken and returned as typed arrays; a caller that reuses a large
 * constant array (centroids, codebooks, a brute-force matrix) may `pin` it so
 * that the WASM kernel copies it into its memory once.
 */
export interface ScanKernel {
  readonly name: string;
  /** Promises that `array` will not change again; the WASM kernel then keeps one copy of it. */
  pin(array: Float32Array): void;
  /** out[i] = score(rows[i], q); rows size n*dims row-major, q size dims, out size n. */
  scoreRows(metric: Metric, rows: Float32Array, dims: number, q: Float32Array, out: Float32Array): void;
  /**
   * PQ distance tables: out[s*ksub + j] = score(q_s, codeword j of
   * sub-quantizer s). `cbT` size m*dsub*ksub, layout (m, dsub, ksub) (see
   * `transposeCodebooks`); q size m*dsub; out size m*ksub, layout (m, ksub).
   */
  distanceTables(metric: Metric, q: Float32Array, cbT: Float32Array, m: number, ksub: number, out: Float32Array): void;
  /** List scan: out[i] = bias + sum_s tables[s*256 + codes[i*m + s]]; codes size n*m (8-bit PQ). */
  scanCodes(codes: Uint8Array, m: number, tables: Float32Array, bias: number, out: Float32Array): void;
  /** A bounded top-k of (score, id) pairs; one per search stage. */
  topK(capacity: number): TopK;
  /**
   * Re-scoring against SQ8 codes (size n*dims, dims a multiple of 16).
   * ip: out[i] = c0 + sum_d a[d]*u[i,d]; l2: out[i] = -sum_d (a[d] - b[d]*u[i,d])^2.
   */
  sq8Scores(metric: Metric, codes: Uint8Array, dims: number, a: Float32Array, b: Float32Array, c0: number, out: Float32Array): void;
  /** Builder: for each row (size n*dims), the L2-nearest of the candidates (size count*dims). */
  assignL2(rows: Float32Array, dims: number, candidates: Float32Array, outIdx: Uint32Array, outScore: Float32Array): void;
  /** Builder: 8-bit PQ codes (size n*m) of rows (size n*m*dsub) against `cbT` (layout (m, dsub, 256)). */
  pqEncode(rows: Float32Array, m: number, cbT: Float32Array, outCodes: Uint8Array): void;
}

/** A bounded min-heap keeping the `capacity` highest scores offered to it. */
export interface TopK {
  /** Offers scores[i] with ids[i]; a score enters a full heap only if strictly above its weakest. */
  push(scores: Float32Array, ids: Uint32Array): void;
  /** The weakest kept score, or -Infinity while not full. */
  threshold(): number;
  /** The kept pairs, best first (ties by ascending id). Releases the heap: the top-k is not used afterwards. */
  drain(): { ids: Uint32Array; scores: Float32Array };
}

/** Orders drained heap contents best first, ties by ascending id, so both kernels agree exactly. */
export function sortedPairs(scores: Float32Array, ids: Uint32Array, size: number): { ids: Uint32Array; scores: Float32Array } {
  const order = Array.from({ length: size }, (_, i) => i);
  order.sort((x, y) => scores[y]! - scores[x]! || ids[x]! - ids[y]!);
  return { ids: Uint32Array.from(order, (i) => ids[i]!), scores: Float32Array.from(order, (i) => scores[i]!) };
}
