import { AppError } from "../errors";
import { type ScanKernel } from "./kernel/scan-kernel";
import { type InvertedList, type IvfPqIndex, type IvfPqParams } from "./ivfpq-index";
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
 */
export function buildIvfPq(kernel: ScanKernel, vectors: Float32Array, params: IvfPqParams, options: BuildOptions): IvfPqIndex {
  const { dims, nlist, m } = params;
  const n = vectors.length / dims;
  if (!Number.isInteger(n) || n === 0) throw new AppError("invalid_request", `vectors must be a non-empty n*${dims} array`);
  if (dims % m !== 0 || dims % 16 !== 0) throw new AppError("invalid_request", `dims (${dims}) must be a multiple of 16 and of m (${m})`);
  if (params.nbits === 4 && m % 2 !== 0) throw new AppError("invalid_request", "4-bit PQ needs an even m");
  const ksub = ksubOf(params.nbits);
  const progress = options.onProgress ?? (() => {});
  const iterations = options.kmeansIterations ?? 12;
  const chunk = options.chunkRows ?? 16_384;

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

  const listOf = new Uint32Array(n);
  const codes = new Uint8Array(n * m);
  const scores = new Float32Array(chunk);
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    const rows = vectors.slice(start * dims, end * dims);
    const lists = listOf.subarray(start, end);
    kernel.assign(assignMetric, rows, dims, centroids, lists, scores);
    subtractCentroids(rows, dims, lists, centroids);
    kernel.pqEncode(rows, m, ksub, codebooksT, codes.subarray(start * m, end * m));
    progress("encode", end, n);
  }
  const sq8Codes = sq8 ? encodeSq8(vectors, sq8) : null;
  const lists = invertedLists(listOf, codes, sq8Codes, nlist, m, dims);
  if (params.nbits === 4) for (const list of lists) list.codes = packPq4(list.codes, m);
  return { params, centroids, codebooks, codebooksT, sq8, lists, listOf };
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
