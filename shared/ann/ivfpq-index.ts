import { type Metric } from "./metric";
import { type Sq8Params } from "./sq8";

/** Build-time and format parameters of an IVF-PQ index. */
export interface IvfPqParams {
  metric: Metric;
  dims: number;
  /** Coarse centroids (inverted lists). */
  nlist: number;
  /** PQ sub-quantizers; dims must be a multiple of it. */
  m: number;
  /**
   * Bits per PQ code: 8 (256 codewords, scanned by table lookups) or 4 (16
   * codewords, the SIMD fast-scan layout of pq4.ts; m must be even).
   */
  nbits: 4 | 8;
  /** "sq8": a one-byte-per-dimension copy of every vector for re-scoring the shortlist. */
  rescore: "sq8" | "none";
}

/** One inverted list: the vectors assigned to one coarse centroid. */
export interface InvertedList {
  /** Item positions, size n. */
  ids: Uint32Array;
  /** PQ codes of the residuals to the list's centroid: size n*m row-major for 8 bits, pq4Bytes(n, m) in the block layout for 4. */
  codes: Uint8Array;
  /** SQ8 codes of the vectors themselves, size n*dims, row-major; null without a re-scoring store. */
  sq8: Uint8Array | null;
}

/**
 * What a search needs up front, before touching any list: shipped as the
 * `ann-centroids`, `ann-codebooks` and `ann-sq8` blobs.
 */
export interface IvfPqHead {
  params: IvfPqParams;
  /** Size nlist*dims, row-major. */
  centroids: Float32Array;
  /** Size m*ksub*dsub, layout (m, ksub, dsub), ksub = 2^nbits. */
  codebooks: Float32Array;
  /** The same, layout (m, dsub, ksub), as the kernel reads it. */
  codebooksT: Float32Array;
  sq8: Sq8Params | null;
}

/** A whole index in memory, as the builder makes it. */
export interface IvfPqIndex extends IvfPqHead {
  /** Size nlist. */
  lists: InvertedList[];
  /** The list holding each position, size n. */
  listOf: Uint32Array;
}
