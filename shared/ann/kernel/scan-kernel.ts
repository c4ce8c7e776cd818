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
  pin(array: Float32Array | Uint8Array): void;
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
  /** A per-query list scanner for 8-bit PQ codes of m sub-quantizers (faiss's InvertedListScanner). */
  listScanner(m: number): ListScanner;
  /** The same for 4-bit codes in the fast-scan block layout (see pq4.ts); m even. */
  pq4Scanner(m: number): Pq4Scanner;
  /**
   * Re-scoring against SQ8 codes (size n*dims, dims a multiple of 16).
   * ip: out[i] = c0 + sum_d a[d]*u[i,d]; l2: out[i] = -sum_d (a[d] - b[d]*u[i,d])^2.
   */
  sq8Scores(metric: Metric, codes: Uint8Array, dims: number, a: Float32Array, b: Float32Array, c0: number, out: Float32Array): void;
  /** Builder: for each row (size n*dims), the best scoring of the candidates (size count*dims), and that score. */
  assign(metric: Metric, rows: Float32Array, dims: number, candidates: Float32Array, outIdx: Uint32Array, outScore: Float32Array): void;
  /** Builder: PQ codes (size n*m, one byte each) of rows (size n*m*dsub) against `cbT` (layout (m, dsub, ksub)). */
  pqEncode(rows: Float32Array, m: number, ksub: number, cbT: Float32Array, outCodes: Uint8Array): void;
}

/**
 * Scans inverted lists for one query: `scanCodes` then top-k, fused so that
 * scores never leave the kernel. Handles are idBase + position in the list.
 */
export interface ListScanner {
  /** The distance tables (size m*256, layout (m, 256)) for the lists that follow; copied once. */
  setTables(tables: Float32Array): void;
  /** Scores codes (size n*m) as `scanCodes` with the current tables and offers (score, idBase + i) to `top`. */
  scanList(codes: Uint8Array, bias: number, idBase: number, top: TopK): void;
}

/** A list scanner over 4-bit fast-scan codes, with u8-quantized tables (see `quantizeTables`). */
export interface Pq4Scanner {
  /** lut8 size m*16, layout (m, 16); a score is offset + bias + scale * sum_s lut8[s][code_s]. */
  setTables(lut8: Uint8Array, scale: number, offset: number): void;
  /** Scores the n vectors of packed codes (size pq4Bytes(n, m)) and offers (score, idBase + i) to `top`. */
  scanList(codes: Uint8Array, n: number, bias: number, idBase: number, top: TopK): void;
}

/** A bounded min-heap keeping the `capacity` highest scores offered to it. */
export interface TopK {
  /** Offers scores[i] with ids[i]; a score enters a full heap only if strictly above its weakest. */
  push(scores: Float32Array, ids: Uint32Array): void;
  /** As `push`, with ids idBase + i. */
  pushRange(scores: Float32Array, idBase: number): void;
  /** The weakest kept score, or -Infinity while not full. */
  threshold(): number;
  /** The kept pairs, best first (ties by ascending id). Releases the heap: the top-k is not used afterwards. */
  drain(): { ids: Uint32Array; scores: Float32Array };
}

/**
 * Empties a min-heap (the layout both kernels keep: `size` entries, root
 * weakest) into best-first order by popping it, then orders runs of equal
 * scores by ascending id, so that both kernels return identical lists.
 * Works on copies; O(size log size) with no comparator calls.
 */
export function sortedPairs(heapScores: Float32Array, heapIds: Uint32Array, size: number): { ids: Uint32Array; scores: Float32Array } {
  const hs = heapScores.slice(0, size);
  const hi = heapIds.slice(0, size);
  const scores = new Float32Array(size);
  const ids = new Uint32Array(size);
  for (let end = size - 1; end >= 0; end--) {
    scores[end] = hs[0]!;
    ids[end] = hi[0]!;
    const score = hs[end]!;
    const id = hi[end]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= end) break;
      const c = l + 1 < end && hs[l + 1]! < hs[l]! ? l + 1 : l;
      if (hs[c]! >= score) break;
      hs[i] = hs[c]!;
      hi[i] = hi[c]!;
      i = c;
    }
    hs[i] = score;
    hi[i] = id;
  }
  // Runs of equal scores in ascending id order: a typed-array sort per run. 4-bit PQ scores
  // are sums of quantized tables, so a shortlist has long runs of ties, and an insertion
  // sort over them was quadratic.
  for (let start = 0; start < size;) {
    let end = start + 1;
    while (end < size && scores[end] === scores[start]) end++;
    if (end - start > 1) ids.subarray(start, end).sort();
    start = end;
  }
  return { ids, scores };
}
