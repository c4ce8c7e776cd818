import { AppError } from "../errors";
import { type ScanKernel } from "./kernel/scan-kernel";
import { type InvertedList, type IvfPqHead, type IvfPqIndex, type IvfPqParams } from "./ivfpq-index";
import { type Metric } from "./metric";
import { trainKMeans } from "./kmeans";
import { packPq4 } from "./pq4";
import { ksubOf, trainProductQuantizer, transposeCodebooks } from "./product-quantizer";
import { gatherRows, SeededRandom } from "../seeded-random";
import { encodeSq8, trainSq8 } from "./sq8";

export interface BuildOptions {
  seed: number;
  /**
   * How k-means and the vectors' list assignment score centroids: "l2"
   * (default: balanced lists, small residuals) or "metric" (faiss's choice for
   * inner product). On the iALS sets "metric" needed fewer probes for the same
   * recall but scanned more vectors for it: its lists are very unequal.
   */
  assignBy?: "l2" | "metric";
  /** Coarse k-means trains on at most this many rows per list (faiss: 256; 64 keeps a 1M build to seconds). */
  trainRowsPerList?: number;
  /** PQ trains on at most this many residuals. */
  pqTrainRows?: number;
  kmeansIterations?: number;
  /** Vectors encoded per kernel call; bounds the build's extra memory. */
  chunkRows?: number;
  /** Called on long steps: what, how far, out of how much. */
  onProgress?: (step: string, done: number, total: number) => void;
}

/**
 * Builds an IVF-PQ index over vectors (size n*dims, row-major; position i is
 * the vector's id): a k-means coarse quantizer, PQ of the residuals to each
 * vector's L2-nearest centroid, inverted lists, and optionally the SQ8
 * re-scoring store. Queries probe lists by the index's metric; vectors are
 * assigned by `options.assignBy`. For cosine, normalize the rows and use "ip".
 * The three steps are exported apart (`trainIvfPq`, `encodeIvfPq`,
 * `assembleIvfPq`) so a builder can encode ranges of rows in parallel.
 */
export function buildIvfPq(kernel: ScanKernel, vectors: Float32Array, params: IvfPqParams, options: BuildOptions): IvfPqIndex {
  const trained = trainIvfPq(kernel, vectors, params, options);
  const progress = options.onProgress ?? (() => {});
  const encoded = encodeIvfPqByChunks(kernel, trained, vectors, options.chunkRows ?? 16_384, (done, total) => progress("encode", done, total));
  return assembleIvfPq(trained, encoded.listOf, encoded.codes, encoded.sq8Codes);
}

/** `encodeIvfPq` over every row, `chunkRows` at a time (bounding the residuals' copy), into the arrays `assembleIvfPq` takes. */
export function encodeIvfPqByChunks(
  kernel: ScanKernel,
  trained: TrainedIvfPq,
  vectors: Float32Array,
  chunkRows: number,
  onProgress: (done: number, total: number) => void = () => {},
): { listOf: Uint32Array; codes: Uint8Array; sq8Codes: Uint8Array | null } {
  const { dims, m } = trained.params;
  const n = vectors.length / dims;
  const listOf = new Uint32Array(n);
  const codes = new Uint8Array(n * m);
  const sq8Codes = trained.sq8 ? new Uint8Array(n * dims) : null;
  for (let start = 0; start < n; start += chunkRows) {
    const end = Math.min(n, start + chunkRows);
    const out = encodeIvfPq(kernel, trained, vectors.subarray(start * dims, end * dims));
    listOf.set(out.listOf, start);
    codes.set(out.codes, start * m);
    sq8Codes?.set(out.sq8!, start * dims);
    onProgress(end, n);
  }
  return { listOf, codes, sq8Codes };
}

/** What encoding needs: the trained quantizers and how vectors are assigned to lists. */
export interface TrainedIvfPq extends IvfPqHead {
  assignMetric: Metric;
}

/** Trains the coarse quantizer, the PQ codebooks (both on samples) and the SQ8 quantizer; validates the parameters. */
export function trainIvfPq(kernel: ScanKernel, vectors: Float32Array, params: IvfPqParams, options: BuildOptions): TrainedIvfPq {
  const { dims, nlist, m } = params;
  const n = vectors.length / dims;
  if (!Number.isInteger(n) || n === 0) throw new AppError("invalid_request", `vectors must be a non-empty n*${dims} array`);
  if (dims % m !== 0 || dims % 16 !== 0) throw new AppError("invalid_request", `dims (${dims}) must be a multiple of 16 and of m (${m})`);
  if (params.nbits === 4 && m % 2 !== 0) throw new AppError("invalid_request", "4-bit PQ needs an even m");
  const ksub = ksubOf(params.nbits);
  const progress = options.onProgress ?? (() => {});
  const iterations = options.kmeansIterations ?? 12;

  const assignMetric = options.assignBy === "metric" ? params.metric : "l2";
  const centroids = trainKMeans(kernel, vectors, dims, {
    metric: assignMetric,
    k: nlist,
    iterations,
    seed: options.seed,
    maxTrainingRows: nlist * (options.trainRowsPerList ?? 64),
    onProgress: (done, total) => progress("coarse k-means", done, total),
  });

  const random = new SeededRandom(options.seed ^ 0x5bd1e995);
  const pqSample = random.sample(n, options.pqTrainRows ?? 65_536);
  const sampleRows = gatherRows(vectors, dims, pqSample);
  const sampleLists = new Uint32Array(pqSample.length);
  kernel.assign(assignMetric, sampleRows, dims, centroids, sampleLists, new Float32Array(pqSample.length));
  subtractCentroids(sampleRows, dims, sampleLists, centroids);
  const codebooks = trainProductQuantizer(kernel, sampleRows, dims, m, {
    seed: options.seed + 1,
    iterations,
    ksub,
    onProgress: (done, total) => progress("PQ codebooks", done, total),
  });
  const codebooksT = transposeCodebooks(codebooks, m, ksub);
  const sq8 = params.rescore === "sq8" ? trainSq8(vectors, dims) : null;
  return { params, centroids, codebooks, codebooksT, sq8, assignMetric };
}

/**
 * Encodes rows (size r*dims, not modified) with trained quantizers: each
 * row's list, the PQ codes of its residual (size r*m, 8-bit layout) and its
 * SQ8 codes (size r*dims; null without a re-scoring store). Rows are
 * independent, so ranges can be encoded anywhere and concatenated.
 */
export function encodeIvfPq(kernel: ScanKernel, trained: TrainedIvfPq, rows: Float32Array): { listOf: Uint32Array; codes: Uint8Array; sq8: Uint8Array | null } {
  const { dims, m } = trained.params;
  const r = rows.length / dims;
  const residuals = rows.slice();
  const listOf = new Uint32Array(r);
  const codes = new Uint8Array(r * m);
  kernel.assign(trained.assignMetric, residuals, dims, trained.centroids, listOf, new Float32Array(r));
  subtractCentroids(residuals, dims, listOf, trained.centroids);
  kernel.pqEncode(residuals, m, ksubOf(trained.params.nbits), trained.codebooksT, codes);
  return { listOf, codes, sq8: trained.sq8 ? encodeSq8(rows, trained.sq8) : null };
}

/** The index from every row's list and codes (sizes n, n*m, n*dims): inverted lists, packed for 4-bit fast scan. */
export function assembleIvfPq(trained: TrainedIvfPq, listOf: Uint32Array, codes: Uint8Array, sq8Codes: Uint8Array | null): IvfPqIndex {
  const { assignMetric: _, ...head } = trained;
  const { params } = head;
  const lists = invertedLists(listOf, codes, sq8Codes, params.nlist, params.m, params.dims);
  if (params.nbits === 4) for (const list of lists) list.codes = packPq4(list.codes, params.m);
  return { ...head, lists, listOf };
}

function subtractCentroids(rows: Float32Array, dims: number, lists: Uint32Array, centroids: Float32Array): void {
  for (let i = 0; i < lists.length; i++) {
    const c = lists[i]! * dims;
    for (let d = 0; d < dims; d++) rows[i * dims + d]! -= centroids[c + d]!;
  }
}

/** Groups positions by list, ascending within each list. */
function invertedLists(listOf: Uint32Array, codes: Uint8Array, sq8: Uint8Array | null, nlist: number, m: number, dims: number): InvertedList[] {
  const sizes = new Uint32Array(nlist);
  for (const l of listOf) sizes[l]!++;
  const lists: InvertedList[] = Array.from(sizes, (size) => ({
    ids: new Uint32Array(size),
    codes: new Uint8Array(size * m),
    sq8: sq8 ? new Uint8Array(size * dims) : null,
  }));
  const fill = new Uint32Array(nlist);
  for (let i = 0; i < listOf.length; i++) {
    const l = listOf[i]!;
    const list = lists[l]!;
    const j = fill[l]!++;
    list.ids[j] = i;
    list.codes.set(codes.subarray(i * m, (i + 1) * m), j * m);
    list.sq8?.set(sq8!.subarray(i * dims, (i + 1) * dims), j * dims);
  }
  return lists;
}
