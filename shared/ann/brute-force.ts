import { type ScanKernel } from "./kernel/scan-kernel";
import { type Metric } from "./metric";

/** Bytes of rows pinned in the kernel at most (1 GiB); a larger matrix is scored a block at a time. */
const PIN_MAX_BYTES = 2 ** 30;
/** Rows scored per block when the matrix is not pinned. */
const BLOCK_ROWS = 1 << 20;

/**
 * Exact search, the ground truth recall is measured against: scores q
 * against every row (size n*dims, row-major) and keeps the top k. Pins
 * `rows` in the kernel, so repeated queries copy the matrix once; a matrix
 * past 1 GiB (4M rows of 64 dims), which the WASM kernel's 4 GiB memory
 * may not hold beside an index, is copied in a block of `blockRows` rows at
 * a time instead (the same result: the top-k takes the blocks in row order).
 */
export function bruteForceSearch(
  kernel: ScanKernel,
  metric: Metric,
  rows: Float32Array,
  dims: number,
  q: Float32Array,
  k: number,
  blockRows = rows.byteLength > PIN_MAX_BYTES ? BLOCK_ROWS : 0,
): { ids: Uint32Array; scores: Float32Array } {
  const n = rows.length / dims;
  if (blockRows > 0) {
    const top = kernel.topK(Math.min(k, n));
    const scores = new Float32Array(Math.min(n, blockRows));
    for (let at = 0; at < n; at += blockRows) {
      const end = Math.min(n, at + blockRows);
      kernel.scoreRows(metric, rows.subarray(at * dims, end * dims), dims, q, scores);
      top.pushRange(scores.subarray(0, end - at), at);
    }
    return top.drain();
  }
  kernel.pin(rows);
  const scores = new Float32Array(n);
  kernel.scoreRows(metric, rows, dims, q, scores);
  const top = kernel.topK(Math.min(k, n));
  top.push(scores, positions(n));
  return top.drain();
}

let cachedPositions = new Uint32Array(0);

function positions(n: number): Uint32Array {
  if (cachedPositions.length < n) cachedPositions = Uint32Array.from({ length: n }, (_, i) => i);
  return cachedPositions.subarray(0, n);
}

/** Fraction of the true top-k ids (`truth`, best first) found in `found`'s first k. */
export function recallAtK(found: ArrayLike<number>, truth: ArrayLike<number>, k: number): number {
  const kk = Math.min(k, truth.length);
  if (kk === 0) return 1;
  const wanted = new Set<number>();
  for (let i = 0; i < kk; i++) wanted.add(truth[i]!);
  let hits = 0;
  for (let i = 0; i < Math.min(k, found.length); i++) if (wanted.has(found[i]!)) hits++;
  return hits / kk;
}
